import { acknowledgedBy, finishDelivery, firstValueAfterConnection, judge, msUntil } from '../../checker.js';
import { Nemesis } from '../../nemesis.js';
import { consumer, names, producer, receive, type Scenario } from '../../story.js';

export const killConsumerNode: Scenario = {
  name: 'kill-consumer-node',
  title: "The consumer's node dies while values stream in",
  claim: "A consumer given every node's URL whose node is SIGKILLed while the producer publishes at full rate resumes its session on another node: every value acknowledged to the producer arrives.",
  needsMosquitto: false,
  needsCluster: true,
  needsActions: ['kill', 'start'],
  async run(context) {
    const nemesis = Nemesis.of(context);
    await nemesis.heal();
    const count = 5000;
    const { topic, id, state } = names(context, 'kill-consumer-node');
    const receiver = consumer(context, nemesis.urls(1, 2, 3), id, topic, state);
    await receiver.waitForEvent('subscribed', () => true, 20_000);
    context.say(`The consumer is on node ${String(nemesis.nodeAt(receiver.eventsOf('connected')[0]!.url))} of 3 (it has all three URLs).`);
    const values = producer(context, nemesis.urls(2, 3), topic, ['--interval', '0', '--count', String(count)]);
    context.say(`The producer publishes ${count} values back to back through node 2.`);
    try {
      await receive(receiver, 1000, 30_000);
      const killedAt = await nemesis.kill(1);
      await msUntil(receiver, killedAt, 'a value through another node', () => firstValueAfterConnection(receiver.events, 2) !== undefined, 30_000);
      const reconnected = receiver.eventsOf('connected')[1];
      if (reconnected) context.say(`The consumer goes on through node ${String(nemesis.nodeAt(reconnected.url))}: ${reconnected.sessionPresent === true ? 'session resumed' : 'no session there'}.`);
      const reopen = (): ReturnType<typeof consumer> => consumer(context, nemesis.urls(2, 3), id, topic, state);
      const { last, facts } = await finishDelivery(receiver, await acknowledgedBy(values, count, context.say), reopen, context.say);
      return judge('kill-consumer-node', nemesis.history, last, context.say, facts);
    } finally {
      await values.kill();
      await receiver.kill();
    }
  },
};
