/** Reading a record of packets: what answered a PUBLISH, what a SUBACK granted, how a group shared. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { probeFinding } from '../src/cli/probe-findings.js';
import { connectAnswer, deliveries, firstAnswer, publishAnswers, publishEnded, publishFlow, subscribeAnswer, type TraceEntry, type WirePacket } from '../src/core/packet-trace.js';
import { keptEnd, sharedVerdict, type SharedFacts } from '../src/core/probe-facts.js';

const sent = (entry: Omit<WirePacket, 'direction'>): TraceEntry => ({ direction: 'sent', ...entry });
const got = (entry: Omit<WirePacket, 'direction'>): TraceEntry => ({ direction: 'received', ...entry });

describe('a record of packets', () => {
  it('a QoS 2 PUBLISH answered by a PUBACK is named as such, not as a completed QoS 2 exchange', () => {
    const trace = [sent({ type: 'PUBLISH', qos: 2, topic: 't', payload: '1', messageId: 7 }), got({ type: 'PUBACK', messageId: 7 })];
    const flow = publishFlow(trace, 't', '1')!;
    assert.equal(firstAnswer(flow), 'PUBACK');
    assert.equal(publishEnded(flow), true);
    const finding = probeFinding({ probe: 'qos2', facts: { subscribe: { answer: 'SUBACK', code: 1 }, publish: flow, delivered: null } });
    assert.match(finding, /PUBLISH QoS 2 answered by PUBACK \(not PUBREC\): the broker took it as QoS 1/);
  });

  it('a QoS 2 PUBLISH follows PUBREC, PUBREL, PUBCOMP with its own id, whatever else crosses the link', () => {
    const trace = [
      sent({ type: 'PUBLISH', qos: 2, topic: 't', payload: '1', messageId: 1 }),
      got({ type: 'PUBACK', messageId: 2 }),
      got({ type: 'PUBREC', messageId: 1 }),
      sent({ type: 'PUBREL', messageId: 1 }),
      got({ type: 'PUBCOMP', messageId: 1 }),
    ];
    const flow = publishFlow(trace, 't', '1')!;
    assert.deepEqual(flow.steps.map((s) => `${s.type} ${s.direction}`), ['PUBREC received', 'PUBREL sent', 'PUBCOMP received']);
    assert.equal(flow.closed, false);
  });

  it('a connection closed before the PUBCOMP is a flow left incomplete', () => {
    const flow = publishFlow([sent({ type: 'PUBLISH', qos: 2, topic: 't', payload: '1', messageId: 1 }), got({ type: 'PUBREC', messageId: 1 }), { direction: 'received', type: 'CLOSED' }], 't', '1')!;
    assert.equal(flow.closed, true);
  });

  it('the SUBACK code of the filter asked, a DISCONNECT instead, or the connection closed', () => {
    const subscribe = sent({ type: 'SUBSCRIBE', filters: ['a', 'b'], messageId: 3 });
    assert.deepEqual(subscribeAnswer([subscribe, got({ type: 'SUBACK', messageId: 3, codes: [1, 0x9e] })], 'b'), { answer: 'SUBACK', code: 0x9e });
    assert.deepEqual(subscribeAnswer([subscribe, got({ type: 'DISCONNECT', reasonCode: 0x9e })], 'a'), { answer: 'DISCONNECT', reasonCode: 0x9e });
    assert.deepEqual(subscribeAnswer([subscribe, { direction: 'received', type: 'CLOSED' }], 'a'), { answer: 'closed' });
  });

  it("the CONNACK's session-present flag and session expiry, or the connection closed without one", () => {
    assert.deepEqual(connectAnswer([sent({ type: 'CONNECT' }), got({ type: 'CONNACK', reasonCode: 0, sessionPresent: true, sessionExpiry: 300 })]), { answer: 'CONNACK', code: 0, sessionPresent: true, sessionExpiry: 300 });
    assert.deepEqual(connectAnswer([sent({ type: 'CONNECT' }), { direction: 'received', type: 'CLOSED' }]), { answer: 'closed' });
    assert.deepEqual(connectAnswer([sent({ type: 'CONNECT' })]), { answer: 'none' });
  });

  it('a delivery at QoS 2 goes through PUBREC sent, PUBREL received, PUBCOMP sent; the publisher\'s own acks are not its', () => {
    const trace = [
      got({ type: 'PUBLISH', qos: 2, topic: 't', payload: 'x', messageId: 5 }),
      got({ type: 'PUBACK', messageId: 5 }),
      sent({ type: 'PUBREC', messageId: 5 }),
      got({ type: 'PUBREL', messageId: 5 }),
      sent({ type: 'PUBCOMP', messageId: 5 }),
    ];
    assert.deepEqual(deliveries(trace, 't'), [{ topic: 't', payload: 'x', qos: 2, steps: ['PUBREC', 'PUBREL', 'PUBCOMP'] }]);
  });

  it('each PUBLISH sent is matched to the first answer with its id', () => {
    const trace = [sent({ type: 'PUBLISH', qos: 1, topic: 't', payload: '1', messageId: 1 }), got({ type: 'PUBACK', messageId: 1 }), sent({ type: 'PUBLISH', qos: 1, topic: 't', payload: '2', messageId: 1 })];
    assert.deepEqual([...publishAnswers(trace, 't')], [['1', 'PUBACK'], ['2', 'none']]);
  });
});

describe('judging a shared subscription', () => {
  const member = (received: number[], literal = false, code = 1): SharedFacts['members'][number] => ({ subscribe: { answer: 'SUBACK', code }, received, literal });
  const facts = (members: SharedFacts['members'], sent = 4): SharedFacts => ({ filter: '$share/g/t', topic: 't', sent, members });

  it('values split between the members, each once: honoured', () => assert.equal(sharedVerdict(facts([member([1, 3]), member([2, 4])])), 'honoured'));
  it('every member got every value: an ordinary subscription', () => assert.equal(sharedVerdict(facts([member([1, 2, 3, 4]), member([1, 2, 3, 4])])), 'every member'));
  it('nothing from the topic, the literal name delivered: a plain topic name', () => assert.equal(sharedVerdict(facts([member([], true), member([], true)])), 'plain topic name'));
  it('a SUBACK of 0x80 or more, a DISCONNECT or a closed connection: refused', () => {
    assert.equal(sharedVerdict(facts([member([], false, 0x9e), member([], false, 0x9e)], 0)), 'refused');
    assert.equal(sharedVerdict(facts([{ subscribe: { answer: 'closed' }, received: [], literal: false }, member([])], 0)), 'refused');
  });
  it('one member with everything, the other with nothing: not called honoured', () => assert.equal(sharedVerdict(facts([member([1, 2, 3, 4]), member([])])), 'unclear'));
});

describe('which end of a backlog was kept', () => {
  it('the first dropped: the newest kept; the last dropped: the oldest kept', () => {
    assert.equal(keptEnd([1, 2, 3], 10), 'newest');
    assert.equal(keptEnd([8, 9, 10], 10), 'oldest');
    assert.equal(keptEnd([], 10), null);
  });
});
