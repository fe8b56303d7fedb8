import { awayAndBack, gapsOf, lastSummary, verdictOf, type Scenario } from '../story.js';

export const cleanSession: Scenario = {
  name: 'clean-session',
  title: 'A clean session keeps nothing',
  claim: 'With clean session on, the broker treats every connection as new: values sent while the consumer was away are not kept.',
  needsMosquitto: false,
  async run(context) {
    const story = await awayAndBack(context, 'clean-session', { awayMs: context.intervalMs * 10, consumerArgs: ['--clean'] });
    const gap = gapsOf(story.second)[0];
    if (gap) context.say(`The consumer reports values ${String(gap.from)}-${String(gap.to)} missing: ${String(gap.cause)}.`);
    const facts = {
      sessionResumed: story.sessionPresent,
      lastBefore: story.before.at(-1)!,
      gapFrom: (gap?.from as number | undefined) ?? null,
      missing: (gap?.missing as number | undefined) ?? 0,
      cause: (gap?.cause as string | undefined) ?? null,
      exit: story.secondExit,
    };
    const pass = !facts.sessionResumed && facts.missing > 0 && facts.cause === 'clean-session' && facts.exit === 3;
    return {
      verdict: verdictOf(pass),
      observed: gap ? `${facts.missing} values lost while away, flagged as a gap (cause: ${String(facts.cause)})` : 'no gap reported',
      facts,
      summary: lastSummary(story.second),
    };
  },
};
