/**
 * The checker of the fault scenarios: the history each recorded (the producer's publishes and their
 * acknowledgements, the consumer's deliveries, the nemesis's faults, on one time line) judged
 * afterwards by the pure checkers of src/core (fault-verdicts.ts), the same way for every fault. The
 * headline is the number of acknowledged values lost, and those values are listed.
 */
import { judgeFaultHistory } from '../core/fault-verdicts.js';
import { counted, formatSeconds, formatValues, judgementObserved, lostFinding } from '../cli/output.js';
import { messageValues, type ChildCommand, type Exit, type JsonEvent } from './processes.js';
import type { HistoryRecorder } from './history-recorder.js';
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

/** The values the producer had acknowledged, from its JSON events. */
export function acknowledgedValues(producer: ChildCommand): number[] {
  return producer.eventsOf('acknowledged').map((event) => event.value as number);
}

/**
 * Waits for the producer run with --count n to end: an exit 0 means every value 1..n was acknowledged
 * (it ends only when none is outstanding). What it acknowledged is in the history either way; a
 * producer that did not end is stopped, and why is said.
 */
export async function acknowledgedBy(values: ChildCommand, count: number, say: (line: string) => void, timeoutMs = 60_000): Promise<number[]> {
  let exit: Exit;
  try {
    exit = await values.exitWithin(timeoutMs);
  } catch {
    await values.kill();
    say(`The producer had not had its ${count} values acknowledged after ${formatSeconds(timeoutMs)}: it is stopped.`);
    return acknowledgedValues(values);
  }
  if (exit.code !== 0) say(`The producer stopped with status ${String(exit.code)}: ${values.stderr.trim().split('\n').at(-1) ?? ''}`);
  return acknowledgedValues(values);
}

/** Waits, bounded, until the consumer delivered every acknowledged value; what is still missing then is lost. */
export async function awaitDelivery(receiver: ChildCommand, acknowledged: number[], timeoutMs = 30_000): Promise<void> {
  if (acknowledged.length === 0) return;
  const highest = Math.max(...acknowledged);
  await receiver
    .waitUntil(`value ${highest}`, () => {
      const seen = new Set(messageValues(receiver.events));
      return acknowledged.every((value) => seen.has(value));
    }, timeoutMs)
    .catch(() => {});
}

/**
 * Waits, bounded, until the consumer delivered every acknowledged value, then stops it. What is still
 * missing then gets a final read, as Jepsen does: the consumer returns with its session (reopen) and
 * has finalReadMs to receive it, so that a value the broker still holds behind a stuck delivery is not
 * called lost. Gives the consumer whose summary is shown, and the final read's figures when there was one.
 */
export async function finishDelivery(
  receiver: ChildCommand,
  acknowledged: number[],
  reopen: () => ChildCommand,
  say: (line: string) => void,
  times: { waitMs?: number; finalReadMs?: number } = {},
): Promise<{ last: ChildCommand; facts: Facts }> {
  const { waitMs = 30_000, finalReadMs = 30_000 } = times;
  await awaitDelivery(receiver, acknowledged, waitMs);
  await receiver.interrupt();
  const delivered = new Set(messageValues(receiver.events));
  const missing = acknowledged.filter((value) => !delivered.has(value));
  if (missing.length === 0) return { last: receiver, facts: {} };
  const { returning, recovered } = await readAgain(reopen, missing, (command) => new Set(messageValues(command.events)), finalReadMs);
  say(
    `${counted(missing.length, 'acknowledged value')} had not arrived after ${formatSeconds(waitMs)} (${formatValues(missing)}); ` +
      `a final read: the consumer returned with its session and received ${recovered} of them within ${formatSeconds(finalReadMs)}.`,
  );
  return { last: returning, facts: { missingBeforeFinalRead: missing.length, recoveredByFinalRead: recovered } };
}

/**
 * The final read itself: the consumer that returns (reopen) is given timeoutMs to deliver what was
 * missing (as delivered() counts it), then stopped. Gives it and how many of the missing it read.
 */
export async function readAgain<T>(reopen: () => ChildCommand, missing: readonly T[], delivered: (command: ChildCommand) => Set<T>, timeoutMs: number): Promise<{ returning: ChildCommand; recovered: number }> {
  const returning = reopen();
  try {
    await returning.waitUntil('the missing values', () => {
      const seen = delivered(returning);
      return missing.every((one) => seen.has(one));
    }, timeoutMs).catch(() => {});
    await returning.interrupt();
  } finally {
    await returning.kill();
  }
  const seen = delivered(returning);
  return { returning, recovered: missing.filter((one) => seen.has(one)).length };
}

/**
 * The verdict of a fault scenario from its history: PASS when no acknowledged value was lost and the
 * claim's other conditions hold (fault-verdicts.ts). The figures and conditions become the facts;
 * last: the consumer whose summary is shown.
 */
export function judge(scenario: string, history: HistoryRecorder, last: ChildCommand, say: (line: string) => void, facts: Facts = {}): Outcome {
  const judgement = judgeFaultHistory(scenario, history.operations());
  if (!judgement) throw new Error(`no checker combination for ${scenario}`);
  const { lost, duplicates, outOfOrder } = judgement.figures;
  const finding = judgement.lossClaimed ? null : lostFinding(judgement.figures);
  if (finding) say(finding);
  return {
    verdict: verdictOf(judgement.pass),
    observed: judgementObserved(judgement),
    facts: {
      ...facts,
      ...judgement.facts,
      acknowledged: lost.acknowledged,
      delivered: lost.delivered,
      lost: lost.lost,
      lostValues: formatValues(lost.streams.flatMap((stream) => stream.values)),
      duplicates: duplicates.count,
      outOfOrder: outOfOrder.count,
      failoverMs: judgement.failover?.ms ?? null,
      ...Object.fromEntries(judgement.conditions.map((condition) => [condition.fact, condition.holds])),
    },
    summary: lastSummary(last),
  };
}

/**
 * The consumer comes back after a fault: its first value awaited, then every acknowledged value, then
 * the verdict from the history; the producer and the returning consumer are stopped whatever happens.
 */
export async function judgeReturn(
  context: { say: (line: string) => void; history: HistoryRecorder; scenario: string },
  run: { acknowledged: number[]; returning: ChildCommand; producer: ChildCommand },
  words: { firstValue: string; returned: (sessionPresent: boolean) => string },
): Promise<Outcome> {
  const { acknowledged, returning, producer } = run;
  try {
    await returning.waitUntil('a connection', () => returning.eventsOf('connected').length > 0, 30_000).catch(() => {});
    const connected = returning.eventsOf('connected')[0];
    const resumed = connected?.sessionPresent === true;
    // A new session has no queue: what was acknowledged while away cannot come, so the wait is short.
    const waitMs = connected && !resumed ? 3000 : 30_000;
    await msUntil(returning, Date.now(), words.firstValue, () => messageValues(returning.events).length > 0, waitMs);
    if (connected) context.say(words.returned(resumed));
    await awaitDelivery(returning, acknowledged, waitMs);
    await returning.interrupt();
    return judge(context.scenario, context.history, returning, context.say);
  } finally {
    await producer.kill();
    await returning.kill();
  }
}
