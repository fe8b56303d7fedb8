/**
 * The sequence bookkeeping: values in, events out. No I/O and no clock (times come in with the values),
 * so every rule here is unit-tested directly. Memory grows with the number of gaps and returns, never
 * with the number of values.
 */
import { diagnoseGap, type GapCause, type DeliveryContext } from './diagnosis.js';

export type { DeliveryContext } from './diagnosis.js';

export interface Delivery {
  topic: string;
  value: number;
  /** The producer run that sent it (user property), when the producer says. */
  runId?: string;
  /** When the producer sent it (ms since the epoch), when the producer says. */
  sentAt?: number;
  receivedAt: number;
  /** It waited in the broker while this consumer was away. */
  queued: boolean;
  qos: 0 | 1 | 2;
  context: DeliveryContext;
}

export type SegmentKind = 'live' | 'queued' | 'missing';

/** Consecutive values of one kind, from..to inclusive. */
export interface Segment {
  kind: SegmentKind;
  from: number;
  to: number;
}

export interface MessageEvent {
  event: 'message';
  topic: string;
  value: number;
  duplicate: boolean;
  outOfOrder: boolean;
  queued: boolean;
  waitedMs: number | null;
  qos: 0 | 1 | 2;
  runId: string | null;
}

export interface GapEvent {
  event: 'gap';
  topic: string;
  from: number;
  to: number;
  missing: number;
  cause: GapCause;
}

export interface RestartEvent {
  event: 'producer-restart';
  topic: string;
  runId: string | null;
  previousRunId: string | null;
  lastValue: number;
  firstValue: number;
}

export interface ResumeEvent {
  event: 'resume';
  topic: string;
  lastValue: number;
  firstValue: number;
  missed: number;
}

export interface InvalidEvent {
  event: 'invalid';
  topic: string;
  reason: string;
}

export type TrackerEvent = MessageEvent | GapEvent | RestartEvent | ResumeEvent | InvalidEvent;

export interface TopicSummary {
  topic: string;
  runId: string | null;
  first: number;
  highest: number;
  segments: Segment[];
}

export interface Totals {
  received: number;
  unique: number;
  missing: number;
  duplicates: number;
  outOfOrder: number;
  queued: number;
  restarts: number;
  invalid: number;
  longestWaitMs: number | null;
}

export interface Summary extends Totals {
  event: 'summary';
  /** Missing ranges of every run, oldest first, "topic" included for several topics. */
  missingRanges: Array<{ topic: string; from: number; to: number }>;
  topics: TopicSummary[];
}

interface TopicState {
  runId: string | null;
  first: number;
  highest: number;
  /** Sorted by value, never overlapping: the timeline, and the open gaps (the missing segments). */
  segments: Segment[];
  /** Restored from a checkpoint: the next value is compared with the one before the restart. */
  resumePending: boolean;
}

export interface TrackerSnapshot {
  version: 1;
  totals: Totals;
  topics: Array<Omit<TopicState, 'resumePending'> & { topic: string }>;
  earlierMissing: Array<{ topic: string; from: number; to: number }>;
}

/** Earlier runs' missing ranges kept for the summary; beyond this only the count stays exact. */
const earlierMissingKept = 1000;

export function emptyTotals(): Totals {
  return {
    received: 0,
    unique: 0,
    missing: 0,
    duplicates: 0,
    outOfOrder: 0,
    queued: 0,
    restarts: 0,
    invalid: 0,
    longestWaitMs: null,
  };
}

/** A payload is a counter value: a whole decimal number and nothing else. */
export function parseValue(payload: Uint8Array | string): { value: number } | { error: string } {
  const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  const trimmed = text.trim();
  if (/^-?\d{1,15}$/.test(trimmed)) return { value: Number(trimmed) };
  const shown = trimmed.length > 40 ? `${trimmed.slice(0, 40)}...` : trimmed;
  return { error: `payload is not a number: ${JSON.stringify(shown)}` };
}

