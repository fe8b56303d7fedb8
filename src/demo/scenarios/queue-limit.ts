import { setTimeout as sleep } from 'node:timers/promises';
import { formatSeconds } from '../../cli/output.js';
import { ChildCommand, messageValues } from '../processes.js';
import { consumer, disposeMosquitto, protocolArgs, gapsOf, lastSummary, names, producer, receive, startMosquitto, valuesIn, verdictOf, type Scenario } from '../story.js';

export const queueLimit: Scenario = {
  name: 'queue-limit',
  title: "The broker's queue limit drops what exceeds it",
  claim: 'A broker holds a bounded number of messages per offline client (Mosquitto: max_queued_messages, 1000 by default); beyond it, values are dropped.',
  needsMosquitto: true,
  async run(context) {
    const limit = 20;
    const broker = await startMosquitto({ config: [`max_queued_messages ${limit}`] });
    const { topic, id, state } = names(context, 'queue-limit');
    const witness = ChildCommand.consumer(['--url', broker.url, '-i', `${id}-witness`, '-t', topic, '--no-state', '--json', ...protocolArgs(context)]);
    const values = producer(context, broker.url, topic);
    try {
      context.say(`A Mosquitto that queues at most ${limit} messages per client; a second subscriber stays online as a witness.`);
      const first = consumer(context, broker.url, id, topic, state);
      await receive(first, 5);
      await first.interrupt();
      const awayMs = context.intervalMs * (limit * 3);
      context.say(`The consumer leaves for ${formatSeconds(awayMs)}: about ${limit * 3} values, three times the limit.`);
      await sleep(awayMs);
      context.say(`It returns knowing the broker's limit (--queue-limit ${limit}), so that it can name it as the cause.`);
      const second = consumer(context, broker.url, id, topic, state, ['--queue-limit', String(limit)]);
      await second.waitForEvent('gap', () => true, 20_000);
      await sleep(context.intervalMs * 5);
      const exit = await second.interrupt();
      await values.interrupt();
      await sleep(200);
      await witness.interrupt();
      const received = new Set([...messageValues(first.events), ...messageValues(second.events)]);
      const highest = Math.max(...received);
      const dropped = messageValues(witness.events).filter((v) => v > Math.min(...received) && v < highest && !received.has(v));
      const reported = valuesIn(gapsOf(second));
      const exact = reported.length === dropped.length && reported.every((v, i) => v === dropped[i]);
      context.say(`The broker dropped ${dropped.length} values; the consumer names ${reported.length}: ${exact ? 'exactly those' : 'not the same ones'}.`);
      const causes = [...new Set(gapsOf(second).map((g) => String(g.cause)))];
      // What the broker kept is read from the values: those the returning consumer got that were sent
      // before the first one it dropped. The backlog count may also hold a live value that arrived within
      // the backlog, sent after the CONNECT but before the consumer read the CONNACK.
      const firstDropped = dropped[0] ?? Number.POSITIVE_INFINITY;
      const lastBefore = Math.max(...messageValues(first.events));
      const kept = messageValues(second.events).filter((v) => v > lastBefore && v < firstDropped).length;
      const facts = {
        limit,
        kept,
        backlog: (second.eventsOf('backlog')[0]?.count as number | undefined) ?? 0,
        dropped: dropped.length,
        reported: reported.length,
        exactlyThoseDropped: exact,
        causes: causes.join(','),
        exit: exit.code,
      };
      const pass = facts.dropped > 0 && kept <= limit && exact && facts.causes === 'queue-limit' && facts.exit === 3;
      return {
        verdict: verdictOf(pass),
        observed: `${facts.dropped} dropped by the broker, ${facts.reported} reported missing (cause: ${facts.causes || 'none'}), exit ${String(exit.code)}`,
        facts,
        summary: lastSummary(second),
      };
    } finally {
      await values.interrupt();
      await witness.interrupt();
      await disposeMosquitto(broker);
    }
  },
};
