import { acknowledgedBy, judgeReturn } from '../../checker.js';
import { Nemesis } from '../../nemesis.js';
import { consumer, names, producer, type Scenario } from '../../story.js';

export const killWhileAway: Scenario = {
  name: 'kill-while-away',
  title: 'A node dies while the consumer is away with values queued',
  claim: 'Values queued for an offline consumer are kept by the cluster, not by one node: when its node is SIGKILLed while it is away, the consumer returns through another node and receives every value acknowledged meanwhile.',
  needsMosquitto: false,
  needsCluster: true,
  needsActions: ['kill', 'start'],
  async run(context) {
    const nemesis = Nemesis.of(context);
    await nemesis.heal();
    const count = 500;
    const { topic, id, state } = names(context, 'kill-while-away');
    const first = consumer(context, nemesis.urls(1, 2, 3), id, topic, state);
    await first.waitForEvent('subscribed', () => true, 20_000);
    await first.interrupt();
    context.say(`The consumer subscribes through node ${String(nemesis.nodeAt(first.eventsOf('connected')[0]!.url))}, and leaves.`);
    const values = producer(context, nemesis.urls(2, 3), topic, ['--interval', '0', '--count', String(count)]);
    const acknowledged = await acknowledgedBy(values, count, context.say);
    context.say(`The producer has ${count} values acknowledged through node 2 while the consumer is away.`);
    await nemesis.kill(1);
    const second = consumer(context, nemesis.urls(1, 2, 3), id, topic, state);
    return judgeReturn(
      { say: context.say, history: nemesis.history, scenario: 'kill-while-away' },
      { acknowledged, returning: second, producer: values },
      {
        firstValue: 'a value after the return',
        returned: (resumed) =>
          `The consumer returns with the same three URLs and reaches node ${String(nemesis.nodeAt(second.eventsOf('connected')[0]!.url))}: ${resumed ? 'session resumed' : 'no session there'}.`,
      },
    );
  },
};
