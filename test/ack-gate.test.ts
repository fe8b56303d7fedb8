/**
 * The acknowledgement gate holds back PUBACKs only: while a value is not yet recorded, the keep-alive
 * and a subscription still go through, and the broker still has the message for the next session.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect, connectAsync, MqttClient, type IPublishPacket } from 'mqtt';
import { AcknowledgementGate } from '../src/mqtt/ack-gate.js';
import { mosquittoSkip, TestMosquitto } from './support/mosquitto.js';

describe('the acknowledgement gate against Mosquitto', { skip: mosquittoSkip() }, () => {
  let broker: TestMosquitto;
  before(async () => {
    broker = await new TestMosquitto().start();
  });
  after(() => broker.dispose());

  it('while an acknowledgement is held, PINGREQ and SUBSCRIBE go through; the message held is delivered again to the next session', async () => {
    const options = { clientId: 'gate-consumer', clean: false, protocolVersion: 5 as const, properties: { sessionExpiryInterval: 300 }, keepalive: 1, reconnectPeriod: 0 };
    const gate = new AcknowledgementGate();
    const consumer = new MqttClient(() => gate.wrap(net.connect(broker.port, '127.0.0.1')), options);
    const errors: string[] = [];
    consumer.on('error', (error) => errors.push(error.message));
    await new Promise((resolve) => consumer.once('connect', resolve));
    await consumer.subscribeAsync('gate/values', { qos: 1 });
    consumer.on('packetreceive', (packet) => packet.cmd === 'publish' && gate.hold());
    const received = new Promise<IPublishPacket>((resolve) => consumer.once('message', (_topic, _payload, packet) => resolve(packet)));

    const producer = await connectAsync(broker.url, { clientId: 'gate-producer', reconnectPeriod: 0 });
    await producer.publishAsync('gate/values', '1', { qos: 1 });
    assert.equal((await received).payload.toString(), '1');

    // Two keep-alive rounds (1 s each) answered while the PUBACK is held, or the link dies of it.
    const pingAnswers = await new Promise<number>((resolve) => {
      let answers = 0;
      consumer.on('packetreceive', (packet) => packet.cmd === 'pingresp' && ++answers === 2 && resolve(answers));
      consumer.once('close', () => resolve(answers));
    });
    assert.equal(pingAnswers, 2, `the keep-alive went through (errors: ${errors.join(', ') || 'none'})`);
    const granted = await consumer.subscribeAsync('gate/other', { qos: 1 });
    assert.deepEqual(granted.map((grant) => grant.qos), [1], 'a SUBSCRIBE went through and was answered');
    assert.deepEqual(errors, []);
    consumer.end(true);

    // The PUBACK never left: the session gives the message again, marked as a duplicate.
    const next = connect(broker.url, { ...options, keepalive: 60 });
    const again = await new Promise<IPublishPacket>((resolve) => next.once('message', (_topic, _payload, packet) => resolve(packet)));
    assert.deepEqual([again.payload.toString(), again.dup], ['1', true]);
    await next.endAsync();
    await producer.endAsync();
  });
});
