/**
 * The article's faults judged from the history alone: the consumer's link stalled (keepalive), the
 * producer's link cut and restored (offline-producer), a broker restarted with persistence and another
 * without (broker-restart); and their observed lines.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Chalk } from 'chalk';
import { verdictLines } from '../src/cli/history-lines.js';
import { restartedBrokers, restartOutcome } from '../src/core/broker-restart.js';
import { judgeFaultHistory, keepaliveSeconds } from '../src/core/fault-verdicts.js';
import type { Operation } from '../src/core/history.js';

const plain = new Chalk({ level: 0 });

/** Operations of one scenario; times in ms, as the demo records them. */
function language(scenario: string) {
  return {
    sent: (time: number, value: number): Operation => ({ scenario, process: 'producer-1', time, f: 'publish', type: 'invoke', stream: 't', value }),
    acked: (time: number, value: number): Operation => ({ scenario, process: 'producer-1', time, f: 'publish', type: 'ok', stream: 't', value }),
    unknown: (time: number, value: number): Operation => ({ scenario, process: 'producer-1', time, f: 'publish', type: 'info', stream: 't', value }),
    delivered: (time: number, value: number): Operation => ({ scenario, process: 'consumer-1', time, f: 'deliver', type: 'ok', stream: 't', value, session: 'c', node: null }),
    connected: (time: number, present: boolean): Operation => ({ scenario, process: 'consumer-1', time, f: 'connect', type: 'ok', role: 'consumer', session: 'c', node: null, sessionPresent: present }),
    subscribed: (time: number): Operation => ({ scenario, process: 'consumer-1', time, f: 'subscribe', type: 'ok', stream: 't', session: 'c', node: null }),
    lostLink: (time: number): Operation => ({ scenario, process: 'consumer-1', time, f: 'connect', type: 'info', role: 'consumer', session: 'c', node: null, sessionPresent: null }),
    fault: (time: number, kind: 'stall' | 'cut' | 'restore', target: string): Operation => ({ scenario, process: 'nemesis', time, f: 'fault', type: 'invoke', kind, node: null, target }),
  };
}

const withoutValue = (history: Operation[], value: number, f: Operation['f']): Operation[] => history.filter((op) => !(op.f === f && 'value' in op && op.value === value));

