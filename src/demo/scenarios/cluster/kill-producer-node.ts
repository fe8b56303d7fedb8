import { acknowledgedBy, acknowledgedValues, finishDelivery, judge, msUntil } from '../../checker.js';
import { Nemesis } from '../../nemesis.js';
import { messageValues, sentValues } from '../../processes.js';
import { consumer, names, producer, receive, type Scenario } from '../../story.js';

export const killProducerNode: Scenario = {
  name: 'kill-producer-node',
  title: "The producer's node dies while it publishes",
  claim: "A producer whose node is SIGKILLed mid-stream reconnects to another node and sends again what was not acknowledged: every value acknowledged to it reaches the consumer.",
  needsMosquitto: false,
  needsCluster: true,
  needsActions: ['kill', 'start'],
  async run(context) {
    const nemesis = Nemesis.of(context);
    await nemesis.heal();
    const count = 5000;
    const { topic, id, state } = names(context, 'kill-producer-node');
    const receiver = consumer(context, nemesis.urls(1, 3), id, topic, state);
    await receiver.waitForEvent('subscribed', () => true, 20_000);
    // A value a millisecond: a broker that takes values faster than it delivers them (RabbitMQ took all
    // 5,000 sent back to back before the consumer had 1,000) still has the producer publishing at the kill.
    const values = producer(context, nemesis.urls(2, 3), topic, ['--interval', '1', '--count', String(count)]);
    context.say(`The consumer is on node 1; the producer publishes ${count} values, one a millisecond, through node 2 (then node 3).`);
    try {
      await receive(receiver, 100, 30_000);
      // Killed a fifth of the way through the producer's values, whatever the consumer has by then: a
      // broker that delivers slower than it takes values (ejabberd, from node to node) would otherwise
      // have them all before the consumer had a fifth.
      await values.waitUntil(`${count / 5} values acknowledged`, () => acknowledgedValues(values).length >= count / 5, 30_000);
      const killedAt = await nemesis.kill(2);
      const sentBefore = Math.max(...sentValues(values));
      await msUntil(receiver, killedAt, 'a value published after the kill', () => messageValues(receiver.events).some((v) => v > sentBefore), 30_000);
      const acknowledged = await acknowledgedBy(values, count, context.say);
      // Read once the producer has ended and all its output is in: its line saying it reconnected may
      // come after the consumer has already received what it published through the new node.
      const reconnected = values.eventsOf('connected')[1];
      if (reconnected) context.say(`The producer reconnected through node ${String(nemesis.nodeAt(reconnected.url))} and went on from its outbox.`);
      const reopen = (): ReturnType<typeof consumer> => consumer(context, nemesis.urls(1, 3), id, topic, state);
      const { last, facts } = await finishDelivery(receiver, acknowledged, reopen, context.say);
      return judge('kill-producer-node', nemesis.history, last, context.say, facts);
    } finally {
      await values.kill();
      await receiver.kill();
    }
  },
};
