/** The checkers' findings and the fault verdicts in words: the same lines at the end of a run and from a saved history. */
import type { ChalkInstance } from 'chalk';
import type { HistoryFigures, StreamValues } from '../core/checkers.js';
import type { FailoverMeasure, FaultJudgement } from '../core/fault-verdicts.js';
import type { FaultKind } from '../core/history.js';
import { counted, formatRanges, formatSeconds } from './format.js';

/** What a condition of a claim says when it does not hold. */
const failedConditionWords: Record<string, string> = {
  everyValueAcknowledged: 'values sent were never acknowledged to the producer',
  sessionResumed: 'the session was not resumed',
  otherNode: 'the consumer did not reach another node',
  killedWhilePublishing: 'the producer had sent everything before its node was killed: the fault was not exercised',
  producerReconnected: 'the producer did not reconnect to another node',
  deadLinkNoticed: 'the dead link was not noticed in time',
  inOrder: 'values came out of order',
  keptValuesAcknowledged: 'the values counted while the link was cut were not all acknowledged',
  keptWithPersistence: 'the broker with persistence did not keep the session and every value',
  goneWithoutPersistence: 'the broker without persistence kept the session',
  onceAcrossGroup: 'values were delivered more than once across the group',
  memberResumed: 'the member that left did not find its session on its return',
};

const linkOf = (target: string | undefined): string => (target === undefined ? 'a client' : target);

const faultWords: Record<FaultKind, (node: number | null, target?: string) => string> = {
  kill: (node) => `kill of node ${String(node)} (SIGKILL)`,
  start: (node) => `start of node ${String(node)}`,
  pause: (node) => `pause of node ${String(node)} (SIGSTOP)`,
  resume: (node) => `resume of node ${String(node)} (SIGCONT)`,
  'restart-all': () => 'clean restart of every node',
  isolate: (node) => `cut of node ${String(node)} from the other nodes`,
  disconnect: (node) => `cut of node ${String(node)} from the other nodes and the clients`,
  heal: (node) => (node === null ? 'heal (every node running and awake)' : `heal of node ${node}'s links`),
  cut: (_, target) => `cut of ${linkOf(target)}'s link`,
  stall: (_, target) => `stall of ${linkOf(target)}'s link (half-open)`,
  restore: (_, target) => `restore of ${linkOf(target)}'s link`,
  restart: (_, target) => `clean restart of ${target ?? 'the broker'}`,
  stop: (_, target) => `stop of ${linkOf(target)} (Ctrl+C)`,
};

const measureWords: Record<FailoverMeasure, string> = {
  'first-delivery': 'the first value after it',
  'other-node': 'the first value through another node',
  'published-after': 'the first value published after it',
};

/** "the kill of node 2 (SIGKILL)", "the stall of consumer-1's link (half-open)". */
export function faultText(kind: FaultKind, node: number | null, target?: string): string {
  return `the ${faultWords[kind](node, target)}`;
}

/** Values by stream, as ranges: "3-5, 9" when the run had one stream, "a: 3-5; b: 9" when it had several. */
export function streamValuesText(streams: readonly StreamValues[], published: number): string {
  if (streams.length === 1 && published <= 1) return formatRanges(streams[0]!.ranges, Infinity);
  return streams.map((stream) => `${stream.stream}: ${formatRanges(stream.ranges, Infinity)}`).join('; ');
}

function failoverText(judgement: FaultJudgement): string {
  const failover = judgement.failover;
  if (!failover) {
    // A run of many faults: the slowest of them.
    const times = judgement.figures.failovers.map((each) => each.firstDeliveryMs);
    if (times.length === 0) return 'none: no fault happened';
    const known = times.filter((ms) => ms !== null);
    const slowest = known.length > 0 ? `at most ${formatSeconds(Math.max(...known))} from a fault to the first value after it` : 'no value after any';
    return `${slowest} (${times.length} ${times.length === 1 ? 'fault' : 'faults'}${known.length < times.length ? `, ${times.length - known.length} with no value after them` : ''})`;
  }
  const from = `${faultText(failover.kind, failover.node, failover.target)} to ${measureWords[failover.measure]}`;
  return failover.ms === null ? `no value within the time after ${from}` : `${formatSeconds(failover.ms)} from ${from}`;
}

/** A figure of the claim, when the judgement has it as a number (or a yes or no). */
const numberIn = (facts: FaultJudgement['facts'], name: string): number | null => (typeof facts[name] === 'number' ? facts[name] : null);
const yesNoIn = (facts: FaultJudgement['facts'], name: string): boolean | null => (typeof facts[name] === 'boolean' ? facts[name] : null);

/**
 * The figures of the claim, said first: how soon a half-open link was noticed, what the producer
 * counted while cut off, what each broker restart kept.
 */
