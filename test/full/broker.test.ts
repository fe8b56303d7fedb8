/** npm run broker: a broker for following the tutorial by hand. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { describe, it } from 'node:test';
import { connect, connectAsync, type IConnackPacket } from 'mqtt';
import { freePort } from '../../src/brokers/ports.js';
import { commandArgs, packageRoot } from '../../src/cli/package.js';
import { mosquittoSkip } from '../support/mosquitto.js';
import { natsSkip } from '../support/nats.js';
import { waitFor } from '../support/wait.js';

const brokerArgs = commandArgs('broker');

/** The unprivileged user `nobody`, when there is one. */
function nobody(): { uid: number; gid: number } | undefined {
  const found = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
  const group = spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' });
  return found.status === 0 && group.status === 0 ? { uid: Number(found.stdout), gid: Number(group.stdout) } : undefined;
}

/** Running a command as another user needs root, that user, and a project folder that user can read. */
function asNobodySkip(): string | false {
  if (process.getuid?.() !== 0) return 'runs the broker as the user nobody, which needs root';
  if (!nobody()) return 'there is no user nobody';
  const readable = spawnSync('runuser', ['-u', 'nobody', '--', 'test', '-r', join(packageRoot, 'package.json')]);
  return readable.status === 0 ? false : 'the user nobody cannot read the project folder';
}

/** user: run as that user (when the tests run as root). */
async function runBroker(args: string[], check: (url: string, printed: () => string) => Promise<void>, env: Record<string, string> = {}, user?: { uid: number; gid: number }): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, [...brokerArgs, '--port', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, ...user });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await waitFor('the broker to start', () => output.includes('Ctrl+C stops it') || child.exitCode !== null, { detail: () => output });
    assert.equal(child.exitCode, null, `the broker stopped: ${output}`);
    await check(`mqtt://localhost:${port}`, () => output);
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 0, output);
  return output;
}

async function sessionSurvivesReconnect(url: string): Promise<void> {
  const options = { clientId: 'broker-test', clean: false, protocolVersion: 5 as const, properties: { sessionExpiryInterval: 60 }, reconnectPeriod: 0 };
  const first = await connectAsync(url, options);
  await first.subscribeAsync('t', { qos: 1 });
  await first.endAsync();
  const second = connect(url, options);
  const connack = await new Promise<IConnackPacket>((resolve) => second.once('connect', resolve));
  assert.equal(connack.sessionPresent, true, 'an MQTT 5 session with an expiry is kept');
  await second.endAsync();
}

