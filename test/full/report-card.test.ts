/**
 * The report card runs against a broker that is not the project's: afterwards the broker keeps exactly
 * what it kept before (stored sessions, their subscriptions, retained messages), as Mosquitto's own $SYS
 * counts say, read by mosquitto_sub.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { ChildCommand } from '../../src/demo/processes.js';
import { freePort } from '../../src/brokers/ports.js';
import { createDemoRun } from '../../src/demo/run.js';
import { endSession } from '../../src/demo/sessions.js';
import { consumer, names, type Scenario } from '../../src/demo/story.js';
import { mosquittoSkip, SysCounts, TestMosquitto } from '../support/mosquitto.js';

/** What a user of the broker keeps there already: a stored session with a subscription, a retained message. */
function userState(port: number): void {
  const session = spawnSync('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-i', 'someone-else', '-c', '-q', '1', '-t', 'user/orders', '-E'], { encoding: 'utf8' });
  assert.equal(session.status, 0, session.stderr);
  const retained = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-r', '-t', 'user/status', '-m', 'up'], { encoding: 'utf8' });
  assert.equal(retained.status, 0, retained.stderr);
}

describe('the report card leaves the broker as it found it', { skip: mosquittoSkip() }, () => {
  it('after a full report card on a Mosquitto with persistence, its stored sessions, subscriptions and retained messages are those it had before', async () => {
    const broker = await new TestMosquitto({ config: ['sys_interval 1'] }).start();
    const counts = new SysCounts(broker.port);
    try {
      userState(broker.port);
      const before = await counts.settled();
      assert.equal(before['clients/disconnected'], 1, `the user's stored session is counted: ${JSON.stringify(before)}`);
      // The shortest interval: the report card's length is then mostly its probes and fixed waits.
      const demo = ChildCommand.demo(['--url', broker.url, '--interval', '10']);
      const exit = await demo.exitWithin(240_000);
      const output = `exit ${String(exit.code)}\n${demo.stdout.slice(-2500)}\n${demo.stderr.slice(-1000)}`;
      assert.match(demo.stdout, /^Probe\s+Finding$/m, `the whole report card ran, claims and probes:\n${output}`);
      const after = await counts.settled();
      assert.deepEqual(after, before, `what the broker keeps, before and after the report card:\n${output}`);
    } finally {
      counts.close();
      await broker.dispose();
    }
  });

  it('a story that stops half-way still ends the session it made, in MQTT 5 and in 3.1.1', async () => {
    const broker = await new TestMosquitto({ config: ['sys_interval 1'] }).start();
    const counts = new SysCounts(broker.port);
    try {
      userState(broker.port);
      const before = await counts.settled();
      for (const protocolVersion of [5, 4] as const) {
        let during: Record<string, number> = {};
        const stopsHalfWay: Scenario = {
          name: 'stops-half-way',
          title: 'A story that stops half-way',
          claim: 'none: its consumer subscribes, then the story stops',
          needsMosquitto: false,
          async run(context) {
            const { topic, id, state } = names(context, 'stops-half-way');
            const member = consumer(context, context.url, id, topic, state);
            await member.waitForEvent('subscribed');
            during = await counts.settled();
            throw new Error('the broker never delivered what the claim waits for');
          },
        };
        const lines: string[] = [];
        const demo = createDemoRun({ url: broker.url, description: 'a Mosquitto', target: { kind: 'url', nodes: 1, protocolVersion }, close: async () => {} }, (line = '') => lines.push(line));
        try {
          const [result] = await demo.run([stopsHalfWay], 100);
          assert.equal(result?.outcome.verdict, 'FAIL', lines.join('\n'));
          assert.match(result.outcome.observed, /the story stopped: the broker never delivered/);
        } finally {
          await demo.stop();
        }
        assert.equal(during['subscriptions/count'], before['subscriptions/count']! + 1, `MQTT ${protocolVersion}: the consumer subscribed while the story ran`);
        assert.deepEqual(await counts.settled(), before, `MQTT ${protocolVersion}: what the broker keeps, before the story and after it stopped:\n${lines.join('\n')}`);
      }
    } finally {
      counts.close();
      await broker.dispose();
    }
  });

  it('a report card stopped with Ctrl+C in the middle of a claim ends its sessions before it exits', async () => {
    const broker = await new TestMosquitto({ config: ['sys_interval 1'] }).start();
    const counts = new SysCounts(broker.port);
    try {
      userState(broker.port);
      const before = await counts.settled();
      const demo = ChildCommand.demo(['--url', broker.url]);
      // The consumer of the first claim has left: its session waits in the broker, the producer still runs.
      await demo.waitUntil('a consumer away', () => demo.stdout.includes('The consumer leaves'), 60_000);
      demo.signal('SIGINT');
      const exit = await demo.exitWithin(30_000);
      assert.equal(exit.code, 130, demo.stderr);
      assert.deepEqual(await counts.settled(), before, `what the broker keeps, before the report card and after it was stopped:\n${demo.stdout.slice(-2000)}`);
    } finally {
      counts.close();
      await broker.dispose();
    }
  });
});

describe('ending a session', { skip: mosquittoSkip() }, () => {
  it('goes through the first address of a cluster list that answers, and ends a 3.1.1 session stored with mosquitto_sub -c', async () => {
    const broker = await new TestMosquitto({ config: ['sys_interval 1'] }).start();
    const counts = new SysCounts(broker.port);
    try {
      const before = await counts.settled();
      const stored = spawnSync('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(broker.port), '-V', 'mqttv311', '-i', 'left-behind', '-c', '-q', '1', '-t', 'a/b', '-E'], { encoding: 'utf8' });
      assert.equal(stored.status, 0, stored.stderr);
      assert.equal((await counts.settled())['clients/disconnected'], before['clients/disconnected']! + 1, 'the session is stored');
      await endSession(`mqtt://127.0.0.1:${await freePort()},${broker.url}`, 'left-behind', 4);
      assert.deepEqual(await counts.settled(), before);
    } finally {
      counts.close();
      await broker.dispose();
    }
  });

  it('gives up within about 5 s on an address that accepts the connection and never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const started = Date.now();
    try {
      await assert.rejects(endSession(`mqtt://127.0.0.1:${port}`, 'never-answered', 5), /no answer within 5 s/);
      const tookMs = Date.now() - started;
      assert.ok(tookMs >= 4500 && tookMs < 8000, `gave up after ${tookMs} ms`);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});

after(() => ChildCommand.killAll());
