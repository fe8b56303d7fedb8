import { setTimeout as sleep } from 'node:timers/promises';
import { formatSeconds } from '../../cli/output.js';
import { judge } from '../checker.js';
import { LinkProxy } from '../link-proxy.js';
import { Nemesis } from '../nemesis.js';
import { messageValues } from '../processes.js';
import { consumer, finish, firstUrl, throughLink, names, producer, receive, type Scenario } from '../story.js';

export const offlineProducer: Scenario = {
  name: 'offline-producer',
  title: 'A producer that loses the broker keeps its values',
  claim: 'Left open by the article: a producer cut off from the broker loses what it produces unless it keeps it locally. This one keeps counting and delivers everything when the broker is back.',
  needsMosquitto: false,
  async run(context) {
    const url = firstUrl(context);
    const link = await new LinkProxy(Number(url.port || 1883), url.hostname).start();
    const nemesis = Nemesis.withoutCluster(context);
    const { topic, id, state } = names(context, 'offline-producer');
    const receiver = consumer(context, context.url, id, topic, state);
    const values = producer(context, throughLink(context, link), topic);
    try {
      await receiver.waitForEvent('subscribed');
      await receive(receiver, 5);
      await nemesis.cut(link, values);
      const outageMs = context.intervalMs * 15;
      context.say(`The producer loses the broker for ${formatSeconds(outageMs)} and keeps counting.`);
      await sleep(outageMs);
      const kept = values.eventsOf('kept').length;
      await nemesis.restore(link, values);
      context.say(`The link is back: ${kept} values were kept meanwhile.`);
      const target = Math.max(...values.eventsOf('kept').map((e) => e.value as number), 0) + 5;
      await receiver.waitUntil(`value ${target}`, () => messageValues(receiver.events).includes(target), 20_000);
      const { missing, exit } = await finish(context, values, receiver);
      // The verdict is the history's; what the producer and the consumer themselves counted stays beside it.
      return judge('offline-producer', nemesis.history, receiver, context.say, { kept, missing: missing.length, gaps: receiver.eventsOf('gap').length, exit: exit.code });
    } finally {
      await values.interrupt();
      await receiver.interrupt();
      await link.close();
    }
  },
};