describe('npm run broker', () => {
  it('starts the embedded broker, which speaks MQTT 5 and keeps sessions', async () => {
    const output = await runBroker(['--broker', 'embedded'], sessionSurvivesReconnect);
    assert.match(output, /embedded broker/);
    assert.match(output, /Broker stopped/);
  });

  it('starts Mosquitto with the tutorial config when it is installed', { skip: mosquittoSkip() }, async () => {
    const output = await runBroker([], sessionSurvivesReconnect);
    assert.match(output, /Mosquitto on localhost:\d+, with scripts\/mosquitto.conf/);
  });

  it('--bridge starts an edge Mosquitto whose values reach a central Mosquitto', { skip: mosquittoSkip() }, async () => {
    let centre = '';
    const output = await runBroker(['--bridge'], async (edge, printed) => {
      centre = /bridged to (mqtt:\/\/127\.0\.0\.1:\d+)/.exec(printed())?.[1] ?? '';
      assert.ok(centre, 'the central broker is named');
      const session = { clientId: 'bridge-test', clean: false, protocolVersion: 4 as const, reconnectPeriod: 0 };
      const consumer = await connectAsync(centre, session);
      const received: string[] = [];
      consumer.on('message', (_topic, payload) => received.push(payload.toString()));
      await consumer.subscribeAsync('bridged/values', { qos: 1 });
      const producer = await connectAsync(edge, { protocolVersion: 5 });
      for (let value = 1; value <= 5; value++) await producer.publishAsync('bridged/values', String(value), { qos: 1 });
      await waitFor('the values at the centre', () => received.length >= 5, { detail: () => received.join(' ') });
      await producer.endAsync();
      await consumer.endAsync();
      assert.deepEqual(received, ['1', '2', '3', '4', '5']);
    });
    assert.match(output, /Edge Mosquitto on localhost:\d+, with scripts\/mosquitto.conf \(persistence in .*mosquitto-edge\/\), bridged to mqtt:\/\/127\.0\.0\.1:\d+: .*topic # out, QoS 1, cleansession false/);
    assert.match(output, /Central Mosquitto on mqtt:\/\/127\.0\.0\.1:\d+/);
    assert.match(output, /Broker stopped/);
  });

  it('--bridge is an edge Mosquitto: with another --broker, invalid usage, one line, exit 2', () => {
    const result = spawnSync(process.execPath, [...brokerArgs, '--bridge', '--broker', 'embedded', '--port', '1'], { encoding: 'utf8' });
    assert.equal(result.status, 2, result.stderr);
    assert.equal(result.stderr.trim(), 'broker: --bridge starts an edge Mosquitto: it cannot be used with --broker embedded');
  });

  it('--bridge to a URL the bridge cannot use says so in one line and exits 1', { skip: mosquittoSkip() }, async () => {
    const result = spawnSync(process.execPath, [...brokerArgs, '--bridge', 'mqtts://central.example:8883', '--port', String(await freePort())], { encoding: 'utf8' });
    assert.equal(result.status, 1, result.stderr);
    assert.equal(result.stderr.trim(), 'broker: the bridge connects with mqtt:// only (a TLS bridge needs its certificates in mosquitto.conf): mqtts://central.example:8883');
  });

  it('a user who cannot write the project folder gets the broker data under their own state folder', { skip: mosquittoSkip() || asNobodySkip() }, async () => {
    const home = mkdtempSync(join(tmpdir(), 'mqtt-ps-broker-home-'));
    try {
      chownSync(home, nobody()!.uid, nobody()!.gid);
      const output = await runBroker([], sessionSurvivesReconnect, { HOME: home, XDG_STATE_HOME: home }, nobody());
      const dataDir = join(home, 'mqtt-persistent-sessions', 'brokers', 'mosquitto');
      assert.ok(output.includes(`persistence in ${dataDir}`), output);
      assert.ok(existsSync(join(dataDir, 'mosquitto.db')), `Mosquitto saved its sessions there: ${output}`);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('--protected starts Mosquitto that lets in only its users, with the password from MQTT_PASSWORD', { skip: mosquittoSkip() }, async () => {
    const password = 'tutorial-only';
    const output = await runBroker(['--protected'], async (url) => {
      const options = { protocolVersion: 5 as const, reconnectPeriod: 0, connectTimeout: 5000 };
      const user = await connectAsync(url, { ...options, username: 'tutorial-consumer', password });
      const granted = await user.subscribeAsync('my_topic', { qos: 1 });
      assert.equal(granted[0]?.qos, 1);
      await user.endAsync();
      await assert.rejects(connectAsync(url, { ...options, username: 'tutorial-consumer', password: 'guess' }), /Not authorized/);
    }, { MQTT_PASSWORD: password });
    assert.match(output, /Protected Mosquitto on localhost:\d+, with scripts\/mosquitto-protected.conf/);
    assert.ok(!output.includes(password));
  });

  it('--protected without MQTT_PASSWORD is invalid usage: one line, exit 2', () => {
    const env = { ...process.env };
    delete env.MQTT_PASSWORD;
    const result = spawnSync(process.execPath, [...brokerArgs, '--protected', '--port', '1'], { encoding: 'utf8', env });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /^broker: --protected needs the users' password in the MQTT_PASSWORD variable/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  });

  it('says plainly when the port is taken, and exits 1', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const result = spawnSync(process.execPath, [...brokerArgs, '--port', String(port)], { encoding: 'utf8' });
    server.close();
    assert.equal(result.status, 1);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`port ${port} is already taken`));
    assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/, 'no stack trace');
  });
});

/** The promise's value, or an error naming what did not come within ms. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Tries a step up to three times, a second apart; the last failure is the test's. */
async function retried<T>(what: string, step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (attempt === 3) throw new Error(`${what}: ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

describe('npm run broker -- --broker nats --nodes 3', { skip: natsSkip() }, () => {
  it('starts three NATS nodes on 127.0.0.1, prints their MQTT URLs, and each keeps a session that another node resumes', async () => {
    const child = spawn(process.execPath, [...brokerArgs, '--broker', 'nats', '--nodes', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const nodeUrls = (): string[] => [...output.matchAll(/^ {2}node \d: (mqtt:\/\/127\.0\.0\.1:\d+)/gm)].map((m) => m[1]!);
      const started = (): boolean => output.includes('Ctrl+C stops it') && nodeUrls().length >= 3;
      await waitFor('the cluster to start and print its nodes', () => started() || child.exitCode !== null, { timeoutMs: 60_000, detail: () => output });
      assert.equal(child.exitCode, null, `the cluster stopped: ${output}`);
      const urls = nodeUrls();
      assert.equal(urls.length, 3, output);
      assert.equal(new Set(urls).size, 3);
      const options = { clientId: 'cluster-broker-test', clean: false, protocolVersion: 4 as const, reconnectPeriod: 0, connectTimeout: 5000 };
      // JetStream may still be settling a session just made: each step is bounded, and tried again a few times.
      await retried('a session made on node 1', async () => {
        const first = await within(10_000, connectAsync(urls[0]!, options), `connecting to ${urls[0]}`);
        try {
          await within(10_000, first.subscribeAsync('t', { qos: 1 }), 'the SUBACK');
        } finally {
          await within(5_000, first.endAsync(), 'closing').catch(() => first.end(true));
        }
      });
      for (const url of urls.slice(1)) {
        const connack = await retried(`a session resumed on ${url}`, async () => {
          const other = connect(url, options);
          try {
            return await within(
              10_000,
              new Promise<IConnackPacket>((resolve, reject) => {
                other.once('connect', resolve);
                other.once('error', reject);
              }),
              `connecting to ${url}`,
            );
          } finally {
            await within(5_000, other.endAsync(), 'closing').catch(() => other.end(true));
          }
        });
        assert.equal(connack.sessionPresent, true, `${url} resumes the session made on ${urls[0]}`);
      }
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, output);
    assert.match(output, /Cluster stopped/);
  });

  it('--port is only for mosquitto and embedded: one line, exit 2', () => {
    const result = spawnSync(process.execPath, [...brokerArgs, '--broker', 'nats', '--nodes', '3', '--port', '1884'], { encoding: 'utf8' });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /^broker: --port is for mosquitto and embedded: the nodes of --broker nats listen on free ports of 127\.0\.0\.1, printed when they start\n$/);
  });
});
