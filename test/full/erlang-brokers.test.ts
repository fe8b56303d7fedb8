/**
 * RabbitMQ (3.10, its MQTT plugin) and ejabberd (23.01, mod_mqtt), each started privately once as one
 * node and once as a 3-node cluster, with the article's scenarios, the fault scenarios and the probes
 * run against them: what each keeps, for how long, what survives a clean restart and the SIGKILL of the
 * consumer's node.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { controlOf, type BrokerCluster } from '../../src/brokers/cluster.js';
import { EjabberdCluster } from '../../src/brokers/ejabberd.js';
import { RabbitCluster } from '../../src/brokers/rabbitmq.js';
import { probeFinding } from '../../src/cli/probe-findings.js';
import { firstAnswer } from '../../src/core/packet-trace.js';
import { acceptedVersions, sharedVerdict } from '../../src/core/probe-facts.js';
import { probeProtocols, probeQos2, probeQueue, probeSessionLifetime } from '../../src/demo/probes.js';
import { probeSharedSubscription } from '../../src/demo/shared-probe.js';
import { ChildCommand } from '../../src/demo/processes.js';
import { findScenario } from '../../src/demo/scenarios.js';
import type { Outcome } from '../../src/demo/story.js';
import { ejabberdSkip, rabbitmqSkip } from '../support/erlang.js';

const dir = mkdtempSync(join(tmpdir(), 'mqtt-ps-erlang-'));
const started: BrokerCluster[] = [];
after(async () => {
  await ChildCommand.killAll();
  await Promise.all(started.map((cluster) => cluster.dispose()));
  rmSync(dir, { recursive: true, force: true });
});

async function start<T extends BrokerCluster>(cluster: Promise<T>): Promise<T> {
  const running = await cluster;
  started.push(running);
  return running;
}

/** Runs a scenario; returns what it observed, with its story for the assertion messages. */
async function replay(name: string, cluster: BrokerCluster, protocolVersion: 4 | 5, faults = false): Promise<Outcome & { story: string }> {
  const lines: string[] = [];
  const outcome = await findScenario(name)!.run({
    url: cluster.urls.join(','),
    intervalMs: 100,
    dir,
    tag: `${name}-${Date.now().toString(36)}`,
    say: (line) => lines.push(line),
    cluster: faults ? controlOf(cluster) : undefined,
    protocolVersion,
  });
  return { ...outcome, story: `${name}: ${outcome.observed}\n${lines.join('\n')}\n${JSON.stringify(outcome.facts)}` };
}

