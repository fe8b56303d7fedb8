/**
 * Renderers: the same typed events become lines for a person (colours when the terminal takes them)
 * or one JSON object per line. Lines are buffered and written in one go by flush(), which the
 * consumer calls before it acknowledges what the lines report.
 */
import { Chalk, supportsColor, type ChalkInstance } from 'chalk';
import { causeText } from '../core/diagnosis.js';
import type { ConsumerEvent, ProducerEvent } from '../core/events.js';
import type { Segment, Summary } from '../core/accounting.js';

export interface Renderer<E> {
  render(event: E): void;
  /** Writes what is buffered; synchronous for files, pipes and terminals on Linux. */
  flush(): void;
}

/** Colours only on a terminal, never when NO_COLOR is set (https://no-color.org), forced by FORCE_COLOR. */
export function colorLevel(stream: NodeJS.WriteStream = process.stdout, env = process.env): 0 | 1 | 2 | 3 {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (env.FORCE_COLOR !== undefined) return supportsColor ? supportsColor.level : 1;
  if (!stream.isTTY) return 0;
  return supportsColor ? supportsColor.level : 0;
}

class LineBuffer {
  private lines: string[] = [];
  constructor(private readonly stream: NodeJS.WriteStream) {}
  push(line: string): void {
    this.lines.push(line);
  }
  flush(): void {
    if (this.lines.length === 0) return;
    const text = this.lines.join('\n') + '\n';
    this.lines = [];
    // A reader that went away (| head) reads no more: the lines are dropped, the accounting goes on.
    if (!this.stream.destroyed && this.stream.writable) this.stream.write(text);
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  const minutes = seconds / 60;
  if (minutes < 120) return `${minutes.toFixed(1)} min`;
  return `${(minutes / 60).toFixed(1)} h`;
}

export function formatRange(from: number, to: number): string {
  return from === to ? `${from}` : `${from}-${to}`;
}

/** Missing ranges in one line, the middle left out when there are many. */
export function formatRanges(ranges: Array<{ from: number; to: number }>, most = 8): string {
  const shown = ranges.map((r) => formatRange(r.from, r.to));
  if (shown.length <= most) return shown.join(', ');
  const head = shown.slice(0, most - 2);
  const tail = shown.slice(-2);
  return `${head.join(', ')}, ... (${shown.length - most} more ranges) ..., ${tail.join(', ')}`;
}

const timelineRank: Record<Segment['kind'], number> = { live: 1, queued: 2, missing: 3 };

/**
 * The values of one run squeezed into width cells. A cell shows the most telling kind among its values:
 * missing over queued over live, so a single lost value is never hidden by its neighbours.
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
  for (const rank of ranks) cells.push(rank === 3 ? 'missing' : rank === 2 ? 'queued' : rank === 1 ? 'live' : null);
  return cells;
}

const plainCell: Record<Segment['kind'], string> = { live: '#', queued: '=', missing: '.' };

function drawTimeline(segments: Segment[], width: number, chalk: ChalkInstance): string {
  const colour = chalk.level > 0;
  return timelineCells(segments, width)
    .map((kind) => {
      if (kind === null) return ' ';
      if (!colour) return plainCell[kind];
      return kind === 'live' ? chalk.green('█') : kind === 'queued' ? chalk.cyan('█') : chalk.red('█');
    })
    .join('');
}

function timelineLegend(chalk: ChalkInstance): string {
  if (chalk.level === 0) return `${plainCell.live} received live   ${plainCell.queued} delivered from the queue on return   ${plainCell.missing} missing`;
  return `${chalk.green('█')} received live   ${chalk.cyan('█')} delivered from the queue on return   ${chalk.red('█')} missing`;
}

export function summaryLines(summary: Summary, chalk: ChalkInstance, width = 60): string[] {
  const lines: string[] = [];
  const missing = summary.missing > 0 ? chalk.red.bold(`${summary.missing} missing`) : chalk.green('0 missing');
  lines.push(
    chalk.bold('Summary: ') +
      `${summary.received} received, ${summary.unique} unique, ${missing}, ${summary.duplicates} duplicates, ` +
      `${summary.outOfOrder} out of order, ${summary.restarts} producer restarts, ${summary.queued} delivered from the queue` +
      (summary.longestWaitMs === null ? '' : `, longest wait in the broker ${formatDuration(summary.longestWaitMs)}`),
  );
  if (summary.invalid > 0) lines.push(chalk.yellow(`Ignored ${summary.invalid} messages that were not counter values`));
  if (summary.leftInSession) {
    lines.push(`Left in the session: ${summary.leftInSession} more arrived after the stop and stay unacknowledged, for the next start (the broker may hold more)`);
  }
  if (summary.missingRanges.length > 0) lines.push(chalk.red(`Missing: ${formatRanges(summary.missingRanges)}`));
  for (const topic of summary.topics) {
    const run = topic.runId ? ` (producer run ${topic.runId})` : '';
    lines.push(`Timeline ${topic.topic} ${topic.first}..${topic.highest}${run}:`);
    lines.push(`  [${drawTimeline(topic.segments, width, chalk)}]`);
  }
  if (summary.topics.length > 0) lines.push(`  ${timelineLegend(chalk)}`);
  return lines;
}

function consumerLine(event: ConsumerEvent, chalk: ChalkInstance): string | null {
  switch (event.event) {
    case 'connected':
      return (
        chalk.bold(`Connected to ${event.url}${nodeOf(event)} as ${event.clientId}: `) +
        (event.sessionPresent ? chalk.green('session resumed (session present)') : 'new session (no session present)')
      );
    case 'offline':
      return chalk.yellow(`Connection lost (${event.reason}); reconnecting...`);
    case 'unreachable':
      return chalk.yellow(`Cannot reach ${event.url} (${event.reason}); retrying...`);
    case 'subscribed':
      return `Subscribed to ${event.topic} (QoS ${event.qos})`;
    case 'checkpoint': {
      const where = event.lastValues.map((v) => `${v.topic} at ${v.value}`).join(', ') || 'no values yet';
      return `Continuing from ${event.path}: ${event.received} received so far, ${where}`;
    }
    case 'session-lost': {
      const where = event.lastValues.map((v) => `${v.topic} ${v.value}`).join(', ');
      return chalk.red.bold('SESSION LOST: ') + chalk.red(`the broker had no session for ${event.clientId}${where ? ` (last values: ${where})` : ''}: ${causeText['session-lost']}`);
    }
    case 'backlog':
      return chalk.cyan(
        `Backlog: ${event.count} queued value${event.count === 1 ? '' : 's'} arrived on return` +
          (event.longestWaitMs === null ? '' : ` (the oldest waited ${formatDuration(event.longestWaitMs)})`),
      );
    case 'message': {
      let line = `Received message: ${event.value}`;
      if (event.duplicate) return chalk.yellow(`${line}  DUPLICATE (received before; a redelivery)`);
      if (event.outOfOrder) line += chalk.yellow('  (late: out of order)');
      if (event.queued) line += chalk.cyan(`  (queued${event.waitedMs === null ? '' : `, waited ${formatDuration(event.waitedMs)}`})`);
      return line;
    }
    case 'gap':
      return chalk.red.bold(`GAP: ${formatRange(event.from, event.to)} missing (${event.missing} value${event.missing === 1 ? '' : 's'})`) + chalk.red(` on ${event.topic}: ${causeText[event.cause]}`);
    case 'producer-restart':
      return chalk.magenta.bold('PRODUCER RESTART ') + chalk.magenta(`on ${event.topic}: a new run${event.runId ? ` ${event.runId}` : ''} starts at ${event.firstValue} (the previous run reached ${event.lastValue})`);
    case 'resume':
      return event.missed === 0
        ? chalk.green(`Resumed on ${event.topic}: last value before the restart ${event.lastValue}, first now ${event.firstValue}: nothing missed`)
        : chalk.red(`Resumed on ${event.topic}: last value before the restart ${event.lastValue}, first now ${event.firstValue}: ${event.missed} missed`);
    case 'invalid':
      return chalk.yellow(`Ignored a message on ${event.topic}: ${event.reason}`);
    case 'warning':
      return chalk.yellow(`Warning: ${event.message}`);
    case 'summary':
      return summaryLines(event, chalk).join('\n');
  }
}

/** Which of several brokers a connection reached; nothing when only one was given. */
function nodeOf(event: { node: number; nodes: number }): string {
  return event.nodes > 1 ? ` (node ${event.node} of ${event.nodes})` : '';
}

function producerLine(event: ProducerEvent, chalk: ChalkInstance): string | null {
  switch (event.event) {
    case 'connected':
      return chalk.bold(`Connected to ${event.url}${nodeOf(event)} as ${event.clientId}`);
    case 'offline':
      return chalk.yellow(`Connection lost (${event.reason}); still counting, values are kept until the broker is back`);
    case 'unreachable':
      return chalk.yellow(`Cannot reach ${event.url} (${event.reason}); still counting, values are kept until the broker is back`);
    case 'sent':
      return event.again ? `Sent: ${event.value} ${chalk.dim('(again)')}` : `Sent: ${event.value}`;
    case 'kept':
      return chalk.yellow(`Kept: ${event.value} (broker unreachable; ${event.pending} values waiting)`);
    case 'state':
      return `Continuing from ${event.path}: run ${event.runId}, next value ${event.nextValue}, ${event.pending} not yet acknowledged`;
    case 'warning':
      return chalk.yellow(`Warning: ${event.message}`);
    case 'producer-summary':
      return chalk.bold(`Summary: ${event.sent} sent, ${event.acknowledged} acknowledged, ${event.pending} not acknowledged`) + (event.lastValue === null ? '' : `, last value ${event.lastValue}`);
  }
}

/** The JSON form of an event: plain fields only (no packets), one object per line. */
export function toJson(event: ConsumerEvent | ProducerEvent): Record<string, unknown> {
  if (event.event === 'connected') {
    return { event: 'connected', url: event.url, node: event.node, nodes: event.nodes, clientId: event.clientId, sessionPresent: event.sessionPresent };
  }
  return { ...event };
}

export function createConsumerRenderer(json: boolean, stream: NodeJS.WriteStream = process.stdout): Renderer<ConsumerEvent> {
  return createRenderer(json, stream, consumerLine);
}

export function createProducerRenderer(json: boolean, stream: NodeJS.WriteStream = process.stdout): Renderer<ProducerEvent> {
  return createRenderer(json, stream, producerLine);
}

function createRenderer<E extends ConsumerEvent | ProducerEvent>(
  json: boolean,
  stream: NodeJS.WriteStream,
  line: (event: E, chalk: ChalkInstance) => string | null,
): Renderer<E> {
  const buffer = new LineBuffer(stream);
  if (json) {
    return { render: (event) => buffer.push(JSON.stringify(toJson(event))), flush: () => buffer.flush() };
  }
  const chalk = new Chalk({ level: colorLevel(stream) });
  return {
    render: (event) => {
      const text = line(event, chalk);
      if (text !== null) buffer.push(text);
    },
    flush: () => buffer.flush(),
  };
}
