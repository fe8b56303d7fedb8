import { awayAndBack, consecutive, lastSummary, verdictOf, type Scenario } from '../story.js';

export const persistent: Scenario = {
  name: 'persistent',
  title: 'A persistent session keeps what was sent while the consumer was away',
  claim: 'With a fixed client id, clean session off and QoS 1, a consumer that comes back receives every value it missed, starting right after its last one.',
  needsMosquitto: false,
  async run(context) {
    const story = await awayAndBack(context, 'persistent', { awayMs: context.intervalMs * 10 });
    const lastBefore = story.before.at(-1)!;
    const firstAfter = story.after[0] ?? null;
    const summary = lastSummary(story.second);
    const resume = story.second.eventsOf('resume')[0];
    const backlog = story.second.eventsOf('backlog')[0];
    context.say(`The first value after the return is ${firstAfter}${firstAfter === lastBefore + 1 ? `, right after ${lastBefore}` : ` (the last before was ${lastBefore})`}.`);
    const facts = {
      joinedAt: story.before[0]!,
      gapsOnJoining: story.first.eventsOf('gap').length,
      sessionResumed: story.sessionPresent,
      lastBefore,
      firstAfter,
      resumeMissed: (resume?.missed as number | undefined) ?? null,
      queued: (backlog?.count as number | undefined) ?? 0,
      consecutiveAfter: consecutive(story.after),
      missing: (summary?.missing as number | undefined) ?? null,
      exit: story.secondExit,
    };
    const pass = facts.sessionResumed && firstAfter === lastBefore + 1 && facts.consecutiveAfter && facts.missing === 0 && facts.exit === 0;
    return {
      verdict: verdictOf(pass),
      observed: `session resumed: ${facts.sessionResumed ? 'yes' : 'no'}; last before ${lastBefore}, first after ${firstAfter}; ${String(facts.missing)} missing`,
      facts,
      summary,
    };
  },
};
