/** The checkers, pure functions of a history, and the fault verdicts combined from them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acknowledgedLost, checkHistory, duplicates, failover, outOfOrder, unacknowledged, unavailability } from '../src/core/checkers.js';
import { judgeFaultHistory } from '../src/core/fault-verdicts.js';
import type { Operation } from '../src/core/history.js';
import { topicMatches } from '../src/core/topics.js';

const scenario = 's';

/** A small language for histories: each helper is one operation at a time. */
const at = {
  sent: (time: number, value: number, stream = 't'): Operation => ({ scenario, process: 'producer-1', time, f: 'publish', type: 'invoke', stream, value }),
  acked: (time: number, value: number, stream = 't'): Operation => ({ scenario, process: 'producer-1', time, f: 'publish', type: 'ok', stream, value }),
  unknown: (time: number, value: number, stream = 't'): Operation => ({ scenario, process: 'producer-1', time, f: 'publish', type: 'info', stream, value }),
  delivered: (time: number, value: number, options: { session?: string; node?: number | null; stream?: string } = {}): Operation => ({
    scenario,
    process: 'consumer-1',
    time,
    f: 'deliver',
    type: 'ok',
    stream: options.stream ?? 't',
    value,
    session: options.session ?? 'c',
    node: options.node === undefined ? 1 : options.node,
  }),
  connected: (time: number, options: { role?: 'producer' | 'consumer'; session?: string; node?: number | null; present?: boolean } = {}): Operation => ({
    scenario,
    process: options.role === 'producer' ? 'producer-1' : 'consumer-1',
    time,
    f: 'connect',
    type: 'ok',
    role: options.role ?? 'consumer',
    session: options.session ?? (options.role === 'producer' ? 'p' : 'c'),
    node: options.node === undefined ? 1 : options.node,
    sessionPresent: options.present ?? false,
  }),
  subscribed: (time: number, session = 'c'): Operation => ({ scenario, process: 'consumer-1', time, f: 'subscribe', type: 'ok', stream: 't', session, node: 1 }),
  lostLink: (time: number): Operation => ({ scenario, process: 'consumer-1', time, f: 'connect', type: 'info', role: 'consumer', session: 'c', node: 1, sessionPresent: null }),
  fault: (time: number, kind: 'kill' | 'pause' | 'resume' | 'start' | 'heal', node: number | null): Operation => ({ scenario, process: 'nemesis', time, f: 'fault', type: 'invoke', kind, node }),
};

/** Values from..to, each sent and acknowledged at its own value as time. */
function publishedAndAcked(from: number, to: number, stream = 't'): Operation[] {
  const ops: Operation[] = [];
  for (let value = from; value <= to; value++) ops.push(at.sent(value, value, stream), at.acked(value, value, stream));
  return ops;
}