/** Index of the segment holding value, or -1. Segments are sorted and disjoint. */
function findSegment(segments: Segment[], value: number): number {
  let low = 0;
  let high = segments.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const segment = segments[middle]!;
    if (value < segment.from) high = middle - 1;
    else if (value > segment.to) low = middle + 1;
    else return middle;
  }
  return -1;
}

function appendValue(segments: Segment[], kind: SegmentKind, value: number): void {
  const last = segments[segments.length - 1];
  if (last && last.kind === kind && last.to === value - 1) last.to = value;
  else segments.push({ kind, from: value, to: value });
}

/** Replaces a missing value with a delivered one, splitting the missing segment around it. */
function fillMissing(segments: Segment[], index: number, kind: SegmentKind, value: number): void {
  const gap = segments[index]!;
  const pieces: Segment[] = [];
  if (gap.from < value) pieces.push({ kind: 'missing', from: gap.from, to: value - 1 });
  pieces.push({ kind, from: value, to: value });
  if (value < gap.to) pieces.push({ kind: 'missing', from: value + 1, to: gap.to });
  segments.splice(index, 1, ...pieces);
  // Merge with neighbours of the same kind so the list stays as short as the story it tells.
  for (let i = Math.max(1, index); i <= Math.min(segments.length - 1, index + pieces.length); i++) {
    const before = segments[i - 1]!;
    const current = segments[i]!;
    if (before.kind === current.kind && before.to + 1 === current.from) {
      before.to = current.to;
      segments.splice(i, 1);
      i--;
    }
  }
}

export class SequenceTracker {
  private readonly topics = new Map<string, TopicState>();
  private totals: Totals = emptyTotals();
  private earlierMissing: Array<{ topic: string; from: number; to: number }> = [];

  /** Records one delivered value and says what it means. */
  accept(delivery: Delivery): TrackerEvent[] {
    const events: TrackerEvent[] = [];
    const { topic, value } = delivery;
    const runId = delivery.runId ?? null;
    const totals = this.totals;
    totals.received++;
    if (delivery.queued) totals.queued++;
    const waitedMs = delivery.sentAt === undefined ? null : Math.max(0, delivery.receivedAt - delivery.sentAt);
    if (waitedMs !== null && (totals.longestWaitMs === null || waitedMs > totals.longestWaitMs)) {
      totals.longestWaitMs = waitedMs;
    }
    const kind: SegmentKind = delivery.queued ? 'queued' : 'live';
    const message = (duplicate: boolean, outOfOrder: boolean): MessageEvent => ({
      event: 'message',
      topic,
      value,
      duplicate,
      outOfOrder,
      queued: delivery.queued,
      waitedMs,
      qos: delivery.qos,
      runId,
    });

    let state = this.topics.get(topic);
    if (state && this.isNewRun(state, runId, value)) {
      totals.restarts++;
      events.push({
        event: 'producer-restart',
        topic,
        runId,
        previousRunId: state.runId,
        lastValue: state.highest,
        firstValue: value,
      });
      this.retire(topic, state);
      state = undefined;
    }
    if (!state) {
      // The first value seen of a run: what came before it was never this consumer's to receive.
      this.topics.set(topic, { runId, first: value, highest: value, segments: [{ kind, from: value, to: value }], resumePending: false });
      totals.unique++;
      events.push(message(false, false));
      return events;
    }
    if (state.runId === null && runId !== null) state.runId = runId;

    if (state.resumePending) {
      state.resumePending = false;
      events.push({
        event: 'resume',
        topic,
        lastValue: state.highest,
        firstValue: value,
        missed: Math.max(0, value - state.highest - 1),
      });
    }

    if (value > state.highest) {
      if (value > state.highest + 1) {
        const from = state.highest + 1;
        const to = value - 1;
        state.segments.push({ kind: 'missing', from, to });
        totals.missing += to - from + 1;
        events.push({ event: 'gap', topic, from, to, missing: to - from + 1, cause: diagnoseGap(delivery.qos, delivery.context) });
      }
      appendValue(state.segments, kind, value);
      state.highest = value;
      totals.unique++;
      events.push(message(false, false));
      return events;
    }

    const index = findSegment(state.segments, value);
    const holder = index >= 0 ? state.segments[index]! : undefined;
    if (holder?.kind === 'missing') {
      fillMissing(state.segments, index, kind, value);
      totals.missing--;
      totals.unique++;
      totals.outOfOrder++;
      events.push(message(false, true));
      return events;
    }
    if (value < state.first) {
      // Older than anything seen in this run (e.g. a late value from before the consumer joined).
      state.segments.unshift({ kind, from: value, to: value });
      if (value < state.first - 1) state.segments.splice(1, 0, { kind: 'missing', from: value + 1, to: state.first - 1 });
      if (value < state.first - 1) totals.missing += state.first - 1 - value;
      state.first = value;
      totals.unique++;
      totals.outOfOrder++;
      events.push(message(false, true));
      return events;
    }
    totals.duplicates++;
    events.push(message(true, false));
    return events;
  }

