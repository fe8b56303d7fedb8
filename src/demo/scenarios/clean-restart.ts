import { acknowledgedBy, judgeReturn } from '../checker.js';
import { Nemesis } from '../nemesis.js';
import { consumer, names, producer, type Scenario } from '../story.js';

/**
 * broker-restart's question (does a restart lose sessions?) asked of the other brokers the demo can
 * start, where the only restart is the broker's own: every node stopped cleanly and started again.
 */
export const cleanRestart: Scenario = {
  name: 'clean-restart',
  title: 'A clean restart of the broker keeps sessions and what was queued for them',
  claim: 'A broker stopped cleanly and started again with its data (every node of a cluster) still knows a persistent session, and the consumer receives every value acknowledged while it was away.',
  needsMosquitto: false,
  needsStartedBroker: true,
  needsActions: ['stop', 'start'],
  async run(context) {
    const nemesis = Nemesis.of(context);
    await nemesis.heal();
    const count = 200;
    const { topic, id, state } = names(context, 'clean-restart');
    const all = nemesis.urls(...nemesis.indexes);
    const first = consumer(context, all, id, topic, state);
    await first.waitForEvent('subscribed', () => true, 30_000);
    await first.interrupt();
    context.say('The consumer subscribes with a persistent session, and leaves.');
    const values = producer(context, all, topic, ['--interval', '0', '--count', String(count)]);
    const acknowledged = await acknowledgedBy(values, count, context.say);
    context.say(`The producer has ${count} values acknowledged while the consumer is away.`);
    await nemesis.restartAll();
    const second = consumer(context, all, id, topic, state);
    return judgeReturn(
      { say: context.say, history: nemesis.history, scenario: 'clean-restart' },
      { acknowledged, returning: second, producer: values },
      {
        firstValue: 'a value after the restart',
        returned: (resumed) => `The consumer returns: ${resumed ? 'session resumed' : 'no session after the restart'}.`,
      },
    );
  },
};