describe('acknowledged lost', () => {
  it("a session answers for the values published from its first subscription on: a consumer that joins late has lost nothing published before it", () => {
    const history = [...publishedAndAcked(1, 5), at.connected(5.5), at.subscribed(5.6), ...publishedAndAcked(6, 8), at.delivered(9, 6), at.delivered(10, 8)];
    assert.deepEqual(acknowledgedLost(history), { acknowledged: 8, delivered: 2, lost: 1, streams: [{ stream: 't', values: [7], ranges: [{ from: 7, to: 7 }] }], published: 1 });
  });

  it('without a subscription in the history, the session answers from its first connection; a value published before it and never delivered by another session is not lost', () => {
    const history = [...publishedAndAcked(1, 2), at.connected(2.5, { session: 'late' }), ...publishedAndAcked(3, 4), at.delivered(5, 3, { session: 'late' })];
    assert.equal(acknowledgedLost(history).lost, 1, 'value 4, published after the connection, never delivered');
    assert.deepEqual(acknowledgedLost(history).streams[0]!.values, [4]);
  });

  it('a value whose publish began before the subscription but was acknowledged after it is not counted against the session', () => {
    const history = [at.sent(1, 1), at.connected(2), at.subscribed(3), at.acked(4, 1), ...publishedAndAcked(5, 5), at.delivered(6, 5)];
    assert.equal(acknowledgedLost(history).lost, 0);
  });

  it('nothing lost when every acknowledged value was delivered; values sent and never acknowledged may be missing', () => {
    const history = [at.connected(0), ...publishedAndAcked(1, 3), at.sent(4, 4), at.delivered(5, 1), at.delivered(6, 2), at.delivered(7, 3)];
    assert.deepEqual(acknowledgedLost(history), { acknowledged: 3, delivered: 3, lost: 0, streams: [], published: 1 });
  });

  it('lists the acknowledged values never delivered, as values and ranges, by stream', () => {
    const history = [at.connected(0), ...publishedAndAcked(1, 6), ...publishedAndAcked(1, 2, 'u'), at.delivered(10, 1), at.delivered(11, 4), at.delivered(12, 2, { stream: 'u' })];
    assert.deepEqual(acknowledgedLost(history), {
      acknowledged: 8,
      delivered: 3,
      lost: 5,
      streams: [
        { stream: 't', values: [2, 3, 5, 6], ranges: [{ from: 2, to: 3 }, { from: 5, to: 6 }] },
        { stream: 'u', values: [1], ranges: [{ from: 1, to: 1 }] },
      ],
      published: 2,
    });
  });

  it("a consumer's session that connected and delivered nothing lost everything acknowledged; a producer's session need deliver nothing", () => {
    const history = [at.connected(0, { role: 'producer' }), at.connected(0, { session: 'returning' }), ...publishedAndAcked(1, 2)];
    assert.equal(acknowledgedLost(history).lost, 2);
    assert.equal(acknowledgedLost(history.filter((op) => op.f !== 'connect' || op.role === 'producer')).lost, 0, 'no consumer: nothing to lose');
  });

  it('each session must deliver every acknowledged value: one that did not loses it even when another had it', () => {
    const history = [at.connected(0, { session: 'a' }), at.connected(0, { session: 'b' }), ...publishedAndAcked(1, 2), at.delivered(5, 1, { session: 'a' }), at.delivered(5, 2, { session: 'a' }), at.delivered(6, 1, { session: 'b' })];
    assert.deepEqual(acknowledgedLost(history).streams, [{ stream: 't', values: [2], ranges: [{ from: 2, to: 2 }] }]);
  });

  it("a session answers only for the topics its subscriptions match: another broker's run, on another topic, is not its to deliver", () => {
    const subscribedTo = (time: number, session: string, filter: string): Operation => ({ scenario, process: 'consumer-1', time, f: 'subscribe', type: 'ok', stream: filter, session, node: 1 });
    const history = [
      subscribedTo(0, 'a', 'run/a'),
      subscribedTo(0, 'all', 'run/#'),
      subscribedTo(0, 'shared', '$share/g/run/+'),
      ...publishedAndAcked(1, 2, 'run/a'),
      ...publishedAndAcked(3, 3, 'run/b'),
      ...[1, 2].flatMap((value) => ['a', 'all', 'shared'].map((session) => at.delivered(10 + value, value, { session, stream: 'run/a' }))),
      at.delivered(13, 3, { session: 'shared', stream: 'run/b' }),
    ];
    const found = acknowledgedLost(history);
    assert.equal(found.lost, 1, 'value 3 of run/b, which session a need not deliver, but run/# must');
    assert.deepEqual(found.streams, [{ stream: 'run/b', values: [3], ranges: [{ from: 3, to: 3 }] }]);
    assert.equal(acknowledgedLost([...history, at.delivered(14, 3, { session: 'all', stream: 'run/b' })]).lost, 0);
  });

  it('a value acknowledged twice (sent again) counts once', () => {
    const history = [at.connected(0), at.sent(1, 1), at.acked(2, 1), at.sent(3, 1), at.acked(4, 1), at.delivered(5, 1)];
    assert.equal(acknowledgedLost(history).acknowledged, 1);
  });
});

describe('topic filters', () => {
  it('match as MQTT says: + one level, # the rest and its parent, $ topics only by name, a group prefix aside', () => {
    const cases: Array<[string, string, boolean]> = [
      ['a/b', 'a/b', true],
      ['a/b', 'a/c', false],
      ['a/+', 'a/b', true],
      ['a/+', 'a/b/c', false],
      ['a/+/c', 'a/b/c', true],
      ['a/#', 'a', true],
      ['a/#', 'a/b/c', true],
      ['#', 'a/b', true],
      ['#', '$SYS/x', false],
      ['+/x', '$SYS/x', false],
      ['$SYS/x', '$SYS/x', true],
      ['a', 'a/b', false],
      ['$share/g/a/+', 'a/b', true],
      ['$share/g/a/+', 'b/b', false],
    ];
    for (const [filter, topic, matches] of cases) assert.equal(topicMatches(filter, topic), matches, `${filter} against ${topic}`);
  });
});

describe('duplicates and out of order', () => {
  it('counts a value delivered again in the same session, and which; in another session it is no duplicate', () => {
    const history = [at.delivered(1, 1), at.delivered(2, 2), at.delivered(3, 1), at.delivered(4, 1), at.delivered(5, 2, { session: 'other' })];
    assert.deepEqual(duplicates(history), { count: 2, streams: [{ stream: 't', values: [1], ranges: [{ from: 1, to: 1 }] }] });
  });

  it('counts first deliveries lower than one before them on the same stream and session; duplicates and other streams do not count', () => {
    const history = [at.delivered(1, 1), at.delivered(2, 3), at.delivered(3, 2), at.delivered(4, 1), at.delivered(5, 4), at.delivered(6, 1, { stream: 'u' }), at.delivered(7, 2, { session: 'other' })];
    assert.deepEqual(outOfOrder(history), { count: 1 });
    assert.deepEqual(outOfOrder([]), { count: 0 });
  });
});

