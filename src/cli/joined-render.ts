/** The producer's record joined with the consumers', for a person (per producer) or as one JSON object. */
import type { ChalkInstance } from 'chalk';
import type { JoinedProducer, JoinedReport } from '../core/delivery-join.js';
import { formatRanges } from './format.js';
import { chalkFor } from './stream.js';

/** "a" or "a or b". */
function eitherOf(members: string[]): string {
  return members.length === 1 ? members[0]! : `${members.slice(0, -1).join(', ')} or ${members.at(-1)!}`;
}

function producerLines(p: JoinedProducer, chalk: ChalkInstance): string[] {
  const who = `Producer ${p.producerId} on ${p.topic} (run ${p.runId})`;
  const consumers = p.consumers.length === 0 ? 'no consumer record holds it' : `received by ${p.consumers.join(', ')}`;
  const lines: string[] = [];
  if (p.acknowledged === null) {
    lines.push(chalk.bold(`${who}: QoS 0, nothing acknowledged, so nothing can be called lost; ${p.delivered} values delivered, ${consumers}`));
  } else {
    lines.push(chalk.bold(`${who}: ${p.acknowledged} values acknowledged by the broker, ${p.delivered} delivered; ${consumers}`));
    lines.push(
      p.lost === 0
        ? chalk.green('  acknowledged and never delivered: 0')
        : chalk.red.bold(`  acknowledged and never delivered: ${p.lost} (${formatRanges(p.lostRanges)})`),
    );
    const byMembers = new Map<string, JoinedProducer['waitingRanges']>();
    for (const range of p.waitingRanges) {
      const key = eitherOf(range.members);
      byMembers.set(key, [...(byMembers.get(key) ?? []), range]);
    }
    for (const [members, ranges] of byMembers) {
      const count = ranges.reduce((total, r) => total + r.to - r.from + 1, 0);
      lines.push(chalk.cyan(`  acknowledged, waiting for ${members}, away with its session kept: ${count} (${formatRanges(ranges)})`));
    }
    if (p.unacknowledged > 0) {
      lines.push(`  delivered but never acknowledged to the producer: ${p.unacknowledged} (${formatRanges(p.unacknowledgedRanges)}): it stopped before the broker's answer came (information, not a loss)`);
    }
  }
  const twice = p.deliveredTwice === 0 ? '' : `; delivered to two consumers: ${p.deliveredTwice} (${formatRanges(p.twiceRanges)})`;
  lines.push((p.duplicates + p.deliveredTwice > 0 ? chalk.yellow : (text: string) => text)(`  duplicates (a value again to the consumer that had it): ${p.duplicates}${twice}`));
  return lines;
}

function verdict(report: JoinedReport, chalk: ChalkInstance): string {
  if (report.lost > 0) {
    const more = report.waiting > 0 ? `; ${report.waiting} more wait in a kept session` : '';
    return chalk.red.bold(`Verdict: ${report.lost} acknowledged values were never delivered to any consumer${more}`);
  }
  if (report.waiting > 0) {
    return chalk.cyan.bold(`Verdict: nothing lost so far, but ${report.waiting} acknowledged values wait in the session of a consumer that is away: they arrive when it returns (report again then)`);
  }
  return chalk.green.bold('Verdict: every acknowledged value was delivered');
}

export function joinedReportLines(report: JoinedReport, chalk: ChalkInstance): string[] {
  return [...report.producers.flatMap((p) => producerLines(p, chalk)), verdict(report, chalk)];
}

export function renderJoinedReport(report: JoinedReport, json: boolean, stream: NodeJS.WriteStream = process.stdout): void {
  const text = json ? JSON.stringify(report) : joinedReportLines(report, chalkFor(stream)).join('\n');
  stream.write(`${text}\n`);
}
