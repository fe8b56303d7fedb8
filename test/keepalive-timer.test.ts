/**
 * The timer MQTT.js's keep-alive runs on (src/mqtt/keepalive-timer.ts): setInterval's behaviour, with a
 * set() right after a clear() only moving the deadline. The clock is Node's mock for the timer's own
 * rules; a real Mosquitto and MQTT.js for the keep-alive it drives.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { MqttClient, type IClientOptions } from 'mqtt';
import { isKeepaliveTimeout } from '../src/mqtt/client-internals.js';
import { movableIntervalTimer } from '../src/mqtt/keepalive-timer.js';
import { mosquittoSkip, withMosquitto } from './support/mosquitto.js';
import { TestRelay } from './support/relay.js';

describe('the keep-alive timer: an interval whose deadline moves', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 }));
  afterEach(() => mock.timers.reset());

  it('calls back every period from its set(), like setInterval', () => {
    const timer = movableIntervalTimer();
    const calls: number[] = [];
    timer.set(() => calls.push(Date.now()), 100);
    mock.timers.tick(99);
    assert.deepEqual(calls, []);
    mock.timers.tick(1);
    mock.timers.tick(100);
    mock.timers.tick(100);
    assert.deepEqual(calls, [100, 200, 300]);
  });

  it('a clear and a set at every packet put the call a whole period after the last set', () => {
    const timer = movableIntervalTimer();
    const calls: number[] = [];
    let id = timer.set(() => calls.push(Date.now()), 100);
    for (let at = 30; at <= 450; at += 30) {
      mock.timers.tick(30);
      timer.clear(id);
      id = timer.set(() => calls.push(Date.now()), 100);
    }
    assert.deepEqual(calls, [], 'never due while packets keep coming');
    mock.timers.tick(99);
    assert.deepEqual(calls, []);
    mock.timers.tick(1);
    assert.deepEqual(calls, [550]);
    mock.timers.tick(100);
    assert.deepEqual(calls, [550, 650]);
  });

  it('a cleared interval calls back no more, and another period starts its own', () => {
    const timer = movableIntervalTimer();
    const calls: string[] = [];
    const first = timer.set(() => calls.push(`first ${Date.now()}`), 100);
    for (let ms = 0; ms < 150; ms += 10) mock.timers.tick(10);
    timer.clear(first);
    timer.set(() => calls.push(`second ${Date.now()}`), 40);
    for (let ms = 0; ms < 300; ms += 10) mock.timers.tick(10);
    assert.deepEqual(calls, ['first 100', 'second 190', 'second 230', 'second 270', 'second 310', 'second 350', 'second 390', 'second 430']);
  });
});

describe('MQTT.js keeping a link alive on this timer', { skip: mosquittoSkip() }, () => {
  const mosquitto = withMosquitto('keepalive-timer');

  it('an idle client pings the broker every keep-alive and stays connected; a link gone silent ends in the keep-alive timeout', async () => {
    const relay = await new TestRelay(mosquitto.broker.port).start();
    const options: IClientOptions = { clientId: 'keepalive-timer', keepalive: 1, reconnectPeriod: 0, timerVariant: movableIntervalTimer() };
    const client = new MqttClient(() => net.connect(relay.port, '127.0.0.1'), options);
    try {
      await new Promise((resolve) => client.once('connect', resolve));
      const connectedAt = Date.now();
      let pings = 0;
      await new Promise<void>((resolve) =>
        client.on('packetreceive', (packet) => {
          if (packet.cmd === 'pingresp' && ++pings === 3) resolve();
        }),
      );
      // Three pings, one a keep-alive (1 s) after the other once idle; slack for a loaded machine.
      const elapsed = Date.now() - connectedAt;
      assert.ok(elapsed >= 2500 && elapsed < 8000, `three PINGRESPs ${elapsed} ms after connecting`);
      assert.equal(client.connected, true);

      relay.stall();
      const silentAt = Date.now();
      const error = await new Promise<Error>((resolve) => client.once('error', resolve));
      assert.equal(isKeepaliveTimeout(error), true, `the error of a dead link: ${error.message}`);
      assert.ok(Date.now() - silentAt < 5000, `detected ${Date.now() - silentAt} ms after the link went silent`);
    } finally {
      client.end(true);
      await relay.close();
    }
  });
});
