/**
 * Renderers: the same typed events become lines for a person (colours when the terminal takes them)
 * or one JSON object per line. Lines are buffered and written in one go by flush(), which the
 * consumer calls before it acknowledges what the lines report.
 */
import { Chalk, supportsColor, type ChalkInstance } from 'chalk';
import { causeText } from '../core/diagnosis.js';
import type { BrokerIdentity } from '../core/chapter.js';
import type { ConsumerEvent, ProducerEvent, StateInUseEvent } from '../core/events.js';
import type { Segment, Summary, TopicSummary } from '../core/accounting.js';

export interface Renderer<E> {
  render(event: E): void;
  /**
   * Writes what is buffered; resolves once the stream has handed it to the system. A pipe whose reader
   * lags keeps the rest in this process, where a SIGKILL would lose it: the consumer waits for this
   * before it records and acknowledges what the lines report.
   */
  flush(): Promise<void>;
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
  flush(): Promise<void> {
    if (this.lines.length === 0) return Promise.resolve();
    const text = this.lines.join('\n') + '\n';
    this.lines = [];
    // A reader that went away (| head) reads no more: the lines are dropped, the accounting goes on.
    if (this.stream.destroyed || !this.stream.writable) return Promise.resolve();
    return new Promise((resolve) => this.stream.write(text, () => resolve()));
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

/** Timeline rows drawn one by one; beyond this, the rest of the producers are summed up in one line. */
const mostTimelineRows = 6;

/** "my_topic" or, when the sequence belongs to a named producer, "my_topic from sensor-1". */
function sequenceName(topic: string, producerId: string | null): string {
  return producerId === null ? topic : `${topic} from ${producerId}`;
}

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
  if (shown.some((row) => !row.shared)) lines.push(`  ${timelineLegend(chalk)}`);
  return lines;
}

/** The producers a consumer's output has named: a value's producer is shown once there are several. */
class ProducersSeen {
  private first: string | undefined;
  private many = false;
  several(producerId: string): boolean {
    if (this.many) return true;
    this.first ??= producerId;
    this.many = producerId !== this.first;
    return this.many;
  }
}

function consumerLine(event: ConsumerEvent, chalk: ChalkInstance, producers: ProducersSeen): string | null {
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
      const where = event.lastValues.map((v) => `${sequenceName(v.topic, v.producerId)} at ${v.value}`).join(', ') || 'no values yet';
      const carried = event.missing > 0 ? `; ${event.missing} missing in earlier runs, still counted (--reset starts afresh)` : '';
      return `Continuing from ${event.path}: ${event.received} received so far, ${where}${carried}`;
    }
    case 'chapter': {
      const earlier = `the earlier one, ${event.earlier.received} received and ${event.earlier.missing} missing,`;
      if (event.reason === 'reset') return chalk.bold('New chapter (--reset): ') + `the accounting in ${event.path} starts afresh (${earlier} is set aside)`;
      return (
        chalk.bold('New chapter: ') +
        `${event.path} holds the accounting of ${event.previous ? brokerText(event.previous) : 'another broker'}; this run is on ${brokerText(event.broker)}, so it starts afresh (${earlier} is not carried forward)`
      );
    }
    case 'session-lost': {
      const where = event.lastValues.map((v) => `${sequenceName(v.topic, v.producerId)} ${v.value}`).join(', ');
      return chalk.red.bold('SESSION LOST: ') + chalk.red(`the broker had no session for ${event.clientId}${where ? ` (last values: ${where})` : ''}: ${causeText['session-lost']}`);
    }
    case 'backlog':
      return chalk.cyan(
        `Backlog: ${event.count} queued value${event.count === 1 ? '' : 's'} arrived on return` +
          (event.longestWaitMs === null ? '' : ` (the oldest waited ${formatDuration(event.longestWaitMs)})`),
      );
    case 'message': {
      let line = `Received message: ${event.value}`;
      if (event.producerId !== null && producers.several(event.producerId)) line += ` from ${event.producerId}`;
      if (event.retained) return chalk.dim(`${line}  (retained: the broker's stored copy, sent at each subscribe; not counted)`);
      if (event.duplicate) return chalk.yellow(`${line}  DUPLICATE (received before; a redelivery)`);
      if (event.outOfOrder) line += chalk.yellow('  (late: out of order)');
      if (event.queued) line += chalk.cyan(`  (queued${event.waitedMs === null ? '' : `, waited ${formatDuration(event.waitedMs)}`})`);
      return line;
    }
    case 'gap':
      return (
        chalk.red.bold(`GAP: ${formatRange(event.from, event.to)} missing (${event.missing} value${event.missing === 1 ? '' : 's'})`) +
        chalk.red(` on ${sequenceName(event.topic, event.producerId)}: ${causeText[event.cause]}`)
      );
    case 'producer-restart':
      return (
        chalk.magenta.bold('PRODUCER RESTART ') +
        chalk.magenta(
          `on ${event.topic}: ${event.producerId === null ? 'a new run' : `${event.producerId} begins a new run`}${event.runId ? ` ${event.runId}` : ''} at ${event.firstValue} (the previous run reached ${event.lastValue})`,
        )
      );
    case 'resume': {
      const where = `Resumed on ${sequenceName(event.topic, event.producerId)}: last value before the restart ${event.lastValue}, first now ${event.firstValue}`;
      return event.missed === 0 ? chalk.green(`${where}: nothing missed`) : chalk.red(`${where}: ${event.missed} missed`);
    }
    case 'shared-topic': {
      const { missing, duplicates, restarts } = event.withdrawn;
      return (
        chalk.yellow.bold('SHARED TOPIC: ') +
        chalk.yellow(
          `several publishers that do not identify themselves seem to share ${event.topic} (its values went back ${event.stepsBack} times in ${event.received}): ` +
            `loss per value cannot be judged there, so no gap, duplicate or restart is counted for it` +
            (missing + duplicates + restarts > 0 ? ` (set aside: ${missing} missing, ${duplicates} duplicates, ${restarts} restarts that its first values seemed to show)` : '') +
            '. To be exact, have each producer name itself: MQTT 5 (the producer-id user property), or --id-in-payload on MQTT 3.1.1',
        )
      );
    }
    case 'invalid':
      return chalk.yellow(`Ignored a message on ${event.topic}: ${event.reason}`);
    case 'state-in-use':
      return stateInUseLine(event, chalk);
    case 'warning':
      return chalk.yellow(`Warning: ${event.message}`);
    case 'summary':
      return summaryLines(event, chalk).join('\n');
  }
}

