/**
 * The checker of the fault scenarios: the history they recorded (what the producer had acknowledged,
 * what the consumer delivered, when) judged afterwards with src/core/history.ts, the same way for every
 * fault. The headline is the number of acknowledged values lost, and those values are listed.
 */
import { checkDelivery } from '../core/history.js';
import { formatSeconds, formatValues } from '../cli/output.js';
import { messageValues, type ChildCommand, type Exit, type JsonEvent } from './processes.js';
import { lastSummary, verdictOf, type Facts, type Outcome } from './story.js';

/** Values 1..n: what a producer run with --count n acknowledged when it exited 0. */
export function upTo(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

/** The first value the consumer delivered after its connection number `nth` (1-based), if any. */
export function firstValueAfterConnection(events: JsonEvent[], nth: number): number | undefined {
  let connections = 0;
  for (const event of events) {
    if (event.event === 'connected') connections += 1;
    else if (event.event === 'message' && connections >= nth) return event.value as number;
  }
  return undefined;
}

/** Milliseconds from `since` until check() holds for the command's output, or null when it did not within the time. */
export async function msUntil(command: ChildCommand, since: number, what: string, check: () => boolean, timeoutMs: number): Promise<number | null> {
  try {
    await command.waitUntil(what, check, timeoutMs);
    return Date.now() - since;
  } catch {
    return null;
  }
}

/**
 * What the producer acknowledged: run with --count n, an exit 0 means every value 1..n was acknowledged
 * (it ends only when none is outstanding). Anything else is a run that cannot be judged, said as such.
 */
export async function acknowledgedBy(values: ChildCommand, count: number, timeoutMs = 60_000): Promise<{ values: number[] } | { failure: string }> {
  let exit: Exit;
  try {
    exit = await values.exitWithin(timeoutMs);
  } catch {
    await values.kill();
    return { failure: `the producer had not had its ${count} values acknowledged after ${formatSeconds(timeoutMs)}` };
  }
  if (exit.code !== 0) return { failure: `the producer stopped with status ${String(exit.code)}: ${values.stderr.trim().split('\n').at(-1) ?? ''}` };
  return { values: upTo(count) };
}

/** Waits, bounded, until the consumer delivered every acknowledged value; what is still missing then is lost. */
export async function awaitDelivery(receiver: ChildCommand, acknowledged: number[], timeoutMs = 30_000): Promise<void> {
  const highest = acknowledged.at(-1);
  if (highest === undefined) return;
  await receiver
    .waitUntil(`value ${highest}`, () => {
      const seen = new Set(messageValues(receiver.events));
      return acknowledged.every((value) => seen.has(value));
    }, timeoutMs)
    .catch(() => {});
}

export interface FaultRun {
  /** What the producer acknowledged, or why that is not known. */
  acknowledged: { values: number[] } | { failure: string };
  /** The consumer, or the consumers in turn, whose deliveries make the history. */
  receivers: ChildCommand[];
  /** From the fault to the first value after it; null when none came within the time. */
  failoverMs: number | null;
  /** What the failover time measures, for the observed line. */
  failoverFrom: string;
  /** Conditions of the claim beyond "nothing acknowledged was lost", each with the fact it reads. */
  also?: Array<{ fact: string; value: boolean; says: string }>;
  /** Scenario-specific facts, reported as they are. */
  facts?: Facts;
}

/** The verdict: PASS when no acknowledged value was lost and the claim's other conditions hold. */
export function judge(run: FaultRun, say: (line: string) => void): Outcome {
  const last = run.receivers.at(-1)!;
  const delivered = run.receivers.flatMap((receiver) => messageValues(receiver.events));
  const gaps = run.receivers.flatMap((receiver) => receiver.eventsOf('gap'));
  const failover = run.failoverMs === null ? `no value within the time after ${run.failoverFrom}` : `${formatSeconds(run.failoverMs)} from ${run.failoverFrom}`;
  if ('failure' in run.acknowledged) {
    return {
      verdict: 'FAIL',
      observed: `${run.acknowledged.failure}; ${delivered.length} values delivered`,
      facts: { ...run.facts, acknowledged: null, delivered: delivered.length, failoverMs: run.failoverMs, failure: run.acknowledged.failure },
      summary: lastSummary(last),
    };
  }
  const check = checkDelivery(run.acknowledged.values, delivered);
  const lostText = formatValues(check.lost);
  const also = run.also ?? [];
  const facts: Facts = {
    ...run.facts,
    acknowledged: check.acknowledged,
    delivered: check.delivered,
    lost: check.lost.length,
    lostValues: lostText,
    duplicates: check.duplicates,
    outOfOrder: check.outOfOrder,
    gapsReported: gaps.length,
    failoverMs: run.failoverMs,
    ...Object.fromEntries(also.map((condition) => [condition.fact, condition.value])),
  };
  if (check.lost.length > 0) say(`FINDING: ${check.lost.length} values acknowledged to the producer never arrived: ${lostText}.`);
  const failed = also.filter((condition) => !condition.value).map((condition) => condition.says);
  const observed = [
    `${check.acknowledged} acknowledged, ${check.delivered} delivered, ${check.lost.length} acknowledged lost${check.lost.length > 0 ? ` (${lostText})` : ''}`,
    `${check.duplicates} duplicates, ${check.outOfOrder} out of order`,
    `failover ${failover}`,
    ...failed,
  ].join('; ');
  return { verdict: verdictOf(check.lost.length === 0 && failed.length === 0), observed, facts, summary: lastSummary(last) };
}

/**
 * The consumer comes back after a fault: the time from the fault to its first value, every acknowledged
 * value awaited, then the verdict; the producer and the returning consumer are stopped whatever happens.
 */
export async function judgeReturn(
  say: (line: string) => void,
  run: { acknowledged: FaultRun['acknowledged']; first: ChildCommand; returning: ChildCommand; producer: ChildCommand; faultAt: number },
  words: { firstValue: string; failoverFrom: string; returned: (sessionPresent: boolean) => string; notResumed: string },
): Promise<Outcome> {
  const { acknowledged, first, returning, producer, faultAt } = run;
  try {
    await returning.waitUntil('a connection', () => returning.eventsOf('connected').length > 0, 30_000).catch(() => {});
    const connected = returning.eventsOf('connected')[0];
    const resumed = connected?.sessionPresent === true;
    // A new session has no queue: what was acknowledged while away cannot come, so the wait is short.
    const waitMs = connected && !resumed ? 3000 : 30_000;
    const failoverMs = await msUntil(returning, faultAt, words.firstValue, () => messageValues(returning.events).length > 0, waitMs);
    if (connected) say(words.returned(resumed));
    if ('values' in acknowledged) await awaitDelivery(returning, acknowledged.values, waitMs);
    await returning.interrupt();
    return judge(
      {
        acknowledged,
        receivers: [first, returning],
        failoverMs,
        failoverFrom: words.failoverFrom,
        also: [{ fact: 'sessionResumed', value: resumed, says: words.notResumed }],
      },
      say,
    );
  } finally {
    await producer.kill();
    await returning.kill();
  }
}