describe('keepalive: the consumer\'s link stalled, judged from the history', () => {
  const at = language('keepalive');
  // Values 1..4 acknowledged; the link stalls at 1 s after value 2 arrived; the consumer declares it dead 2.9 s later and resumes its session.
  const stalled = [
    at.connected(0, false),
    at.subscribed(10),
    ...[1, 2, 3, 4].flatMap((value) => [at.sent(value * 500, value), at.acked(value * 500 + 5, value)]),
    at.delivered(510, 1),
    at.delivered(1010, 2),
    at.fault(1100, 'stall', 'consumer-1'),
    at.lostLink(4000),
    at.connected(4100, true),
    at.delivered(4200, 3),
    at.delivered(4210, 4),
  ];

  it('passes: noticed within 1.5 times the keep-alive, the session resumed, every value in order; measured from the stall', () => {
    const judgement = judgeFaultHistory('keepalive', stalled)!;
    assert.equal(judgement.pass, true, JSON.stringify(judgement.conditions));
    assert.deepEqual(judgement.conditions, [
      { fact: 'deadLinkNoticed', holds: true },
      { fact: 'sessionResumed', holds: true },
      { fact: 'inOrder', holds: true },
    ]);
    assert.deepEqual(judgement.facts, { keepaliveSeconds, noticedMs: 2900 });
    assert.deepEqual(judgement.failover, { kind: 'stall', node: null, target: 'consumer-1', measure: 'first-delivery', ms: 3100 });
  });

  it('fails when the dead link is noticed later than 1.5 times the keep-alive and a second, or never', () => {
    const late = judgeFaultHistory('keepalive', stalled.map((op) => (op.f === 'connect' && op.type === 'info' ? { ...op, time: 1100 + keepaliveSeconds * 1500 + 1001 } : op)))!;
    assert.equal(late.pass, false);
    assert.deepEqual(late.conditions[0], { fact: 'deadLinkNoticed', holds: false });
    assert.equal(late.facts.noticedMs, keepaliveSeconds * 1500 + 1001);
    const never = judgeFaultHistory('keepalive', stalled.filter((op) => !(op.f === 'connect' && op.type === 'info')))!;
    assert.equal(never.pass, false);
    assert.equal(never.facts.noticedMs, null);
  });

  it('fails on a session not resumed, on a value out of order, and on an acknowledged value lost', () => {
    const fresh = judgeFaultHistory('keepalive', stalled.map((op) => (op.f === 'connect' && op.time === 4100 ? { ...op, sessionPresent: false } : op)))!;
    assert.deepEqual(fresh.conditions[1], { fact: 'sessionResumed', holds: false });
    assert.equal(fresh.pass, false);
    const swapped = judgeFaultHistory('keepalive', stalled.map((op) => (op.f === 'deliver' && op.value >= 3 ? { ...op, value: 7 - op.value } : op)))!;
    assert.deepEqual(swapped.conditions[2], { fact: 'inOrder', holds: false });
    assert.equal(swapped.pass, false);
    const lost = judgeFaultHistory('keepalive', withoutValue(stalled, 3, 'deliver'))!;
    assert.equal(lost.figures.lost.lost, 1);
    assert.ok(lost.conditions.every((condition) => condition.holds), 'only the loss fails it');
    assert.equal(lost.pass, false);
  });

  it('says the claim\'s figure first, then the checkers\' figures and the failover', () => {
    assert.deepEqual(verdictLines(judgeFaultHistory('keepalive', stalled)!, plain).slice(0, 2), [
      "Observed: half-open link noticed after 2.9 s (keep-alive 2 s); 4 acknowledged, 4 delivered, 0 acknowledged lost; 0 duplicates, 0 out of order; failover 3.1 s from the stall of consumer-1's link (half-open) to the first value after it",
      'PASS',
    ]);
  });
});