describe('RabbitMQ 3.10 (MQTT 3.1.1)', { skip: rabbitmqSkip() }, () => {
  let node: RabbitCluster | undefined;
  const one = async (): Promise<RabbitCluster> => (node ??= await start(new RabbitCluster({ size: 1 }).start()));

  it('speaks MQTT 3.1.1 only: an MQTT 5 CONNECT is closed without a CONNACK', async () => {
    const probe = await probeProtocols((await one()).urls[0]!);
    assert.deepEqual(acceptedVersions(probe.facts), [4], probeFinding(probe));
    assert.deepEqual(probe.facts.attempts[0]!.answer, { answer: 'closed' }, probeFinding(probe));
    assert.match(probeFinding(probe), /^MQTT 5: the connection closed without a CONNACK; MQTT 3\.1\.1: CONNACK 0 \(accepted\)$/);
  });

  it('a consumer that connects with MQTT 5, the default, is told to try -V 4', async () => {
    const consumer = ChildCommand.consumer(['--url', (await one()).urls[0]!, '--no-state', '--connect-timeout', '3']);
    const exit = await consumer.exitWithin(15_000);
    assert.equal(exit.code, 1);
    assert.match(consumer.stdout, /the broker closed the connection without answering the CONNECT; .* try -V 4\); retrying/);
    assert.match(consumer.stderr, /^consumer: gave up: .*try -V 4\)$/m);
  });

  it('a persistent session keeps what was sent while the consumer was away', async () => {
    const run = await replay('persistent', await one(), 4);
    assert.equal(run.facts.sessionResumed, true, run.story);
    assert.equal(run.facts.firstAfter, (run.facts.lastBefore as number) + 1, run.story);
    assert.equal(run.facts.missing, 0, run.story);
    assert.equal(run.verdict, 'PASS', run.story);
  });

  it('queues QoS 0 values for an offline session too: the qos0 claim does not hold', async () => {
    const run = await replay('qos0', await one(), 4);
    assert.equal(run.facts.sessionResumed, true, run.story);
    assert.ok((run.facts.deliveredFromAway as number) >= 5, `the QoS 0 values sent while away arrived: ${run.story}`);
    assert.equal(run.facts.deliveredFromAway, run.facts.sentWhileAway, run.story);
    assert.equal(run.verdict, 'FAIL', run.story);
  });

  it('grants QoS 1 for QoS 2 and answers a QoS 2 PUBLISH with a PUBACK, not a PUBREC; keeps a backlog of 10,000 whole', async () => {
    const url = (await one()).urls[0]!;
    const qos2 = await probeQos2(url, 4);
    assert.deepEqual(qos2.facts.subscribe, { answer: 'SUBACK', code: 1 }, probeFinding(qos2));
    assert.equal(firstAnswer(qos2.facts.publish!), 'PUBACK', probeFinding(qos2));
    assert.deepEqual(qos2.facts.delivered, { topic: qos2.facts.delivered?.topic, payload: '1', qos: 1, steps: ['PUBACK'] }, probeFinding(qos2));
    assert.match(probeFinding(qos2), /SUBACK granted QoS 1; PUBLISH QoS 2 answered by PUBACK \(not PUBREC\): the broker took it as QoS 1; delivered as PUBLISH QoS 1 \(PUBACK sent\)/);
    const queue = await probeQueue(url, 4);
    assert.equal(queue.facts.round.answered.PUBACK, 10_000, probeFinding(queue));
    assert.equal(queue.facts.round.back.answer === 'CONNACK' && queue.facts.round.back.sessionPresent, true, probeFinding(queue));
    assert.equal(queue.facts.round.received, 10_000, probeFinding(queue));
  });

  it('takes $share/GROUP/TOPIC as a plain topic name: granted, but nothing published to TOPIC reaches the members', async () => {
    const shared = await probeSharedSubscription((await one()).urls[0]!, 4);
    assert.deepEqual(shared.facts.members.map((m) => [m.subscribe, m.received.length, m.literal]), [[{ answer: 'SUBACK', code: 1 }, 0, true], [{ answer: 'SUBACK', code: 1 }, 0, true]], probeFinding(shared));
    assert.equal(sharedVerdict(shared.facts), 'plain topic name', probeFinding(shared));
    assert.match(probeFinding(shared), /taken as a plain topic name/);
  });

  it('a clean restart keeps the session and every value queued for it', async () => {
    const run = await replay('clean-restart', await one(), 4, true);
    assert.equal(run.facts.acknowledged, 200, run.story);
    assert.equal(run.facts.sessionResumed, true, run.story);
    assert.equal(run.facts.lostValues, '', run.story);
    assert.equal(run.verdict, 'PASS', run.story);
  });

  it('3 nodes, default classic queues: a node killed while the consumer is away takes its queued values with it', async () => {
    await node?.dispose();
    node = undefined;
    const cluster = await start(new RabbitCluster({ size: 3 }).start());
    const run = await replay('kill-while-away', cluster, 4, true);
    assert.equal(run.facts.acknowledged, 500, run.story);
    assert.equal(run.facts.lost, 500, `every value queued on the dead node is unavailable: ${run.story}`);
    assert.equal(run.facts.sessionResumed, false, run.story);
    assert.equal(run.verdict, 'FAIL', run.story);
    await cluster.dispose();
  });

  for (const [queueType, what] of [
    ['mirrored', 'classic queues mirrored on every node by a policy: the same kill loses nothing'],
    ['quorum', 'quorum queues: the same kill loses nothing, the session resumes on another node'],
  ] as const) {
    it(`3 nodes, ${what}`, async () => {
      const cluster = await start(new RabbitCluster({ size: 3, queueType }).start());
      const run = await replay('kill-while-away', cluster, 4, true);
      assert.equal(run.facts.acknowledged, 500, run.story);
      assert.equal(run.facts.lostValues, '', run.story);
      assert.equal(run.facts.sessionResumed, true, run.story);
      assert.equal(run.verdict, 'PASS', run.story);
      await cluster.dispose();
    });
  }
});