function claimFigures(facts: FaultJudgement['facts']): string[] {
  const phrases: string[] = [];
  const keepalive = numberIn(facts, 'keepaliveSeconds');
  if (keepalive !== null) {
    const noticed = numberIn(facts, 'noticedMs');
    phrases.push(`half-open link ${noticed === null ? 'never noticed' : `noticed after ${formatSeconds(noticed)}`} (keep-alive ${keepalive} s)`);
  }
  const produced = numberIn(facts, 'producedDuringCut');
  if (produced !== null) {
    const cutMs = numberIn(facts, 'cutMs');
    phrases.push(`${produced} values counted while the producer's link was cut${cutMs === null ? '' : ` (${formatSeconds(cutMs)})`}`);
  }
  const held = numberIn(facts, 'heldForAbsent');
  if (held !== null) phrases.push(`${held} values held for the member while it was away`);
  const restart = (label: string, resumed: boolean | null, lost: number | null): string =>
    `${label}: ${resumed === null ? 'no consumer came back after the restart' : `session ${resumed ? 'resumed' : 'gone'}, ${String(lost)} lost`}`;
  if ('resumedWithPersistence' in facts) {
    phrases.push(restart('persistence on', yesNoIn(facts, 'resumedWithPersistence'), numberIn(facts, 'lostWithPersistence')));
    phrases.push(restart('off', yesNoIn(facts, 'resumedWithout'), numberIn(facts, 'lostWithout')));
  }
  return phrases;
}

/** The observed line of a fault scenario: the headline figures, the failover, and the conditions that failed. */
export function judgementObserved(judgement: FaultJudgement): string {
  const { lost, duplicates, outOfOrder } = judgement.figures;
  const failed = judgement.conditions.filter((condition) => !condition.holds).map((condition) => failedConditionWords[condition.fact] ?? `${condition.fact} does not hold`);
  return [
    ...claimFigures(judgement.facts),
    `${lost.acknowledged} acknowledged, ${lost.delivered} delivered, ${lost.lost} acknowledged lost${lost.lost > 0 ? ` (${streamValuesText(lost.streams, lost.published)})` : ''}`,
    `${duplicates.count} duplicates, ${outOfOrder.count} out of order`,
    `failover ${failoverText(judgement)}`,
    ...failed,
  ].join('; ');
}

/** The finding said as the story ends, when acknowledged values were lost. */
export function lostFinding(figures: HistoryFigures): string | null {
  if (figures.lost.lost === 0) return null;
  return `FINDING: ${counted(figures.lost.lost, 'value')} acknowledged to the producer never arrived: ${streamValuesText(figures.lost.streams, figures.lost.published)}.`;
}

/** Every checker's figures, a line each: the end of a random run, and a saved history re-checked. */
export function figureLines(figures: HistoryFigures): string[] {
  const { lost, duplicates, outOfOrder, unavailability, failovers, unacknowledged } = figures;
  const unanswered = unacknowledged.reduce((sum, stream) => sum + stream.values.length, 0);
  return [
    `Acknowledged: ${lost.acknowledged}`,
    `Delivered: ${lost.delivered}`,
    `Acknowledged lost: ${lost.lost}${lost.lost > 0 ? ` (${streamValuesText(lost.streams, lost.published)})` : ''}`,
    `Duplicates: ${duplicates.count}${duplicates.count > 0 ? ` (${streamValuesText(duplicates.streams, lost.published)})` : ''}`,
    `Out of order: ${outOfOrder.count}`,
    `Sent, never acknowledged (outcome unknown): ${unanswered}`,
    `Longest time without delivery: ${unavailability.longestMs === null ? 'none measured (nothing delivered)' : `${formatSeconds(unavailability.longestMs)} (from ${formatSeconds(unavailability.from!)} to ${formatSeconds(unavailability.to!)})`}`,
    ...(failovers.length === 0
      ? ['Failover: no fault']
      : failovers.map(
          (failover) =>
            `Failover after ${faultText(failover.kind, failover.node, failover.target)} at ${formatSeconds(failover.at)}: ${failover.firstDeliveryMs === null ? 'no value after it' : `first value after ${formatSeconds(failover.firstDeliveryMs)}`}` +
            `${failover.otherNodeMs === null ? '' : `, through another node after ${formatSeconds(failover.otherNodeMs)}`}`,
        )),
  ];
}

/** A verdict from a history: the Observed line, PASS or FAIL, and every figure, indented. */
export function verdictLines(judgement: FaultJudgement, chalk: ChalkInstance): string[] {
  return [`Observed: ${judgementObserved(judgement)}`, judgement.pass ? chalk.green.bold('PASS') : chalk.red.bold('FAIL'), ...figureLines(judgement.figures).map((line) => `  ${line}`)];
}

/** One scenario of a saved history, judged again: its verdict and figures, or why it has none. */
export interface HistoryVerdict {
  scenario: string;
  figures: HistoryFigures;
  /** Undefined for a scenario whose verdict is not a combination of the checkers. */
  judgement: FaultJudgement | undefined;
}

/** The report of a saved history, a block a scenario: the same Observed line and verdict as the demo's, then every figure. */
export function historyReportLines(verdicts: readonly HistoryVerdict[], chalk: ChalkInstance): string[] {
  const lines: string[] = [];
  for (const { scenario, figures, judgement } of verdicts) {
    lines.push(chalk.bold(`== ${scenario}`));
    if (judgement) {
      lines.push(...verdictLines(judgement, chalk));
      continue;
    }
    lines.push(`No verdict from its history: the verdict of ${scenario} is not a combination of the checkers; their figures:`);
    for (const line of figureLines(figures)) lines.push(`  ${line}`);
  }
  return lines;
}