describe('unavailability', () => {
  it('the longest time between two deliveries, and where it was', () => {
    assert.deepEqual(unavailability([at.delivered(100, 1), at.delivered(150, 2), at.delivered(900, 3), at.delivered(950, 4)]), { longestMs: 750, from: 150, to: 900 });
  });

  it('counts deliveries of every session on one time line, whatever order they were recorded in', () => {
    assert.deepEqual(unavailability([at.delivered(900, 3), at.delivered(100, 1, { session: 'other' }), at.delivered(400, 2)]), { longestMs: 500, from: 400, to: 900 });
  });

  it('counts from the first value sent: a first delivery long after it is a time without delivery', () => {
    assert.deepEqual(unavailability([at.sent(100, 1), at.sent(200, 2), at.delivered(2000, 1), at.delivered(2100, 2)]), { longestMs: 1900, from: 100, to: 2000 });
  });

  it('none measured with one delivery and nothing sent, or nothing delivered', () => {
    assert.deepEqual(unavailability([at.delivered(5, 1)]), { longestMs: null, from: null, to: null });
    assert.deepEqual(unavailability([at.sent(1, 1)]), { longestMs: null, from: null, to: null });
    assert.deepEqual(unavailability([]), { longestMs: null, from: null, to: null });
  });
});

describe('failover', () => {
  it('from each disruptive fault to the first delivery, to the first through another node, and to the first of a value published after it', () => {
    const history = [
      at.sent(1, 1),
      at.sent(2, 2),
      at.fault(100, 'kill', 1),
      at.sent(150, 3),
      at.delivered(200, 1, { node: 1 }),
      at.delivered(300, 2, { node: 2 }),
      at.delivered(400, 3, { node: 2 }),
      at.fault(500, 'heal', null),
      at.fault(600, 'pause', 2),
    ];
    assert.deepEqual(failover(history), [
      { kind: 'kill', node: 1, at: 100, firstDeliveryMs: 100, otherNodeMs: 200, publishedAfterMs: 300 },
      { kind: 'pause', node: 2, at: 600, firstDeliveryMs: null, otherNodeMs: null, publishedAfterMs: null },
    ]);
  });

  it('a delivery through an address that is no node of the cluster is not through another node', () => {
    const history = [at.fault(10, 'kill', 1), at.delivered(20, 1, { node: null })];
    assert.deepEqual(failover(history)[0], { kind: 'kill', node: 1, at: 10, firstDeliveryMs: 10, otherNodeMs: null, publishedAfterMs: null });
  });
});

describe('unacknowledged', () => {
  it('the values sent that no acknowledgement followed, whether the outcome is open or unknown', () => {
    const history = [at.sent(1, 1), at.sent(2, 2), at.unknown(3, 2), at.sent(4, 3), at.acked(5, 3), at.sent(6, 4)];
    assert.deepEqual(unacknowledged(history), [{ stream: 't', values: [1, 2, 4], ranges: [{ from: 1, to: 2 }, { from: 4, to: 4 }] }]);
  });
});

