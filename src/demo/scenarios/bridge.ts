import { edgeMosquitto, type BridgeSettings } from '../../brokers/bridge.js';
import { formatValues } from '../../cli/output.js';
import { checkDelivery } from '../../core/checkers.js';
import { LinkProxy } from '../link-proxy.js';
import { messageValues, sentValues } from '../processes.js';
import { rememberSession } from '../sessions.js';
import { consumer, disposeMosquitto, firstUrl, names, producer, receive, startMosquitto, throughLink, verdictOf, type Facts, type ScenarioContext, type Scenario } from '../story.js';

/** One way to set the edge up, and whether the claim says it keeps every acknowledged value. */
interface SetUp {
  name: string;
  says: string;
  persistence: boolean;
  /** The edge is stopped cleanly (SIGTERM) and started again while its link is down. */
  restartEdge: boolean;
  bridge: Pick<BridgeSettings, 'qos' | 'cleanSession' | 'localCleanSession'>;
  queueLimit?: number;
  keepsAll: boolean;
}

const durable = { qos: 1, cleanSession: false } as const;

export const bridgeSetUps: SetUp[] = [
  { name: 'durable', says: 'persistence on, cleansession false, QoS 1, edge restarted', persistence: true, restartEdge: true, bridge: durable, keepsAll: true },
  { name: 'no-persistence', says: 'persistence off, edge restarted', persistence: false, restartEdge: true, bridge: durable, keepsAll: false },
  { name: 'clean-session', says: 'cleansession true', persistence: true, restartEdge: false, bridge: { qos: 1, cleanSession: true }, keepsAll: false },
  { name: 'local-queue', says: 'cleansession true, local_cleansession false', persistence: true, restartEdge: false, bridge: { qos: 1, cleanSession: true, localCleanSession: false }, keepsAll: true },
  { name: 'qos0', says: 'QoS 0 on the bridge', persistence: true, restartEdge: false, bridge: { qos: 0, cleanSession: false }, keepsAll: false },
  { name: 'queue-limit', says: 'max_queued_messages 10', persistence: true, restartEdge: false, bridge: durable, queueLimit: 10, keepsAll: false },
];

/** Values the producer sends while the edge's link is down. */
const outageValues = 30;

const highest = (values: number[]): number => Math.max(0, ...values);

/**
 * The edge's link to the centre goes down (cut at the relay in front of the centre) while the producer
 * goes on publishing to the edge; the edge may restart meanwhile; the link comes back. What the consumer
 * at the centre received, from its first value, against what the edge acknowledged.
 */
async function runSetUp(context: ScenarioContext, setUp: SetUp): Promise<Facts> {
  const centre = firstUrl(context);
  const link = await new LinkProxy(Number(centre.port || 1883), centre.hostname).start();
  const { topic, id, state } = names(context, `bridge-${setUp.name}`);
  const bridgeName = `${id}-edge`;
  // With cleansession false the centre keeps the bridge's session: ended after the scenario like a consumer's.
  rememberSession({ clientId: bridgeName, url: context.url, connectedTo: context.url, protocolVersion: 4 });
  const bridge: BridgeSettings = { ...setUp.bridge, name: bridgeName, centre: throughLink(context, link), topic };
  const edge = await startMosquitto(edgeMosquitto({ bridge, persistence: setUp.persistence, queueLimit: setUp.queueLimit }));
  const receiver = consumer(context, context.url, id, topic, state);
  const values = producer(context, edge.url, topic);
  try {
    await receiver.waitForEvent('subscribed', () => true, 30_000);
    await receive(receiver, 5, 30_000);
    link.cut();
    const cutAfter = highest(sentValues(values));
    await values.waitUntil(`${outageValues} values sent during the outage`, () => highest(sentValues(values)) >= cutAfter + outageValues, 30_000);
    if (setUp.restartEdge) {
      await edge.restart();
      await values.waitUntil('the producer back on the edge', () => values.eventsOf('connected').length >= 2, 20_000);
    }
    link.restore();
    const restoredAfter = highest(sentValues(values));
    // The edge sends what it queued before what came after: once a later value is in, the queue is through.
    await receiver.waitUntil('a value sent after the link came back', () => messageValues(receiver.events).some((v) => v > restoredAfter), 30_000);
    await values.interrupt();
    const summary = values.eventsOf('producer-summary').at(-1);
    const last = (summary?.lastValue as number | null | undefined) ?? highest(sentValues(values));
    await receiver.waitUntil(`value ${last}`, () => messageValues(receiver.events).includes(last), 10_000).catch(() => {});
    await receiver.interrupt();
    const delivered = messageValues(receiver.events);
    const first = delivered[0] ?? 1;
    const acknowledged = Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i);
    const check = checkDelivery(acknowledged, delivered);
    const facts: Facts = {
      acknowledged: check.acknowledged,
      unacknowledged: (summary?.pending as number | undefined) ?? null,
      duringOutage: restoredAfter - cutAfter,
      keptFromOutage: new Set(delivered.filter((v) => v > cutAfter && v <= restoredAfter)).size,
      delivered: check.delivered,
      lost: check.lost.length,
      lostValues: formatValues(check.lost),
      duplicates: check.duplicates,
    };
    context.say(`  ${setUp.says}: ${check.lost.length} of ${check.acknowledged} acknowledged values lost${check.lost.length > 0 ? ` (${formatValues(check.lost)})` : ''}.`);
    return facts;
  } finally {
    await values.interrupt();
    await receiver.interrupt();
    await link.close();
    await disposeMosquitto(edge);
  }
}

export const bridge: Scenario = {
  name: 'bridge',
  title: 'A bridge from an edge broker keeps what it acknowledged while the link is down',
  claim:
    'The producer publishes to an edge Mosquitto bridged to the central broker. With persistence on, cleansession false (or local_cleansession false) and QoS 1 on the bridge, the edge queues what it acknowledged while the link is down, through a restart of its own, and the consumer at the centre receives every value; persistence off, a clean local session, QoS 0 or a queue limit lose values.',
  needsMosquitto: true,
  async run(context) {
    context.say(`The producer publishes to an edge Mosquitto bridged to the broker; the link goes down for ${outageValues} values and comes back. Each set-up in turn:`);
    const facts: Facts = {};
    const results: string[] = [];
    let keptAsClaimed = true;
    for (const setUp of bridgeSetUps) {
      const seen = await runSetUp(context, setUp);
      for (const [key, value] of Object.entries(seen)) facts[`${setUp.name}.${key}`] = value;
      const lost = seen.lost as number;
      keptAsClaimed &&= seen.unacknowledged === 0 && (setUp.keepsAll ? lost === 0 : lost > 0);
      results.push(`${setUp.says}: ${lost} of ${String(seen.acknowledged)} acknowledged lost`);
    }
    return { verdict: verdictOf(keptAsClaimed), observed: results.join('; '), facts };
  },
};