describe("offline-producer: the producer's link cut and restored, judged from the history", () => {
  const at = language('offline-producer');
  // Values 1..2 before the cut at 1 s; 3..5 counted while cut (kept), sent and acknowledged once the link is back at 2.5 s.
  const cut = [
    at.connected(0, false),
    at.subscribed(10),
    at.sent(500, 1),
    at.acked(505, 1),
    at.delivered(510, 1),
    at.sent(900, 2),
    at.acked(905, 2),
    at.delivered(910, 2),
    at.fault(1000, 'cut', 'producer-1'),
    at.sent(1100, 3),
    at.sent(1600, 4),
    at.sent(2100, 5),
    at.fault(2500, 'restore', 'producer-1'),
    ...[3, 4, 5].flatMap((value) => [at.sent(2600, value), at.acked(2610 + value, value), at.delivered(2620 + value, value)]),
  ];

  it('passes: the values counted while cut were acknowledged once the link was back, and delivered in order; measured to the first of them', () => {
    const judgement = judgeFaultHistory('offline-producer', cut)!;
    assert.equal(judgement.pass, true, JSON.stringify(judgement.conditions));
    assert.deepEqual(judgement.conditions, [
      { fact: 'keptValuesAcknowledged', holds: true },
      { fact: 'inOrder', holds: true },
    ]);
    assert.deepEqual(judgement.facts, { producedDuringCut: 3, cutMs: 1500 });
    assert.deepEqual(judgement.failover, { kind: 'cut', node: null, target: 'producer-1', measure: 'published-after', ms: 1623 });
    assert.match(verdictLines(judgement, plain)[0]!, /^Observed: 3 values counted while the producer's link was cut \(1\.5 s\); 5 acknowledged, 5 delivered, 0 acknowledged lost;/);
  });

  it('fails when a value counted while cut was never acknowledged, or when nothing was counted while cut', () => {
    const unanswered = judgeFaultHistory('offline-producer', [...withoutValue(withoutValue(cut, 5, 'publish'), 5, 'deliver'), at.sent(2100, 5), at.unknown(3000, 5)])!;
    assert.deepEqual(unanswered.conditions[0], { fact: 'keptValuesAcknowledged', holds: false });
    assert.equal(unanswered.figures.lost.lost, 0, 'an unknown outcome is no acknowledged loss');
    assert.equal(unanswered.pass, false);
    const idle = judgeFaultHistory('offline-producer', cut.filter((op) => !(op.f === 'publish' && op.value >= 3) && !(op.f === 'deliver' && op.value >= 3)))!;
    assert.deepEqual(idle.conditions[0], { fact: 'keptValuesAcknowledged', holds: false }, 'the fault was not exercised');
    assert.equal(idle.facts.producedDuringCut, 0);
  });

  it('fails on an acknowledged value lost: the value named', () => {
    const lost = judgeFaultHistory('offline-producer', withoutValue(cut, 4, 'deliver'))!;
    assert.equal(lost.pass, false);
    assert.deepEqual(lost.figures.lost.streams.map((stream) => stream.values), [[4]]);
  });
});

describe('broker-restart: a broker restarted with persistence, then another without, judged from the history', () => {
  const at = language('broker-restart');
  /** One broker's run: its topic, its consumer's session, leaving after value 2, the restart at `from + 10`, back with or without its session. */
  function run(from: number, broker: string, resumed: boolean): Operation[] {
    const stream = `t-${broker}`;
    const session = `c-${broker}`;
    const on = (op: Operation): Operation => ({ ...op, ...('stream' in op ? { stream } : {}), ...('session' in op ? { session } : {}) });
    const restart: Operation = { scenario: 'broker-restart', process: 'nemesis', time: from + 10, f: 'fault', type: 'invoke', kind: 'restart', node: null, target: broker };
    const values = [1, 2, 3, 4, 5].flatMap((value) => [at.sent(from + value * 2, value), at.acked(from + value * 2 + 1, value)]);
    // Before the restart 1 and 2 arrive; after it, a resumed session delivers 3..5 (queued and live), a new one only 5.
    const delivered = [at.delivered(from + 3, 1), at.delivered(from + 5, 2), ...(resumed ? [3, 4] : []).map((value) => at.delivered(from + 20 + value, value)), at.delivered(from + 30, 5)];
    return [at.connected(from, false), at.subscribed(from + 1), ...values, restart, at.connected(from + 20, resumed), ...delivered].map((op) => (op.f === 'fault' ? op : on(op))).sort((a, b) => a.time - b.time);
  }
  const both = [...run(0, restartedBrokers.persistent, true), ...run(100, restartedBrokers.inMemory, false)];

  it("each restart judged by the session that came back after it, on its own broker's topic", () => {
    assert.deepEqual(restartOutcome(both, restartedBrokers.persistent), { sessionResumed: true, lost: 0 });
    assert.deepEqual(restartOutcome(both, restartedBrokers.inMemory), { sessionResumed: false, lost: 2 }, "values 3 and 4, queued in the session the restart lost");
    assert.equal(restartOutcome(both.filter((op) => !(op.f === 'fault' && op.target === restartedBrokers.inMemory)), restartedBrokers.inMemory), null, 'not restarted');
  });

  it('passes when persistence kept the session and every value and its absence lost the session: the loss is the claim, not a finding', () => {
    const judgement = judgeFaultHistory('broker-restart', both)!;
    assert.deepEqual(judgement.conditions, [
      { fact: 'keptWithPersistence', holds: true },
      { fact: 'goneWithoutPersistence', holds: true },
    ]);
    assert.equal(judgement.figures.lost.lost, 2);
    assert.equal(judgement.lossClaimed, true);
    assert.equal(judgement.pass, true);
    assert.deepEqual(judgement.facts, { resumedWithPersistence: true, lostWithPersistence: 0, resumedWithout: false, lostWithout: 2 });
    assert.match(verdictLines(judgement, plain)[0]!, /^Observed: persistence on: session resumed, 0 lost; off: session gone, 2 lost; 10 acknowledged, /);
  });

  it('fails when the broker with persistence lost a value, or when the one without kept the session', () => {
    const lostOne = judgeFaultHistory('broker-restart', both.filter((op) => !(op.f === 'deliver' && op.session === `c-${restartedBrokers.persistent}` && op.value === 4)))!;
    assert.deepEqual(lostOne.conditions[0], { fact: 'keptWithPersistence', holds: false });
    assert.equal(lostOne.pass, false);
    const kept = judgeFaultHistory('broker-restart', [...run(0, restartedBrokers.persistent, true), ...run(100, restartedBrokers.inMemory, true)])!;
    assert.deepEqual(kept.conditions[1], { fact: 'goneWithoutPersistence', holds: false });
    assert.equal(kept.pass, false);
  });
});

describe('group: a member of a consumer group stopped and back, judged from the history', () => {
  const at = language('group');
  const shared = '$share/g/t';
  const member = (name: string, process: string) => ({
    connected: (time: number, present: boolean): Operation => ({ scenario: 'group', process, time, f: 'connect', type: 'ok', role: 'consumer', session: name, node: null, sessionPresent: present }),
    subscribed: (time: number): Operation => ({ scenario: 'group', process, time, f: 'subscribe', type: 'ok', stream: shared, session: name, node: null }),
    delivered: (time: number, value: number): Operation => ({ scenario: 'group', process, time, f: 'deliver', type: 'ok', stream: 't', value, session: name, node: null }),
  });
  const a = member('a', 'consumer-1');
  const b = member('b', 'consumer-2');
  const back = member('b', 'consumer-3');
  const stop: Operation = { scenario: 'group', process: 'nemesis', time: 100, f: 'fault', type: 'invoke', kind: 'stop', node: null, target: 'consumer-2' };
  // Values 1..8, one every 20 ms; b leaves at 100 ms and returns at 170: 5 and 7 were held for it, the others went to a.
  const history = [
    a.connected(0, false),
    a.subscribed(1),
    b.connected(2, false),
    b.subscribed(3),
    ...[1, 2, 3, 4, 5, 6, 7, 8].flatMap((value) => [at.sent(value * 20, value), at.acked(value * 20 + 1, value)]),
    a.delivered(21, 1),
    b.delivered(41, 2),
    a.delivered(61, 3),
    b.delivered(81, 4),
    stop,
    a.delivered(121, 6),
    back.connected(170, true),
    back.subscribed(171),
    back.delivered(172, 5),
    back.delivered(173, 7),
    a.delivered(181, 8),
  ].sort((x, y) => x.time - y.time);

  it("the group's members answer together: nothing lost when each value reached one of them", () => {
    const judgement = judgeFaultHistory('group', history)!;
    assert.equal(judgement.figures.lost.lost, 0);
    assert.equal(judgement.figures.duplicates.count, 0);
    assert.deepEqual(judgement.conditions, [
      { fact: 'everyValueAcknowledged', holds: true },
      { fact: 'onceAcrossGroup', holds: true },
      { fact: 'memberResumed', holds: true },
    ]);
    assert.deepEqual(judgement.facts, { heldForAbsent: 2 }, 'values 5 and 7, published while b was away, delivered to it on its return');
    assert.equal(judgement.pass, true);
    assert.match(verdictLines(judgement, plain)[0]!, /^Observed: 2 values held for the member while it was away; 8 acknowledged, 8 delivered, 0 acknowledged lost; 0 duplicates, 0 out of order; failover 0\.0 s from the stop of consumer-2 \(Ctrl\+C\)/);
  });

  it('fails when a value reached no member, when one reached two, or when the member came back to no session', () => {
    const lost = judgeFaultHistory('group', history.filter((op) => !(op.f === 'deliver' && op.value === 7)))!;
    assert.deepEqual(lost.figures.lost.streams.map((stream) => stream.values), [[7]]);
    assert.equal(lost.pass, false);
    const twice = judgeFaultHistory('group', [...history, a.delivered(190, 5)])!;
    assert.deepEqual(twice.conditions[1], { fact: 'onceAcrossGroup', holds: false });
    assert.equal(twice.pass, false);
    const fresh = judgeFaultHistory('group', history.map((op) => (op.f === 'connect' && op.process === 'consumer-3' ? { ...op, sessionPresent: false } : op)))!;
    assert.deepEqual(fresh.conditions[2], { fact: 'memberResumed', holds: false });
    assert.equal(fresh.pass, false);
  });
});
