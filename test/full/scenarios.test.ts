/**
 * Every claim of the article, replayed on each broker it applies to (the embedded one always, Mosquitto
 * when installed), checked by what each story observed, not only by its verdict.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startEmbeddedBroker } from '../../src/brokers/embedded.js';
import { PrivateMosquitto } from '../../src/brokers/mosquitto.js';
import { ChildCommand } from '../../src/demo/processes.js';
import { controlOf } from '../../src/brokers/cluster.js';
import { NatsCluster } from '../../src/brokers/nats.js';
import { notApplicable } from '../../src/demo/run.js';
import { clusterScenarios, findScenario, scenarios } from '../../src/demo/scenarios.js';
import { bridgeSetUps } from '../../src/demo/scenarios/bridge.js';
import { stopScenarioBrokers, type Facts, type Scenario } from '../../src/demo/story.js';
import { mosquittoSkip } from '../support/mosquitto.js';
import { natsSkip } from '../support/nats.js';

const dir = mkdtempSync(join(tmpdir(), 'mqtt-ps-scenarios-'));
after(async () => {
  await ChildCommand.killAll();
  await stopScenarioBrokers();
  rmSync(dir, { recursive: true, force: true });
});

/** What each story must have observed; values arrive every 100 ms, so "about ten" while away for a second. */
const expectations: Record<string, (facts: Facts) => void> = {
  persistent(facts) {
    assert.ok((facts.joinedAt as number) > 1, 'the consumer joined late, after the first values');
    assert.equal(facts.gapsOnJoining, 0, 'joining late is not a gap');
    assert.equal(facts.sessionResumed, true, 'the broker kept the session');
    assert.equal(facts.firstAfter, (facts.lastBefore as number) + 1, 'the first value after the return is the one right after the last before');
    assert.equal(facts.resumeMissed, 0);
    assert.ok((facts.queued as number) >= 5, `about ten values waited in the broker, ${String(facts.queued)} reported`);
    assert.equal(facts.consecutiveAfter, true, 'nothing skipped or repeated after the return');
    assert.equal(facts.missing, 0);
    assert.equal(facts.exit, 0);
  },
  'clean-session'(facts) {
    assert.equal(facts.sessionResumed, false);
    assert.equal(facts.gapFrom, (facts.lastBefore as number) + 1, 'the gap starts right after the last value before leaving');
    assert.ok((facts.missing as number) >= 5, `about ten values were sent while away, ${String(facts.missing)} reported`);
    assert.equal(facts.cause, 'clean-session');
    assert.equal(facts.exit, 3, 'values are missing: exit status 3');
  },
  qos0(facts) {
    assert.equal(facts.sessionResumed, true, 'the session itself was kept');
    assert.equal(facts.deliveredFromAway, 0, 'none of the values sent while away arrived');
    assert.equal(facts.queued, 0, 'nothing was queued');
    assert.ok((facts.missing as number) >= 5, `about ten values lost, ${String(facts.missing)} reported`);
    assert.equal(facts.cause, 'qos0');
    assert.equal(facts.exit, 3);
  },
  'session-expiry'(facts) {
    assert.equal(facts.expiredSessionResumed, false, 'the session expired');
    assert.equal(facts.sessionLostReported, true);
    assert.ok((facts.expiredMissing as number) >= 15, `about 25 values were sent while away, ${String(facts.expiredMissing)} reported`);
    assert.equal(facts.expiredCause, 'session-lost');
    assert.equal(facts.expiredExit, 3);
    assert.equal(facts.keptSessionResumed, true, 'away for less than the expiry, the session is kept');
    assert.equal(facts.keptMissing, 0);
  },
  'broker-restart'(facts) {
    assert.equal(facts['on.sessionResumed'], true, 'with persistence the session survives the restart');
    assert.equal(facts['on.missing'], 0);
    assert.equal(facts['on.exit'], 0);
    assert.equal(facts['off.sessionResumed'], false, 'without persistence the session is gone');
    assert.equal(facts['off.sessionLostReported'], true);
    assert.ok((facts['off.missing'] as number) > 0, 'and the values queued for it with it');
  },
  'queue-limit'(facts) {
    assert.ok((facts.dropped as number) >= 20, `about 40 values beyond the limit of 20 were dropped, ${String(facts.dropped)} seen`);
    assert.ok((facts.kept as number) <= (facts.limit as number), `no more than the limit was kept, ${String(facts.kept)} seen`);
    assert.ok((facts.kept as number) >= (facts.limit as number) - 1, `the limit was used, ${String(facts.kept)} kept`);
    assert.equal(facts.exactlyThoseDropped, true, 'the values reported missing are exactly those the broker dropped');
    assert.equal(facts.causes, 'queue-limit');
    assert.equal(facts.exit, 3);
  },
  'offline-producer'(facts) {
    assert.ok((facts.kept as number) >= 5, `about 15 values counted during the outage, ${String(facts.kept)} kept`);
    assert.equal(facts.missing, 0);
    assert.equal(facts.gaps, 0);
    assert.equal(facts.exit, 0);
  },
  bridge(facts) {
    for (const setUp of bridgeSetUps) {
      const fact = (name: string): Facts[string] | undefined => facts[`${setUp.name}.${name}`];
      assert.equal(fact('unacknowledged'), 0, `${setUp.name}: the edge acknowledged every value`);
      assert.ok((fact('duringOutage') as number) >= 30, `${setUp.name}: 30 values or more were sent while the link was down`);
      if (setUp.keepsAll) assert.equal(fact('lostValues'), '', `${setUp.name}: no acknowledged value lost`);
    }
    assert.ok((facts['durable.acknowledged'] as number) >= 40, 'the values before, during and after the outage');
    // What was sent during the outage, give or take the values in flight when the link went.
    assert.ok((facts['no-persistence.lost'] as number) >= 20, 'the restart without persistence lost what the edge had queued');
    assert.ok((facts['clean-session.lost'] as number) >= 20, 'a clean local session queues nothing while the link is down');
    assert.ok((facts['qos0.lost'] as number) >= 20, 'QoS 0 on the bridge queues nothing while the link is down');
    const kept = facts['queue-limit.keptFromOutage'] as number;
    assert.ok(kept >= 8 && kept <= 12, `the edge kept about its limit of 10 of the values sent during the outage, ${kept} kept`);
    assert.ok((facts['queue-limit.lost'] as number) >= (facts['queue-limit.duringOutage'] as number) - 12, 'and dropped the rest');
  },
  group(facts) {
    assert.ok((facts.sentWhileAway as number) >= 10, `about 20 values were sent while member b was away, ${String(facts.sentWhileAway)} seen`);
    assert.equal(facts.memberGaps, 0, 'no member reports as missing what went to the other');
    assert.equal(facts.memberExits, '0,0');
    assert.equal(facts.reportExit, 0);
    assert.equal(facts.values, facts.sent, 'the report spans every value sent');
    assert.equal(facts.deliveredOnce, facts.sent, 'every value reached exactly one member');
    assert.equal(facts.missing, 0);
    assert.equal(facts.deliveredTwice, 0);
    assert.equal((facts.receivedByA as number) + (facts.receivedByB as number), facts.sent, 'the shares add up');
    assert.ok((facts.waited as number) >= 5, `Mosquitto holds about half of what was sent while away for the absent member, ${String(facts.waited)} waited`);
    assert.equal(facts.waited, facts.queuedForB, 'what waited is what b got from its queue');
    assert.ok((facts.longestWaitMs as number) >= 1000, `the oldest waited about 2 s, ${String(facts.longestWaitMs)} ms reported`);
  },
  // The fault scenarios on a 3-node NATS cluster: the headline is 0 acknowledged values lost.
  'kill-consumer-node'(facts) {
    assert.equal(facts.acknowledged, 5000);
    assert.equal(facts.lostValues, '', 'no acknowledged value lost');
    assert.equal(facts.sessionResumed, true, 'the session resumed on another node');
    assert.equal(facts.otherNode, true);
    assert.ok((facts.delivered as number) >= 5000);
    assert.ok(facts.failoverMs !== null && (facts.failoverMs as number) < 30_000, `failover ${String(facts.failoverMs)} ms`);
  },
  'kill-while-away'(facts) {
    assert.equal(facts.acknowledged, 500);
    assert.equal(facts.lostValues, '', 'no acknowledged value lost');
    assert.equal(facts.sessionResumed, true, 'the queued values were on the other nodes too');
    assert.ok(facts.failoverMs !== null && (facts.failoverMs as number) < 30_000, `failover ${String(facts.failoverMs)} ms`);
  },
  'pause-node'(facts) {
    assert.equal(facts.acknowledged, 1000);
    assert.equal(facts.lostValues, '', 'no acknowledged value lost');
    assert.equal(facts.deadLinkNoticed, true, 'a keep-alive of 2 s notices a 6 s pause');
    assert.ok((facts.noticedMs as number) <= 3000 + 1000, `noticed after ${String(facts.noticedMs)} ms, more than 1.5 times the keep-alive`);
    assert.equal(facts.sessionResumed, true);
    assert.equal(facts.missingAtEnd, 0, 'gaps reported at the failover are filled in the end');
  },
  'clean-restart'(facts) {
    assert.equal(facts.acknowledged, 200);
    assert.equal(facts.lostValues, '', 'no acknowledged value lost');
    assert.equal(facts.sessionResumed, true, 'the session survived the restart');
    assert.ok((facts.delivered as number) >= 200);
  },
  'restart-node'(facts) {
    assert.equal(facts.acknowledged, 300);
    assert.equal(facts.lostValues, '', 'no acknowledged value lost');
    assert.equal(facts.sessionResumed, true, 'the restarted node knows the session');
    // QoS 1 is at least once: a value the broker sends again is a duplicate the scenario reports, not a failure.
    assert.ok((facts.delivered as number) >= 300, `${String(facts.delivered)} delivered`);
    assert.equal(facts.duplicates, (facts.delivered as number) - 300, 'every delivery beyond one a value is reported as a duplicate');
  },
  'kill-producer-node'(facts) {
    assert.equal(facts.acknowledged, 5000);
    assert.equal(facts.lostValues, '', 'no acknowledged value lost');
    assert.equal(facts.killedWhilePublishing, true, 'the node died while the producer was publishing');
    assert.equal(facts.producerReconnected, true, 'the producer went on through node 3');
    assert.ok((facts.sentBeforeKill as number) < 5000, 'the node died while the producer was publishing');
    assert.ok(facts.failoverMs !== null && (facts.failoverMs as number) < 30_000, `failover ${String(facts.failoverMs)} ms`);
  },
  keepalive(facts) {
    assert.equal(facts.reason, 'keepalive-timeout');
    assert.ok((facts.noticedMs as number) <= 3000 + 1000, `noticed after ${String(facts.noticedMs)} ms, more than 1.5 times the keep-alive`);
    assert.ok((facts.noticedMs as number) >= 1000, `noticed after ${String(facts.noticedMs)} ms: sooner than a keep-alive can tell`);
    assert.equal(facts.sessionResumed, true);
    assert.equal(facts.missing, 0);
    assert.equal(facts.gaps, 0);
    assert.equal(facts.exit, 0);
  },
};

