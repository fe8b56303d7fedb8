/** The consumer's summary in words: its totals, what is missing where, and a timeline of each sequence. */
import type { ChalkInstance } from 'chalk';
import type { Segment, TopicSummary } from '../core/accounting.js';
import type { Summary } from '../core/events.js';
import { formatDuration, formatRanges, sequenceName } from './format.js';
import { unreadableLines } from './notices.js';

const timelineRank: Record<Segment['kind'], number> = { live: 1, 'live-or-queued': 2, queued: 3, missing: 4 };

/**
 * The values of one run squeezed into width cells. A cell shows the most telling kind among its values:
 * missing over queued over not known over live, so a single lost value is never hidden by its neighbours.
 */
export function timelineCells(segments: Segment[], width: number): Array<Segment['kind'] | null> {
  const cells: Array<Segment['kind'] | null> = [];
  if (segments.length === 0) return cells;
  const first = segments[0]!.from;
  const last = segments[segments.length - 1]!.to;
  const span = last - first + 1;
  const count = Math.min(width, span);
  const ranks = new Array<number>(count).fill(0);
  for (const segment of segments) {
    const start = Math.floor(((segment.from - first) * count) / span);
    const end = Math.floor(((segment.to - first) * count) / span);
    for (let cell = start; cell <= end; cell++) ranks[cell] = Math.max(ranks[cell]!, timelineRank[segment.kind]);
  }
  const kinds = Object.fromEntries(Object.entries(timelineRank).map(([kind, rank]) => [rank, kind as Segment['kind']]));
  for (const rank of ranks) cells.push(kinds[rank] ?? null);
  return cells;
}

const plainCell: Record<Segment['kind'], string> = { live: '#', queued: '=', 'live-or-queued': '?', missing: '.' };

function drawTimeline(segments: Segment[], width: number, chalk: ChalkInstance): string {
  const colour = chalk.level > 0;
  return timelineCells(segments, width)
    .map((kind) => {
      if (kind === null) return ' ';
      if (!colour) return plainCell[kind];
      return colourCell(kind, chalk)('█');
    })
    .join('');
}

function colourCell(kind: Segment['kind'], chalk: ChalkInstance): (text: string) => string {
  return kind === 'live' ? chalk.green : kind === 'queued' ? chalk.cyan : kind === 'live-or-queued' ? chalk.gray : chalk.red;
}

const legendWords: Record<Segment['kind'], string> = {
  live: 'received live',
  queued: 'delivered from the queue on return',
  'live-or-queued': 'received on return, live or from the queue: not known',
  missing: 'missing',
};

/** The legend of the kinds the timelines drawn show (live, queued and missing always). */
function timelineLegend(chalk: ChalkInstance, unknownShown: boolean): string {
  const kinds: Array<Segment['kind']> = unknownShown ? ['live', 'queued', 'live-or-queued', 'missing'] : ['live', 'queued', 'missing'];
  return kinds.map((kind) => `${chalk.level === 0 ? plainCell[kind] : colourCell(kind, chalk)('█')} ${legendWords[kind]}`).join('   ');
}

/** Timeline rows drawn one by one; beyond this, the rest of the producers are summed up in one line. */
const mostTimelineRows = 6;

function timelineTitle(row: TopicSummary, member: boolean): string {
  const run = row.runId ? `run ${row.runId}` : '';
  const label = row.producerId !== null ? ` (producer ${row.producerId}${run ? `, ${run}` : ''})` : run ? ` (producer ${run})` : '';
  if (row.shared) return `Timeline ${row.topic}${label}: ${row.received} values from publishers sharing the topic, not judged`;
  const span = row.highest - row.first + 1;
  const share = member ? `: ${row.unique} of the ${span} values received here (${Math.round((row.unique * 100) / span)}%)` : ':';
  return `Timeline ${row.topic} ${row.first}..${row.highest}${label}${share}`;
}

export function summaryLines(summary: Summary, chalk: ChalkInstance, width = 60): string[] {
  const lines: string[] = [];
  const member = typeof summary.group === 'string';
  const missing = summary.missing > 0 ? chalk.red.bold(`${summary.missing} missing`) : chalk.green('0 missing');
  const producers = summary.topics.filter((row) => !row.shared).length;
  lines.push(
    chalk.bold('Summary: ') +
      `${summary.received} received, ${summary.unique} unique, ${member ? 'missing not judged (a group member)' : missing}, ${summary.duplicates} duplicates, ` +
      `${summary.outOfOrder} out of order, ${summary.restarts} producer restarts, ${summary.queued} delivered from the queue` +
      (summary.longestWaitMs === null ? '' : `, longest wait in the broker ${formatDuration(summary.longestWaitMs)}`) +
      (producers > 1 ? `, ${producers} producers` : ''),
  );
  if (member) {
    lines.push(
      chalk.cyan(
        `Group ${summary.group}: this member shows its share; what it did not get may have gone to another member, so nothing is judged missing here (merge the members' records with the report command)`,
      ),
    );
  }
  if (summary.unjudged > 0) {
    lines.push(chalk.yellow(`Not judged: ${summary.unjudged} values on topics that several publishers without an id seem to share`));
  }
  if (summary.invalid > 0) lines.push(chalk.yellow(`Ignored ${summary.invalid} messages that were not counter values`));
  lines.push(...unreadableLines(summary, chalk));
  if (summary.retained > 0) {
    const copies = summary.retained === 1 ? '1 copy' : `${summary.retained} copies`;
    lines.push(`Retained: ${copies} of a retained message, sent again by the broker at each subscribe: not counted as received, duplicates or gaps`);
  }
  if (summary.leftInSession) {
    lines.push(`Left in the session: ${summary.leftInSession} more arrived after the stop and stay unacknowledged, for the next start (the broker may hold more)`);
  }
  if (summary.missingRanges.length > 0) {
    const named = summary.topics.length > 1;
    if (!named) lines.push(chalk.red(`Missing: ${formatRanges(summary.missingRanges)}`));
    else {
      const byProducer = new Map<string, Array<{ from: number; to: number }>>();
      for (const range of summary.missingRanges) {
        const name = sequenceName(range.topic, range.producerId);
        byProducer.set(name, [...(byProducer.get(name) ?? []), range]);
      }
      for (const [name, ranges] of byProducer) lines.push(chalk.red(`Missing on ${name}: ${formatRanges(ranges)}`));
    }
  }
  const rows = summary.topics;
  const shown = rows.length > mostTimelineRows ? rows.slice(0, mostTimelineRows - 1) : rows;
  for (const row of shown) {
    lines.push(timelineTitle(row, member));
    if (!row.shared) lines.push(`  [${drawTimeline(row.segments, width, chalk)}]`);
  }
  const rest = rows.slice(shown.length);
  if (rest.length > 0) {
    const sum = (pick: (row: TopicSummary) => number): number => rest.reduce((total, row) => total + pick(row), 0);
    lines.push(
      `... and ${rest.length} more producers: ${sum((row) => row.unique)} values, ${sum((row) => row.missing)} missing, ${sum((row) => row.duplicates)} duplicates, ${sum((row) => row.restarts)} restarts` +
        ` (every producer in --json)`,
    );
  }
  if (shown.some((row) => !row.shared)) {
    const unknownShown = shown.some((row) => row.segments.some((segment) => segment.kind === 'live-or-queued'));
    lines.push(`  ${timelineLegend(chalk, unknownShown)}`);
  }
  return lines;
}
