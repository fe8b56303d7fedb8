import { acknowledgedBy, judgeReturn } from '../../checker.js';
import { Nemesis } from '../../nemesis.js';
import { consumer, names, producer, type Scenario } from '../../story.js';

export const restartNode: Scenario = {
  name: 'restart-node',
  title: 'A killed node is started again and rejoins',
  claim: 'A node SIGKILLed and started again catches up with the cluster: a consumer that returns through it alone finds its session and receives what was acknowledged while the node was down.',
  needsMosquitto: false,
  needsCluster: true,
  needsActions: ['kill', 'start'],
  async run(context) {
    const nemesis = Nemesis.of(context);
    await nemesis.heal();
    const count = 300;
    const { topic, id, state } = names(context, 'restart-node');
    await nemesis.kill(3);
    const first = consumer(context, nemesis.urls(1, 2), id, topic, state);
    // Right after a node is lost a cluster may refuse sessions while it elects new leaders (NATS: seconds
    // on an idle machine, more than 30 s on a loaded one); the consumer tries again by itself.
    await first.waitForEvent('subscribed', () => true, 90_000);
    await first.interrupt();
    context.say(`With node 3 down, the consumer subscribes through node ${String(nemesis.nodeAt(first.eventsOf('connected')[0]!.url))}, and leaves.`);
    const values = producer(context, nemesis.urls(2, 1), topic, ['--interval', '5', '--count', String(count)]);
    const acknowledged = await acknowledgedBy(values, count, context.say);
    context.say(`The producer has ${count} values acknowledged through node 2 while node 3 is down.`);
    await nemesis.restart(3);
    const second = consumer(context, nemesis.urls(3), id, topic, state);
    return judgeReturn(
      { say: context.say, history: nemesis.history, scenario: 'restart-node' },
      { acknowledged, returning: second, producer: values },
      {
        firstValue: 'a value through node 3',
        returned: (resumed) => `The consumer returns through node 3 only: ${resumed ? 'session resumed' : 'no session there'}.`,
      },
    );
  },
};
