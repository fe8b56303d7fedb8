/**
 * What the partition scenarios share: a producer and a consumer on different nodes, one node's links
 * cut while values stream (from the other nodes only, or from the clients too), healed after a while,
 * and the checker's verdict on what was acknowledged against what was delivered.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { acknowledgedBy, finishDelivery, judge } from '../../checker.js';
import { Nemesis } from '../../nemesis.js';
import { messageValues, sentValues } from '../../processes.js';
import { consumer, names, producer, receive, type Outcome, type ScenarioContext } from '../../story.js';

/** How long the cut lasts: several keep-alives of 2 s, and long enough for the majority to elect new leaders. */
export const partitionMs = 10_000;

export interface PartitionPlan {
  scenario: string;
  /** Whose node is cut: the consumer's (node 1) or the producer's (node 2). */
  cut: 'consumer' | 'producer';
  /** Cut from the clients too (its network unplugged), not only from the other nodes. */
  clientsToo: boolean;
}

export async function partitionStory(context: ScenarioContext, plan: PartitionPlan): Promise<Outcome> {
  const nemesis = Nemesis.of(context);
  await nemesis.heal();
  const count = 3000;
  const node = plan.cut === 'consumer' ? 1 : 2;
  const { topic, id, state } = names(context, plan.scenario);
  // A keep-alive of 2 s: a node cut from the clients is noticed as dead within 3 s.
  const receiver = consumer(context, nemesis.urls(1, 3), id, topic, state, ['-k', '2']);
  await receiver.waitForEvent('subscribed', () => true, 20_000);
  const values = producer(context, nemesis.urls(2, 3), topic, ['--interval', '5', '--count', String(count), '-k', '2']);
  context.say(`The consumer is on node 1, the producer publishes ${count} values, one every 5 ms, through node 2; each has another node to go to (node 3).`);
  try {
    await receive(receiver, 300, 30_000);
    const cutAt = plan.clientsToo ? await nemesis.disconnect(node) : await nemesis.isolate(node);
    const sentBefore = Math.max(...sentValues(values));
    let healedAt: number;
    try {
      await sleep(partitionMs);
    } finally {
      healedAt = await nemesis.healLinks(node);
    }
    const deliveredWhileCut = messageValues(receiver.events).filter((value) => value > sentBefore).length;
    const acknowledged = await acknowledgedBy(values, count, context.say, 120_000);
    const reconnections = { producer: values.eventsOf('connected').length - 1, consumer: receiver.eventsOf('connected').length - 1 };
    context.say(`While node ${node} was cut off, the consumer received ${deliveredWhileCut} values published after the cut; reconnections: the producer's ${reconnections.producer}, the consumer's ${reconnections.consumer}.`);
    const reopen = (): ReturnType<typeof consumer> => consumer(context, nemesis.urls(1, 2, 3), id, topic, state, ['-k', '2']);
    const { last, facts } = await finishDelivery(receiver, acknowledged, reopen, context.say, { waitMs: 60_000 });
    // The verdict and its figures (acknowledged lost, the failover) come from the history.
    return judge(plan.scenario, nemesis.history, last, context.say, {
      ...facts,
      partitionMs: healedAt - cutAt,
      sentBeforeCut: sentBefore,
      deliveredWhileCut,
      producerReconnections: reconnections.producer,
      consumerReconnections: reconnections.consumer,
    });
  } finally {
    await values.kill();
    await receiver.kill();
  }
}