  /** A payload that is not a value: counted and reported, and the consumer goes on. */
  reject(topic: string, reason: string): InvalidEvent {
    this.totals.invalid++;
    return { event: 'invalid', topic, reason };
  }

  /**
   * A new producer run: a different run id, or (when the producer gives none) a counter that went back
   * to its start while no gap explains it.
   */
  private isNewRun(state: TopicState, runId: string | null, value: number): boolean {
    if (runId !== null && state.runId !== null) return runId !== state.runId;
    if (value > 1 || state.highest <= 1) return false;
    const holder = state.segments[findSegment(state.segments, value)];
    return holder?.kind !== 'missing';
  }

  private retire(topic: string, state: TopicState): void {
    for (const segment of state.segments) {
      if (segment.kind !== 'missing') continue;
      if (this.earlierMissing.length >= earlierMissingKept) this.earlierMissing.shift();
      this.earlierMissing.push({ topic, from: segment.from, to: segment.to });
    }
  }

  summary(): Summary {
    const missingRanges = [...this.earlierMissing];
    const topics: TopicSummary[] = [];
    for (const [topic, state] of this.topics) {
      for (const segment of state.segments) {
        if (segment.kind === 'missing') missingRanges.push({ topic, from: segment.from, to: segment.to });
      }
      topics.push({ topic, runId: state.runId, first: state.first, highest: state.highest, segments: state.segments.map((s) => ({ ...s })) });
    }
    return { event: 'summary', ...this.totals, missingRanges, topics };
  }

  /** The state a checkpoint keeps; restore() continues from it. */
  snapshot(): TrackerSnapshot {
    return {
      version: 1,
      totals: { ...this.totals },
      topics: [...this.topics].map(([topic, state]) => ({
        topic,
        runId: state.runId,
        first: state.first,
        highest: state.highest,
        segments: state.segments.map((s) => ({ ...s })),
      })),
      earlierMissing: [...this.earlierMissing],
    };
  }

  restore(snapshot: TrackerSnapshot): void {
    this.totals = { ...emptyTotals(), ...snapshot.totals };
    this.earlierMissing = [...snapshot.earlierMissing];
    this.topics.clear();
    for (const saved of snapshot.topics) {
      this.topics.set(saved.topic, {
        runId: saved.runId,
        first: saved.first,
        highest: saved.highest,
        segments: saved.segments.map((s) => ({ ...s })),
        resumePending: true,
      });
    }
  }

  /** Values last seen per topic, e.g. to say where a restored consumer stands. */
  lastValues(): Array<{ topic: string; value: number }> {
    return [...this.topics].map(([topic, state]) => ({ topic, value: state.highest }));
  }

  get hasHistory(): boolean {
    return this.topics.size > 0;
  }
}