async function replay(scenario: Scenario, url: string, cluster?: NatsCluster): Promise<void> {
  const lines: string[] = [];
  const outcome = await scenario.run({ url, intervalMs: 100, dir, tag: `${scenario.name}-${Date.now().toString(36)}`, say: (line) => lines.push(line), cluster: cluster && controlOf(cluster), protocolVersion: cluster ? 4 : 5 });
  const story = `${scenario.name}: ${outcome.observed}\n${lines.join('\n')}\n${JSON.stringify(outcome.facts)}`;
  const expect = expectations[scenario.name];
  assert.ok(expect, `no expectations written for ${scenario.name}`);
  try {
    expect(outcome.facts);
  } catch (error) {
    (error as Error).message += `\n${story}`;
    throw error;
  }
  assert.equal(outcome.verdict, 'PASS', story);
}

describe('the article on the embedded broker', () => {
  // group is not applicable there: Aedes refuses $share/GROUP/TOPIC (test/probes.test.ts).
  for (const scenario of scenarios.filter((s) => !s.needsMosquitto && !s.needsStartedBroker && s.name !== 'group')) {
    it(`${scenario.name}: ${scenario.title}`, async () => {
      const broker = await startEmbeddedBroker(0);
      try {
        await replay(scenario, broker.url);
      } finally {
        await broker.close();
      }
    });
  }
});