function stateInUseLine(event: StateInUseEvent, chalk: ChalkInstance): string {
  return chalk.yellow(`${event.path} is in use by process ${event.pid}: waiting up to ${formatDuration(event.waitMs)} for it to end`);
}

/** "mqtt://127.0.0.1:1883 (MQTT 5)". */
function brokerText(broker: BrokerIdentity): string {
  return `${broker.urls.join(', ')} (MQTT ${broker.protocolVersion === 4 ? '3.1.1' : '5'})`;
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
      return `Continuing from ${event.path}: run ${event.runId}, next value ${event.nextValue}, ${event.pending} not yet ${event.qos === 0 ? 'sent' : 'acknowledged'}`;
    case 'state-in-use':
      return stateInUseLine(event, chalk);
    case 'warning':
      return chalk.yellow(`Warning: ${event.message}`);
    case 'producer-summary': {
      const last = event.lastValue === null ? '' : `, last value ${event.lastValue}`;
      if (event.acknowledged === null) {
        return chalk.bold(`Summary: ${event.sent} sent at QoS 0 (no acknowledgement at QoS 0)${event.pending > 0 ? `, ${event.pending} not sent` : ''}`) + last;
      }
      return chalk.bold(`Summary: ${event.sent} sent, ${event.acknowledged} acknowledged, ${event.pending} not acknowledged`) + last;
    }
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
  const producers = new ProducersSeen();
  return createRenderer(json, stream, (event: ConsumerEvent, chalk) => consumerLine(event, chalk, producers));
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
