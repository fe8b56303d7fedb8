/** Bad input and faults: one clear line on stderr, a documented exit status, never a stack trace. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { commandArgs } from '../../src/cli/package.js';
import { CliProcess, messageValues } from '../support/cli.js';
import { mosquittoSkip, TestMosquitto, withMosquitto } from '../support/mosquitto.js';


function command(name: 'producer' | 'consumer', args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [...commandArgs(name), ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', MQTT_URL: 'mqtt://127.0.0.1:1' },
    timeout: 20_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function assertUsageError(name: 'producer' | 'consumer', args: string[], pattern: RegExp): void {
  const result = command(name, args);
  assert.equal(result.status, 2, `${name} ${args.join(' ')}: ${result.stderr}`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${result.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

describe('invalid usage exits 2 with one line', () => {
  const cases: Array<['producer' | 'consumer', string[], RegExp]> = [
    ['producer', ['--url', 'http://localhost'], /unsupported URL scheme 'http:\/\/'/],
    ['consumer', ['--url', 'not a url'], /invalid broker URL/],
    ['consumer', ['--url', 'ws://localhost:8080'], /unsupported URL scheme 'ws:\/\/'.*use mqtt:\/\/ or mqtts:\/\//],
    ['consumer', ['-C', '-3'], /count must be from 1/],
    ['consumer', ['-q', '3'], /QoS must be 0, 1 or 2/],
    ['producer', ['--interval', '-1'], /interval must be from 0/],
    ['producer', ['--interval', 'soon'], /interval must be a whole number/],
    ['producer', ['--count', 'x'], /count must be a whole number/],
    ['producer', ['--start', '-5'], /start value must be from 0/],
    ['consumer', ['-x', '4294967296'], /session expiry must be from 0 to 4294967295/],
    ['consumer', ['--id', ''], /a persistent session needs a client id/],
    ['producer', ['-t', 'sensors/+/temp'], /wildcard/],
    ['consumer', ['-t', 'a/#/b'], /# must be a whole level and the last one/],
    ['consumer', ['--bogus'], /unknown option '--bogus'/],
    ['producer', ['-V', '3'], /protocol version must be 5 or 4/],
    ['consumer', ['--url', 'mqtt://127.0.0.1:1,,mqtt://127.0.0.1:2'], /invalid broker URL list .*an empty entry between commas/],
    ['producer', ['--url', 'mqtt://127.0.0.1:1,http://localhost'], /unsupported URL scheme 'http:\/\/' in http:\/\/localhost/],
    ['consumer', ['--url', 'mqtts://127.0.0.1:1,mqtt://127.0.0.1:2', '--ca', 'ca.pem'], /--ca, --cert and --key need mqtts:\/\/ URLs/],
  ];
  for (const [name, args, pattern] of cases) {
    it(`${name} ${args.join(' ')}`, () => assertUsageError(name, args, pattern));
  }
});

describe('faults without a broker', () => {
  it('an unreachable broker is said once, and --connect-timeout gives up with exit 1', () => {
    const result = command('consumer', ['--no-state', '--connect-timeout', '2']);
    assert.equal(result.status, 1, result.stderr);
    assert.equal(result.stdout.split('\n').filter((l) => l.startsWith('Cannot reach')).length, 1, result.stdout);
    assert.match(result.stderr, /^consumer: gave up: no connection to mqtt:\/\/127\.0\.0\.1:1 for 2 s/);
  });

  it('a failing attempt is said again for a new reason, not at every attempt', async () => {
    // One URL refuses the connection, the other reads the CONNECT and closes without a CONNACK: two reasons.
    const closing = net.createServer((socket) => socket.once('data', () => socket.end()));
    await new Promise<void>((resolve) => closing.listen(0, '127.0.0.1', resolve));
    const port = (closing.address() as net.AddressInfo).port;
    try {
      const consumer = CliProcess.consumer(['--no-state', '--url', `mqtt://127.0.0.1:1,mqtt://127.0.0.1:${port}`, '--connect-timeout', '4']);
      assert.equal((await consumer.exitWithin(20_000)).code, 1, consumer.stderr);
      const said = consumer.stdout.split('\n').filter((line) => line.startsWith('Cannot reach'));
      assert.equal(said.length, 2, `each reason once in 4 s of attempts:\n${consumer.stdout}`);
      assert.ok(said[0]!.includes('127.0.0.1:1 '), said[0]);
      assert.ok(said[1]!.includes(`127.0.0.1:${port} (the broker closed the connection without answering the CONNECT`), said[1]);
    } finally {
      closing.close();
    }
  });

  it('--insecure is allowed only with a loud warning', () => {
    const result = command('consumer', ['--no-state', '--url', 'mqtts://127.0.0.1:1', '--insecure', '--connect-timeout', '1']);
    assert.match(result.stderr, /Warning: --insecure: the broker's certificate is NOT checked/);
    assert.match(result.stderr, /gave up: .*ECONNREFUSED/);
  });

  it('a session expiry of 0 with a persistent session warns that nothing is kept', () => {
    const result = command('consumer', ['--no-state', '-x', '0', '--connect-timeout', '1']);
    assert.match(result.stdout, /Warning: a session expiry of 0 ends the session at every disconnect/);
  });

  it('an unusable state file is an error naming the file', () => {
    const result = command('consumer', ['--state', '/etc/hostname/mqtt-persistent-sessions/c.json', '--connect-timeout', '1']);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /\/etc\/hostname\/mqtt-persistent-sessions\/c\.json/);
  });

  it("a checkpoint of another client id or topic filter is refused with exit 2, and left as it was", () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqtt-ps-owner-'));
    try {
      const state = join(dir, 'shared.json');
      const first = command('consumer', ['-i', 'first', '-t', 'a', '--state', state, '--connect-timeout', '1']);
      assert.equal(first.status, 1, first.stderr);
      const saved = readFileSync(state, 'utf8');
      for (const [args, pattern] of [
        [['-i', 'second', '-t', 'a'], /belongs to the client id first, not second/],
        [['-i', 'first', '-t', 'b'], /belongs to the topic filter a, not b/],
      ] as const) {
        const result = command('consumer', [...args, '--state', state, '--connect-timeout', '1']);
        assert.equal(result.status, 2, result.stderr);
        assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
        assert.match(result.stderr, pattern);
      }
      assert.equal(readFileSync(state, 'utf8'), saved, 'the first one\'s accounting is untouched');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a second consumer on a checkpoint in use waits 5 s for it, saying so in one line, then is refused with exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqtt-ps-lock-'));
    const state = join(dir, 'locked.json');
    const first = CliProcess.consumer(['-i', 'locked', '--state', state], { MQTT_URL: 'mqtt://127.0.0.1:1' });
    try {
      await first.waitUntil('the first consumer trying to connect', () => first.stdout.includes('Cannot reach'));
      const startedAt = Date.now();
      const second = command('consumer', ['-i', 'locked', '--state', state, '--connect-timeout', '1']);
      assert.ok(Date.now() - startedAt >= 5000, 'the running owner was waited for');
      assert.equal(second.status, 2, second.stderr);
      assert.deepEqual(second.stdout.trim().split('\n'), [`${state} is in use by process ${first.child.pid}: waiting up to 5.0 s for it to end`]);
      assert.match(second.stderr, new RegExp(`^consumer: the consumer checkpoint ${state} is in use by another process \\(${first.child.pid}\\)`));
    } finally {
      await first.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a password never appears in the output', () => {
    const result = command('consumer', ['--no-state', '--connect-timeout', '1', '--url', 'mqtt://alice:s3cret@127.0.0.1:1']);
    assert.doesNotMatch(result.stdout + result.stderr, /s3cret/);
    assert.match(result.stdout, /mqtt:\/\/alice:\*\*\*@127\.0\.0\.1:1/);
  });
});

describe('faults with a real Mosquitto', { skip: mosquittoSkip() }, () => {
  const mosquitto = withMosquitto('mqtt-ps-faults-');

  it('a payload the producer could not have sent (a word, a negative number) is reported and counted, never a gap, and the consumer goes on', async () => {
    const consumer = CliProcess.consumer(['--url', mosquitto.broker.url, '-i', 'odd-payloads', '-t', 'odd', '--no-state', '--json']);
    await consumer.waitForEvent('subscribed');
    const publish = (payload: string): void => {
      spawnSync('mosquitto_pub', ['-p', String(mosquitto.broker.port), '-h', '127.0.0.1', '-t', 'odd', '-q', '1', '-m', payload]);
    };
    publish('1');
    publish('hello');
    publish('-5');
    publish('2');
    await consumer.waitUntil('value 2', () => consumer.eventsOf('message').length >= 2);
    const exit = await consumer.interrupt();
    assert.deepEqual(consumer.eventsOf('invalid'), [
      { event: 'invalid', topic: 'odd', reason: 'not-a-value', payload: 'hello', truncated: false },
      { event: 'invalid', topic: 'odd', reason: 'not-a-value', payload: '-5', truncated: false },
    ]);
    assert.deepEqual(consumer.eventsOf('gap'), [], 'a payload that is not a counter value never makes a gap');
    assert.deepEqual(messageValues(consumer.events), [1, 2]);
    assert.equal(consumer.eventsOf('summary')[0]!.invalid, 2);
    assert.equal(exit.code, 0);
  });

  it('a payload over 1 MB and malformed user properties are reported, the value still counted, and the consumer goes on', async () => {
    const consumer = CliProcess.consumer(['--url', mosquitto.broker.url, '-i', 'odd-messages', '-t', 'big', '--no-state', '--json']);
    await consumer.waitForEvent('subscribed');
    const big = join(mosquitto.dir, 'big.txt');
    writeFileSync(big, '7'.repeat(1024 * 1024 + 1));
    const publish = (args: string[]): void => {
      const result = spawnSync('mosquitto_pub', ['-V', '5', '-p', String(mosquitto.broker.port), '-h', '127.0.0.1', '-t', 'big', '-q', '1', ...args], { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
    };
    publish(['-m', '1']);
    publish(['-f', big]);
    publish(['-m', '2', '-D', 'publish', 'user-property', 'sent-at', 'yesterday']);
    publish(['-m', '3']);
    await consumer.waitUntil('value 3', () => messageValues(consumer.events).includes(3));
    const exit = await consumer.interrupt();
    assert.deepEqual(consumer.eventsOf('invalid'), [{ event: 'invalid', topic: 'big', reason: 'too-large', bytes: 1048577, limit: 1048576 }]);
    assert.deepEqual(consumer.eventsOf('warning'), [{ event: 'warning', code: 'malformed-property', topic: 'big', property: 'sent-at', value: 'yesterday' }]);
    assert.deepEqual(messageValues(consumer.events), [1, 2, 3]);
    const summary = consumer.eventsOf('summary')[0]!;
    assert.equal(summary.invalid, 1);
    assert.equal(summary.missing, 0);
    assert.equal(exit.code, 0);
  });

  it('given several URLs, the commands connect to the first that answers, say which node, and move to the next when it is lost', async () => {
    const other = await new TestMosquitto().start();
    try {
      const urls = `mqtt://127.0.0.1:1,${mosquitto.broker.url},${other.url}`;
      const consumer = CliProcess.consumer(['--url', urls, '-i', 'listed', '-t', 'listed', '--no-state']);
      await consumer.waitUntil('connected', () => /Connected to/.test(consumer.stdout));
      assert.match(consumer.stdout, new RegExp(`^Connected to ${mosquitto.broker.url} \\(node 2 of 3\\) as listed: new session`, 'm'));
      const producer = CliProcess.producer(['--url', urls, '-t', 'listed', '--count', '1', '--json']);
      assert.equal((await producer.exitWithin(15_000)).code, 0, producer.stderr);
      assert.deepEqual(producer.eventsOf('connected').map((e) => [e.url, e.node, e.nodes]), [[mosquitto.broker.url, 2, 3]]);
      // The node it is connected to is lost: the next one in the list takes over.
      await mosquitto.broker.kill();
      await consumer.waitUntil('a connection to the third URL', () => new RegExp(`^Connected to ${other.url} \\(node 3 of 3\\)`, 'm').test(consumer.stdout), 15_000);
      assert.match(consumer.stdout, /^Connection lost/m);
      assert.match(consumer.stdout, /^SESSION LOST/m, 'another broker has no session of this client, and the consumer says so');
      await consumer.interrupt();
    } finally {
      await mosquitto.broker.start();
      await other.dispose();
    }
  });

  it('a second consumer with the same client id takes the session over: the first names the cause and stops', async () => {
    const args = ['--url', mosquitto.broker.url, '-i', 'twin', '-t', 'twin', '--json'];
    const first = CliProcess.consumer([...args, '--state', join(mosquitto.dir, 'first.json')]);
    await first.waitForEvent('subscribed');
    const producer = CliProcess.producer(['--url', mosquitto.broker.url, '-t', 'twin', '--interval', '5']);
    await first.waitUntil('values', () => first.eventsOf('message').length >= 20);
    const second = CliProcess.consumer([...args, '--state', join(mosquitto.dir, 'second.json')]);
    const firstExit = await first.exitWithin(20_000);
    assert.equal(firstExit.code, 1, first.stderr);
    assert.match(first.stderr, /session was taken over by another client with the client id twin/);
    await second.waitForEvent('subscribed');
    const connections = second.eventsOf('connected').length;
    // 200 values more, 5 ms apart at the least: a loop would have taken the session back meanwhile.
    const received = second.eventsOf('message').length;
    await second.waitUntil('200 more values at the second consumer', () => second.eventsOf('message').length >= received + 200, 30_000);
    assert.equal(second.eventsOf('connected').length, connections, 'once the first has stopped, the second keeps its session: no loop');
    await second.interrupt();
    await producer.interrupt();
    // While the two took the session from each other, the values went to one or the other: a takeover, not a queue limit.
    const causes = [...first.eventsOf('gap'), ...second.eventsOf('gap')].map((gap) => gap.cause);
    assert.deepEqual([...new Set(causes)].filter((cause) => cause !== 'takeover'), [], `gap causes: ${causes.join(', ')}`);
  });
});