describe('the article on Mosquitto', { skip: mosquittoSkip() }, () => {
  // The Mosquitto-only scenarios start Mosquittos of their own, with the settings they show;
  // clean-restart is broker-restart's question for the brokers whose nodes the demo starts.
  for (const scenario of scenarios.filter((s) => !s.needsStartedBroker)) {
    it(`${scenario.name}: ${scenario.title}`, async () => {
      const broker = await new PrivateMosquitto().start();
      try {
        await replay(scenario, broker.url);
      } finally {
        await broker.dispose();
      }
    });
  }
});

describe('the fault scenarios on a 3-node NATS cluster', { skip: natsSkip() }, () => {
  // One cluster for the file; each scenario first heals it (every node running and awake).
  let cluster: NatsCluster | undefined;
  after(async () => {
    await ChildCommand.killAll();
    await cluster?.dispose();
  });
  // The partition scenarios need nodes in network namespaces: test/full/partitions.test.ts runs them.
  const faults = clusterScenarios.filter((scenario) => !scenario.needsActions?.some((action) => action === 'isolate' || action === 'disconnect'));
  for (const scenario of [...faults, findScenario('clean-restart')!]) {
    it(`${scenario.name}: ${scenario.title}`, async () => {
      cluster ??= await new NatsCluster({ size: 3 }).start();
      await replay(scenario, cluster.urls.join(','), cluster);
    });
  }
});