describe('the fault verdicts, combined from the checkers', () => {
  const consumerNodeKilled = [
    at.connected(0, { node: 1 }),
    at.connected(0, { role: 'producer', node: 2 }),
    ...publishedAndAcked(1, 4),
    at.delivered(5, 1, { node: 1 }),
    at.fault(10, 'kill', 1),
    at.connected(12, { node: 2, present: true }),
    at.delivered(13, 2, { node: 2 }),
    at.delivered(14, 3, { node: 2 }),
    at.delivered(15, 4, { node: 2 }),
  ];

  it('kill-consumer-node passes: nothing lost, the session resumed on another node; the failover through it', () => {
    const judgement = judgeFaultHistory('kill-consumer-node', consumerNodeKilled)!;
    assert.equal(judgement.pass, true);
    assert.deepEqual(judgement.conditions, [
      { fact: 'everyValueAcknowledged', holds: true },
      { fact: 'sessionResumed', holds: true },
      { fact: 'otherNode', holds: true },
    ]);
    assert.deepEqual(judgement.failover, { kind: 'kill', node: 1, measure: 'other-node', ms: 3 });
  });

  it('kill-consumer-node fails on an acknowledged value lost, and on a session not resumed', () => {
    const lost = judgeFaultHistory('kill-consumer-node', consumerNodeKilled.filter((op) => !(op.f === 'deliver' && op.value === 3)))!;
    assert.equal(lost.pass, false);
    assert.equal(lost.figures.lost.lost, 1);
    assert.ok(lost.conditions.every((condition) => condition.holds), 'only the loss fails it');
    const fresh = judgeFaultHistory('kill-consumer-node', consumerNodeKilled.map((op) => (op.f === 'connect' && op.time === 12 ? { ...op, sessionPresent: false } : op)))!;
    assert.equal(fresh.pass, false);
    assert.deepEqual(fresh.conditions.find((condition) => condition.fact === 'sessionResumed'), { fact: 'sessionResumed', holds: false });
  });

  it('kill-producer-node: the fault exercised (a value first sent after it), the producer on another node, the failover to a value published after it', () => {
    const history = [
      at.connected(0, { node: 1 }),
      at.connected(0, { role: 'producer', node: 2 }),
      ...publishedAndAcked(1, 3),
      at.fault(10, 'kill', 2),
      at.connected(11, { role: 'producer', node: 3 }),
      at.sent(12, 4),
      at.acked(13, 4),
      ...[1, 2, 3, 4].map((value) => at.delivered(20 + value, value)),
    ];
    const judgement = judgeFaultHistory('kill-producer-node', history)!;
    assert.equal(judgement.pass, true, JSON.stringify(judgement.conditions));
    assert.deepEqual(judgement.facts, { sentBeforeKill: 3 });
    assert.deepEqual(judgement.failover, { kind: 'kill', node: 2, measure: 'published-after', ms: 14 });
    const allSentBefore = judgeFaultHistory('kill-producer-node', history.filter((op) => !(op.f === 'publish' && op.value === 4) && !(op.f === 'deliver' && op.value === 4)))!;
    assert.deepEqual(allSentBefore.conditions.find((condition) => condition.fact === 'killedWhilePublishing'), { fact: 'killedWhilePublishing', holds: false });
    const unanswered = judgeFaultHistory('kill-producer-node', [...history.filter((op) => !(op.f === 'publish' && op.type === 'ok' && op.value === 4)), at.unknown(30, 4)])!;
    assert.equal(unanswered.pass, false, 'a value never acknowledged: the claim (every value acknowledged) does not hold');
    assert.equal(unanswered.figures.lost.lost, 0);
  });

  it('pause-node: the dead link noticed during the pause, how soon, and how long the pause was', () => {
    const history = [at.connected(0, { node: 1 }), ...publishedAndAcked(1, 2), at.fault(10, 'pause', 1), at.lostLink(13), at.connected(14, { node: 2, present: true }), at.fault(16, 'resume', 1), at.delivered(17, 1, { node: 2 }), at.delivered(18, 2, { node: 2 })];
    const judgement = judgeFaultHistory('pause-node', history)!;
    assert.equal(judgement.pass, true, JSON.stringify(judgement.conditions));
    assert.deepEqual(judgement.facts, { pauseMs: 6, noticedMs: 3 });
    const late = judgeFaultHistory('pause-node', history.map((op) => (op.f === 'connect' && op.type === 'info' ? { ...op, time: 17 } : op)))!;
    assert.deepEqual(late.conditions.find((condition) => condition.fact === 'deadLinkNoticed'), { fact: 'deadLinkNoticed', holds: false });
  });

  it('restart-node is measured from the start of the node, not from its kill', () => {
    const history = [at.fault(0, 'kill', 3), at.connected(1, { node: 1 }), ...publishedAndAcked(2, 3), at.fault(10, 'start', 3), at.connected(20, { node: 3, present: true }), at.delivered(25, 2, { node: 3 }), at.delivered(26, 3, { node: 3 })];
    const judgement = judgeFaultHistory('restart-node', history)!;
    assert.equal(judgement.pass, true);
    assert.deepEqual(judgement.failover, { kind: 'start', node: 3, measure: 'first-delivery', ms: 15 });
  });

  it('a scenario without a rule has no verdict here; one whose fault never happened has no failover', () => {
    assert.equal(judgeFaultHistory('persistent', []), undefined);
    const judgement = judgeFaultHistory('kill-while-away', [at.connected(0), ...publishedAndAcked(1, 1), at.delivered(5, 1)])!;
    assert.equal(judgement.failover, null);
    assert.equal(judgement.pass, false, 'no fault after which the session resumed');
  });

  it('the figures of a history are every checker at once', () => {
    const figures = checkHistory(consumerNodeKilled);
    assert.deepEqual(figures.lost, acknowledgedLost(consumerNodeKilled));
    assert.deepEqual(figures.unavailability, { longestMs: 8, from: 5, to: 13 }, 'the values sent from 1 on, delivered at 5, then none until 13');
    assert.equal(figures.failovers.length, 1);
  });
});
