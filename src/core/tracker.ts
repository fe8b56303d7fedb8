/**
 * The sequence bookkeeping: values in, events out. No I/O and no clock (times come in with the values),
 * so every rule here is unit-tested directly. Memory grows with the number of gaps and returns, never
 * with the number of values.
 */
import { diagnoseGap } from './diagnosis.js';
import {
  emptyTotals,
  type Delivery,
  type InvalidEvent,
  type MessageEvent,
  type Segment,
  type SegmentKind,
  type Summary,
  type TopicSummary,
  type Totals,
  type TrackerEvent,
  type TrackerSnapshot,
} from './accounting.js';
import { appendValue, fillMissing, findSegment } from './segments.js';

interface TopicState {
  runId: string | null;
  first: number;
  highest: number;
  /** Sorted by value, never overlapping: the timeline, and the open gaps (the missing segments). */
  segments: Segment[];
  /** Restored from a checkpoint: the next value is compared with the one before the restart. */
  resumePending: boolean;
}

/** Earlier runs' missing ranges kept for the summary; beyond this only the count stays exact. */
const earlierMissingKept = 1000;

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