describe('ejabberd 23.01 (mod_mqtt, MQTT 5 and 3.1.1)', { skip: ejabberdSkip() }, () => {
  let node: EjabberdCluster | undefined;
  const one = async (): Promise<EjabberdCluster> => (node ??= await start(new EjabberdCluster({ size: 1 }).start()));

  it('speaks MQTT 5 and 3.1.1; a persistent session keeps what was sent while the consumer was away', async () => {
    const cluster = await one();
    const probe = await probeProtocols(cluster.urls[0]!);
    assert.deepEqual(acceptedVersions(probe.facts), [5, 4], probeFinding(probe));
    const run = await replay('persistent', cluster, 5);
    assert.equal(run.facts.sessionResumed, true, run.story);
    assert.equal(run.facts.missing, 0, run.story);
    assert.equal(run.verdict, 'PASS', run.story);
  });

  it('honours a short session expiry and grants at most 300 s when asked for an hour', async () => {
    const cluster = await one();
    const run = await replay('session-expiry', cluster, 5);
    assert.equal(run.facts.expiredSessionResumed, false, run.story);
    assert.equal(run.facts.keptSessionResumed, true, run.story);
    assert.equal(run.verdict, 'PASS', run.story);
    const lifetime = await probeSessionLifetime(cluster.urls[0]!, 5);
    assert.equal(lifetime.facts.long.made.answer === 'CONNACK' && lifetime.facts.long.made.sessionExpiry, 300, probeFinding(lifetime));
    assert.equal(lifetime.facts.short?.back.answer === 'CONNACK' && lifetime.facts.short.back.sessionPresent, false, probeFinding(lifetime));
    assert.match(probeFinding(lifetime), /CONNACK session expiry 300 s; back after 3 s: CONNACK session present 1; asked 1 s, back after 3 s: CONNACK session present 0: honoured/);
  });

  it('refuses $share/GROUP/TOPIC: a DISCONNECT 0x9E in MQTT 5, the connection closed in 3.1.1', async () => {
    const url = (await one()).urls[0]!;
    const v5 = await probeSharedSubscription(url, 5);
    assert.deepEqual(v5.facts.members[0]!.subscribe, { answer: 'DISCONNECT', reasonCode: 0x9e }, probeFinding(v5));
    const v311 = await probeSharedSubscription(url, 4);
    assert.deepEqual(v311.facts.members[0]!.subscribe, { answer: 'closed' }, probeFinding(v311));
    assert.equal(sharedVerdict(v311.facts), 'refused', probeFinding(v311));
  });

  it('ends the whole session, and every value queued for it, once a backlog passes about 5,000', async () => {
    const queue = await probeQueue((await one()).urls[0]!, 5, 6000);
    assert.equal(queue.facts.round.back.answer === 'CONNACK' && queue.facts.round.back.sessionPresent, false, `CONNACK session present 0: ${probeFinding(queue)}`);
    assert.equal(queue.facts.round.answered.PUBACK, 6000, probeFinding(queue));
    assert.equal(queue.facts.round.received, 0, `nothing of the 6,000 came back: ${probeFinding(queue)}`);
    assert.ok(queue.facts.halving!.kept >= 4900, probeFinding(queue));
    assert.ok(queue.facts.halving!.endedAt <= 6000, probeFinding(queue));
  });

  it('keeps sessions in memory only: a clean restart ends the session and loses every value queued for it', async () => {
    const run = await replay('clean-restart', await one(), 5, true);
    assert.equal(run.facts.acknowledged, 200, run.story);
    assert.equal(run.facts.sessionResumed, false, run.story);
    assert.equal(run.facts.lost, 200, run.story);
    assert.equal(run.verdict, 'FAIL', run.story);
  });

  it('3 nodes: the session lives on one node; SIGKILLed while the consumer is away, the session and its queued values are gone', async () => {
    await node?.dispose();
    node = undefined;
    const cluster = await start(new EjabberdCluster({ size: 3 }).start());
    const run = await replay('kill-while-away', cluster, 5, true);
    assert.equal(run.facts.acknowledged, 500, run.story);
    assert.equal(run.facts.sessionResumed, false, `no other node had the session: ${run.story}`);
    assert.equal(run.facts.lost, 500, run.story);
    assert.equal(run.verdict, 'FAIL', run.story);
    await cluster.dispose();
  });
});
