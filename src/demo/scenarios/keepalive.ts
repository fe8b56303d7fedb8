import { formatDuration } from '../../cli/output.js';
import type { LinkReason } from '../../core/events.js';
import { keepaliveSeconds } from '../../core/fault-verdicts.js';
import { describeLinkReason } from '../../core/reasons.js';
import { judge } from '../checker.js';
import { LinkProxy } from '../link-proxy.js';
import { Nemesis } from '../nemesis.js';
import { consumer, finish, firstUrl, throughLink, names, producer, receive, type Scenario } from '../story.js';

export const keepalive: Scenario = {
  name: 'keepalive',
  title: 'The keep-alive is how soon a dead link is noticed',
  claim: `The article passes 3600 as the keep-alive, meaning the session expiry. The keep-alive is how long a link may stay silent: a link that dies without closing is noticed after 1.5 times it, 90 minutes at 3600 s. With ${keepaliveSeconds} s the consumer notices within ${keepaliveSeconds * 1.5} s, reconnects and loses nothing.`,
  needsMosquitto: false,
  async run(context) {
    const url = firstUrl(context);
    const link = await new LinkProxy(Number(url.port || 1883), url.hostname).start();
    const nemesis = Nemesis.withoutCluster(context);
    const { topic, id, state } = names(context, 'keepalive');
    const receiver = consumer(context, throughLink(context, link), id, topic, state, ['-k', String(keepaliveSeconds)]);
    const values = producer(context, context.url, topic);
    try {
      await receiver.waitForEvent('subscribed');
      await receive(receiver, 5);
      const stalledAt = await nemesis.stall(link, receiver);
      context.say(`The consumer's link goes half-open: the sockets stay open, nothing gets through (keep-alive ${keepaliveSeconds} s).`);
      const offline = await receiver.waitForEvent('offline', () => true, keepaliveSeconds * 1500 + 5000);
      context.say(`The consumer notices after ${formatDuration(Date.now() - stalledAt)}: ${describeLinkReason(offline.reason as LinkReason)}.`);
      await receiver.waitUntil('the reconnect', () => receiver.eventsOf('connected').length >= 2, 10_000);
      const back = receiver.eventsOf('connected')[1]!;
      context.say(`It reconnects: ${back.sessionPresent ? 'the broker resumed its session' : 'the broker had no session for it'}.`);
      const { missing, exit } = await finish(context, values, receiver);
      // The verdict is the history's; what the consumer itself counted stays beside it.
      return judge('keepalive', nemesis.history, receiver, context.say, {
        reason: (offline.reason as LinkReason).code,
        missing: missing.length,
        gaps: receiver.eventsOf('gap').length,
        exit: exit.code,
      });
    } finally {
      await values.interrupt();
      await receiver.interrupt();
      await link.close();
    }
  },
};
