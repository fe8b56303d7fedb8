/**
 * Shared subscriptions, probed on any broker: two members subscribe to $share/GROUP/TOPIC, values are
 * published to TOPIC, and the packets each member received say whether the broker split them between
 * the members (honoured), refused the filter (a SUBACK code, a DISCONNECT, the connection closed), or
 * took it as something else: an ordinary subscription to TOPIC, or a plain topic name.
 */
import { deliveries, subscribeAnswer } from '../core/packet-trace.js';
import type { ProbeResult, SharedFacts } from '../core/probe-facts.js';
import { openAccepted, publishAndWait, subscribeAndWait, unique } from './probes.js';
import type { RecordedConnection } from './probe-client.js';

const valuesSent = 10;

export async function probeSharedSubscription(url: string, protocolVersion: 4 | 5): Promise<Extract<ProbeResult, { probe: 'shared subscription' }>> {
  const topic = `probe/shared/${unique('t')}`;
  const filter = `$share/${unique('group')}/${topic}`;
  // Clean sessions (MQTT 5: expiry 0): the members leave nothing behind.
  const options = (who: string) => ({ protocolVersion, clientId: unique(`shared-${who}`), clean: true });
  const connections: RecordedConnection[] = [];
  const open = async (who: string): Promise<RecordedConnection> => {
    const { connection } = await openAccepted(url, options(who));
    connections.push(connection);
    return connection;
  };
  try {
    const members = [await open('a'), await open('b')];
    for (const member of members) await subscribeAndWait(member, filter, 1);
    const answers = members.map((member) => subscribeAnswer(member.trace, filter));
    const facts: SharedFacts = { filter, topic, sent: 0, members: answers.map((subscribe) => ({ subscribe, received: [], literal: false })) };
    if (answers.some((a) => a.answer !== 'SUBACK' || a.code >= 0x80)) return { probe: 'shared subscription', facts };
    const publisher = await open('publisher');
    for (let value = 1; value <= valuesSent; value++) await publishAndWait(publisher, topic, String(value), 1);
    facts.sent = valuesSent;
    await Promise.all(members.map((member) => member.quiet(1000, 5000)));
    const receivedBy = (member: RecordedConnection): number[] => deliveries(member.trace, topic).map((d) => Number(d.payload));
    if (members.every((member) => receivedBy(member).length === 0)) {
      // Nothing arrived: was the filter taken as a topic name of its own? A value published to that very name says.
      const literal = await open('literal');
      await publishAndWait(literal, filter, 'literal', 1);
      await Promise.all(members.map((member) => member.quiet(1000, 5000)));
    }
    facts.members = members.map((member, i) => ({ subscribe: answers[i]!, received: receivedBy(member), literal: deliveries(member.trace, filter).length > 0 }));
    return { probe: 'shared subscription', facts };
  } finally {
    await Promise.all(connections.map((connection) => connection.end()));
  }
}
