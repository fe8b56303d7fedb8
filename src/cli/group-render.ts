/** The group report for a person (per producer, how the members shared its values) or as one JSON object. */
import type { ChalkInstance } from 'chalk';
import type { GroupReport, ProducerReport, WaitingRange } from '../core/group.js';
import { formatDuration, formatRanges } from './format.js';
import { chalkFor } from './stream.js';
import { unreadableLines } from './notices.js';

/** "member-2" or "member-2 or member-3". */
function eitherOf(members: string[]): string {
  return members.length === 1 ? members[0]! : `${members.slice(0, -1).join(', ')} or ${members.at(-1)!}`;
}

/** One line per set of absent members that may hold the values. */
function waitingLines(ranges: WaitingRange[], chalk: ChalkInstance): string[] {
  const bySet = new Map<string, WaitingRange[]>();
  for (const range of ranges) {
    const key = eitherOf(range.members);
    bySet.set(key, [...(bySet.get(key) ?? []), range]);
  }
  return [...bySet].map(([who, held]) => {
    const count = held.reduce((total, r) => total + r.to - r.from + 1, 0);
    return chalk.cyan(`  waiting for ${who}, away with its session kept: ${count} (${formatRanges(held)})`);
  });
}

function producerLines(p: ProducerReport, chalk: ChalkInstance): string[] {
  const run = p.runId ? `, run ${p.runId}` : '';
  const who = p.producerId === null ? (p.runId ? ` (producer run ${p.runId})` : '') : ` (producer ${p.producerId}${run})`;
  const lines: string[] = [];
  if (p.shared) {
    lines.push(`${p.topic}${who}: shared by publishers without an id: not judged`);
  } else {
    lines.push(`${p.topic}${who} ${p.first}..${p.highest}: ${p.values} values`);
    const once =
      p.duplicates === 0
        ? `delivered exactly once: ${p.deliveredOnce}`
        : chalk.yellow(`delivered to one member: ${p.deliveredOnce}, and ${p.duplicates} redeliveries of values a member had (duplicates)`);
    const missing = p.missing === 0 ? chalk.green('missing from the whole group: 0') : chalk.red.bold(`missing from the whole group: ${p.missing} (${formatRanges(p.missingRanges)})`);
    const twice = p.deliveredTwice === 0 ? 'delivered to two members: 0' : chalk.yellow(`delivered to two members: ${p.deliveredTwice} (${formatRanges(p.twiceRanges)})`);
    lines.push(`  ${once}; ${missing}; ${twice}`);
    lines.push(...waitingLines(p.waitingRanges, chalk));
  }
  if (p.waited > 0) {
    lines.push(chalk.cyan(`  waited in the session of an absent member: ${p.waited}` + (p.longestWaitMs === null ? '' : ` (the longest ${formatDuration(p.longestWaitMs)})`)));
  }
  for (const m of p.members) {
    const wait = m.longestQueuedWaitMs === null ? '' : `, the oldest waited ${formatDuration(m.longestQueuedWaitMs)}`;
    const again = m.duplicates === 0 ? '' : `, ${m.duplicates} duplicates`;
    lines.push(`  ${m.member}: ${m.received} received (${m.queued} from the queue${wait}${again})`);
  }
  return lines;
}

function verdict(report: GroupReport, chalk: ChalkInstance): string {
  const absent = eitherOf([...new Set(report.producers.flatMap((p) => p.waitingRanges.flatMap((r) => r.members)))]);
  if (report.missing > 0) {
    const more = report.waiting > 0 ? `; ${report.waiting} more may wait for ${absent}` : '';
    return chalk.red.bold(`Verdict: ${report.missing} values reached no member of the group${more}`);
  }
  if (report.waiting > 0) {
    return chalk.cyan.bold(`Verdict: nothing lost so far, but ${report.waiting} values wait for ${absent}, away with its session kept: they arrive when it returns (report again then)`);
  }
  const extra = [
    report.deliveredTwice > 0 ? `${report.deliveredTwice} values reached two members` : '',
    report.duplicates > 0 ? `${report.duplicates} were delivered again to a member that had them (duplicates)` : '',
  ].filter((part) => part !== '');
  if (extra.length > 0) return chalk.yellow.bold(`Verdict: nothing missing, but ${extra.join(' and ')}`);
  const across = report.members.length > 1 ? ' across the group' : '';
  const waited = report.waited > 0 ? `, ${report.waited} of them waited for an absent member` : '';
  return chalk.green.bold(`Verdict: every value arrived, exactly once${across} (${report.deliveredOnce} values${waited})`);
}

export function groupReportLines(report: GroupReport, chalk: ChalkInstance): string[] {
  const lines: string[] = [];
  const alone = report.group === null && report.members.length === 1;
  lines.push(
    chalk.bold(
      alone
        ? `Consumer ${report.members[0]!}: one record, not a member of a group`
        : `Group ${report.group ?? '(several groups, or none)'}: ${report.members.length} members (${report.members.join(', ')})`,
    ),
  );
  for (const p of report.producers) lines.push(...producerLines(p, chalk));
  for (const member of report.expiredSessions) {
    lines.push(chalk.yellow(`${member} left with a session that has expired by now (by its session expiry): what it held is counted missing`));
  }
  lines.push(...unreadableLines(report, chalk));
  lines.push(verdict(report, chalk));
  return lines;
}

export function renderGroupReport(report: GroupReport, json: boolean, stream: NodeJS.WriteStream = process.stdout): void {
  const text = json ? JSON.stringify(report) : groupReportLines(report, chalkFor(stream)).join('\n');
  stream.write(`${text}\n`);
}
