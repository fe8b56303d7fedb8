import { formatRange } from '../../cli/output.js';
import { awayAndBack, gapsOf, lastSummary, verdictOf, type Scenario } from '../story.js';

export const qos0: Scenario = {
  name: 'qos0',
  title: 'QoS 0 messages are not queued',
  claim: 'Messages published at QoS 0 are not stored for an offline consumer, even with a persistent session: only QoS 1 and 2 are.',
  needsMosquitto: false,
  async run(context) {
    const story = await awayAndBack(context, 'qos0', { awayMs: context.intervalMs * 10, producerArgs: ['-q', '0'] });
    const gap = gapsOf(story.second)[0];
    // Judged by value, not by the consumer's queued flag: a QoS 0 value published while the broker was
    // already answering the returning consumer arrives live, yet can look queued by its timestamp.
    const { from, to } = story.away;
    const fromAway = story.after.filter((v) => v >= from && v <= to);
    context.say(`Of the values ${formatRange(from, to)} sent while it was away, ${fromAway.length === 0 ? 'none arrived' : `${fromAway.length} arrived`}.`);
    if (gap) context.say(`The consumer reports values ${String(gap.from)}-${String(gap.to)} missing: ${String(gap.cause)}.`);
    const facts = {
      sessionResumed: story.sessionPresent,
      sentWhileAway: to - from + 1,
      deliveredFromAway: fromAway.length,
      queued: story.second.eventsOf('backlog').length,
      missing: (gap?.missing as number | undefined) ?? 0,
      cause: (gap?.cause as string | undefined) ?? null,
      exit: story.secondExit,
    };
    const pass = facts.sessionResumed && facts.deliveredFromAway === 0 && facts.cause === 'qos0' && facts.exit === 3;
    return {
      verdict: verdictOf(pass),
      observed:
        `session resumed: ${facts.sessionResumed ? 'yes' : 'no'}; ${facts.deliveredFromAway} of the ${facts.sentWhileAway} values sent while away delivered` +
        (gap ? `, ${facts.missing} reported missing (cause: ${String(facts.cause)})` : ', no gap reported'),
      facts,
      summary: lastSummary(story.second),
    };
  },
};
