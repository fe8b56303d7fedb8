import { awayAndBack, gapsOf, lastSummary, verdictOf, type Scenario } from '../story.js';

export const sessionExpiry: Scenario = {
  name: 'session-expiry',
  title: 'The session expiry bounds how long the broker waits',
  claim: "The broker keeps an offline consumer's session, and its messages, only for the session expiry interval: away longer, the values are lost; away shorter, they are kept.",
  needsMosquitto: false,
  notApplicable: (target) => (target.protocolVersion === 4 ? 'MQTT 3.1.1 has no session expiry: the session lasts as long as the broker keeps it' : undefined),
  async run(context) {
    context.say('First with a session expiry of 1 s, away for 2.5 s:');
    const expired = await awayAndBack(context, 'session-expiry-short', { awayMs: 2500, consumerArgs: ['-x', '1'] });
    const gap = gapsOf(expired.second)[0];
    if (gap) context.say(`Session lost; values ${String(gap.from)}-${String(gap.to)} missing (${String(gap.cause)}).`);
    context.say('Then with a session expiry of 10 s, away for 1 s:');
    const kept = await awayAndBack(context, 'session-expiry-long', { awayMs: 1000, consumerArgs: ['-x', '10'] });
    const keptSummary = lastSummary(kept.second);
    const facts = {
      expiredSessionResumed: expired.sessionPresent,
      sessionLostReported: expired.second.eventsOf('session-lost').length > 0,
      expiredMissing: (gap?.missing as number | undefined) ?? 0,
      expiredCause: (gap?.cause as string | undefined) ?? null,
      expiredExit: expired.secondExit,
      keptSessionResumed: kept.sessionPresent,
      keptMissing: (keptSummary?.missing as number | undefined) ?? null,
    };
    const pass =
      !facts.expiredSessionResumed &&
      facts.sessionLostReported &&
      facts.expiredCause === 'session-lost' &&
      facts.expiredExit === 3 &&
      facts.keptSessionResumed &&
      facts.keptMissing === 0;
    return {
      verdict: verdictOf(pass),
      observed: `away 2.5 s with -x 1: session ${facts.expiredSessionResumed ? 'resumed' : 'gone'}, ${facts.expiredMissing} lost; away 1 s with -x 10: session ${facts.keptSessionResumed ? 'resumed' : 'gone'}, ${String(facts.keptMissing)} lost`,
      facts,
      summary: keptSummary,
    };
  },
};