describe('the article on one NATS node (MQTT 3.1.1, as the matrix runs it)', { skip: natsSkip() }, () => {
  let node: NatsCluster | undefined;
  after(async () => {
    await ChildCommand.killAll();
    await node?.dispose();
  });
  const target = { kind: 'nats', nodes: 1, protocolVersion: 4 } as const;

  it('marks what MQTT 3.1.1 or a single broker cannot express as not applicable, with the reason', () => {
    assert.match(notApplicable(findScenario('session-expiry')!, target) ?? '', /MQTT 3\.1\.1 has no session expiry/);
    assert.match(notApplicable(findScenario('kill-consumer-node')!, target) ?? '', /nodes of a cluster of 3 nodes or more that the demo starts/);
    assert.match(notApplicable(findScenario('kill-consumer-node')!, { ...target, nodes: 2 }) ?? '', /3 nodes or more/, 'two nodes are too few to lose one');
    assert.equal(notApplicable(findScenario('kill-consumer-node')!, { ...target, nodes: 3 }), undefined, 'the fault scenarios run on 3 nodes the demo started');
    assert.match(notApplicable(findScenario('kill-consumer-node')!, { kind: 'url', nodes: 3, protocolVersion: 4 }) ?? '', /that the demo starts/, 'never on a running broker');
    assert.match(notApplicable(findScenario('queue-limit')!, target, true) ?? '', /private Mosquitto of its own/);
    assert.equal(notApplicable(findScenario('persistent')!, target), undefined);
    assert.equal(notApplicable(findScenario('clean-restart')!, target), undefined);
    assert.match(notApplicable(findScenario('clean-restart')!, { kind: 'mosquitto', nodes: 1, protocolVersion: 5 }) ?? '', /broker-restart does/);
    assert.equal(notApplicable(findScenario('session-expiry')!, { kind: 'mosquitto', nodes: 1, protocolVersion: 5 }), undefined);
  });

  for (const name of ['persistent', 'qos0']) {
    it(`${name} holds on NATS with -V 4`, async () => {
      node ??= await new NatsCluster({ size: 1 }).start();
      const lines: string[] = [];
      const outcome = await findScenario(name)!.run({ url: node.urls[0]!, intervalMs: 100, dir, tag: `nats-${name}-${Date.now().toString(36)}`, say: (line) => lines.push(line), protocolVersion: 4 });
      const story = `${outcome.observed}\n${lines.join('\n')}\n${JSON.stringify(outcome.facts)}`;
      assert.equal(outcome.facts.sessionResumed, true, story);
      if (name === 'persistent') {
        assert.equal(outcome.facts.firstAfter, (outcome.facts.lastBefore as number) + 1, story);
        assert.equal(outcome.facts.missing, 0, story);
      } else {
        assert.equal(outcome.facts.deliveredFromAway, 0, `QoS 0 values sent while away are not kept: ${story}`);
      }
      assert.equal(outcome.verdict, 'PASS', story);
    });
  }

  it('clean-restart: a session and its 200 queued values survive a clean restart of the node', async () => {
    node ??= await new NatsCluster({ size: 1 }).start();
    await replay(findScenario('clean-restart')!, node.urls[0]!, node);
  });
});
