/**
 * The sequence bookkeeping: values in, events out. No I/O and no clock (times come in with the values),
 * so every rule here is unit-tested directly. One sequence per topic and producer: values of different
 * producers interleave without any event, and a restart is the same producer beginning a new run.
 * Memory grows with the number of gaps, returns and producers, never with the number of values.
 */
import { diagnoseGap } from './diagnosis.js';
import { emptyCounts, emptyTotals, type Delivery, type MissingRange, type SequenceSnapshot, type SegmentKind, type TopicSummary, type Totals, type TrackerSnapshot } from './accounting.js';
import type { GapEvent, InvalidEvent, InvalidReason, MessageEvent, RestartEvent, SharedTopicEvent, Summary, TrackerEvent } from './events.js';
import { appendValue, fillMissing, findSegment, insertValue } from './segments.js';

export interface TrackerOptions {
  /**
   * A member of a shared-subscription group: the values it did not get may have gone to another member,
   * so it judges none missing; it records what it received, and a group report merges the members.
   */
  groupMember?: boolean;
}

interface Sequence extends SequenceSnapshot {
  /** The value received before this one: a value not above it is a step back. */
  previous: number;
  /**
   * Gaps and restarts of an unnamed publisher's first values, said only once its values show they are
   * one sequence; a gap is frozen (no longer clipped by late values) once its run has ended.
   */
  held: Array<{ event: GapEvent | RestartEvent; frozen: boolean }>;
  /** Restored from a checkpoint: the next value is compared with the one before the restart. */
  resumePending: boolean;
}

/** Earlier runs' missing ranges kept for the summary; beyond this only the count stays exact. */
const earlierMissingKept = 1000;

/**
 * Publishers without an id share a sequence when it keeps going back: at least this many steps back,
 * and at least one in this many values (a single publisher steps back once per redelivery, not per value).
 */
const sharedStepsBack = 4;
const sharedOneIn = 20;

/**
 * An unnamed publisher's first values are on probation: a gap among them is said only once this many
 * values have shown no sign of a second publisher (one counting from 1 and one from 101 would otherwise
 * make a false gap of 99 before the sharing shows).
 */
const probationValues = 20;

/**
 * The key of a producer's sequence on a topic: its id; without one, its run id (each run then stands
 * alone); without either, one sequence for every unnamed publisher. MQTT strings hold no U+0000.
 */
function producerKey(producerId: string | null, runId: string | null): string {
  if (producerId !== null) return producerId;
  return runId === null ? '' : `\u0000${runId}`;
}

export class SequenceTracker {
  private readonly topics = new Map<string, Map<string, Sequence>>();
  private totals: Totals = emptyTotals();
  private earlierMissing: MissingRange[] = [];
  private readonly groupMember: boolean;

  constructor(options: TrackerOptions = {}) {
    this.groupMember = options.groupMember === true;
  }

  /** Records one delivered value and says what it means. */
  accept(delivery: Delivery): TrackerEvent[] {
    const events: TrackerEvent[] = [];
    const { topic, value } = delivery;
    const producerId = delivery.producerId ?? null;
    const runId = delivery.runId ?? null;
    if (delivery.retained === true) return [this.retainedCopy(delivery)];
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
      retained: false,
      waitedMs,
      sentAt: delivery.sentAt ?? null,
      qos: delivery.qos,
      producerId,
      runId,
    });

    let producers = this.topics.get(topic);
    if (!producers) {
      producers = new Map();
      this.topics.set(topic, producers);
    }
    const key = producerKey(producerId, runId);
    const sequence = producers.get(key);
    if (!sequence) {
      // The first value seen of a producer: what came before it was never this consumer's to receive.
      const fresh: Sequence = {
        topic,
        producerId,
        runId,
        first: value,
        highest: value,
        shared: false,
        segments: [{ kind, from: value, to: value }],
        stepsBack: 0,
        previous: value,
        held: [],
        resumePending: false,
        ...emptyCounts(),
      };
      producers.set(key, fresh);
      this.count(fresh, delivery.queued, waitedMs);
      fresh.unique++;
      totals.unique++;
      events.push(message(false, false));
      return events;
    }
    this.count(sequence, delivery.queued, waitedMs);
    if (sequence.shared) {
      totals.unjudged++;
      if (value > sequence.highest) sequence.highest = value;
      if (value < sequence.first) sequence.first = value;
      events.push(message(false, false));
      return events;
    }
    const stepBack = value <= sequence.previous;
    sequence.previous = value;
    if (stepBack) sequence.stepsBack++;
    this.judge(sequence, delivery, kind, message, events);
    if (producerId !== null) return events;
    if (stepBack && sequence.stepsBack >= sharedStepsBack && sequence.stepsBack * sharedOneIn >= sequence.received) {
      events.push(this.share(sequence));
    } else if (sequence.received === probationValues && sequence.held.length > 0) {
      events.push(...this.release(sequence));
    }
    return events;
  }

  /**
   * The broker's stored copy of a retained message, sent again at every subscribe: counted apart and
   * never placed in a sequence (it would be a duplicate at each restart, or a step back, or a false gap).
   */
  private retainedCopy(delivery: Delivery): MessageEvent {
    this.totals.retained++;
    return {
      event: 'message',
      topic: delivery.topic,
      value: delivery.value,
      duplicate: false,
      outOfOrder: false,
      queued: false,
      retained: true,
      waitedMs: null,
      sentAt: delivery.sentAt ?? null,
      qos: delivery.qos,
      producerId: delivery.producerId ?? null,
      runId: delivery.runId ?? null,
    };
  }

  private count(sequence: Sequence, queued: boolean, waitedMs: number | null): void {
    sequence.received++;
    if (!queued) return;
    sequence.queued++;
    if (waitedMs !== null && (sequence.longestQueuedWaitMs === null || waitedMs > sequence.longestQueuedWaitMs)) sequence.longestQueuedWaitMs = waitedMs;
  }

  /** Places a value of a known producer in its sequence: new, late, repeated, after a gap, or a new run. */
  private judge(sequence: Sequence, delivery: Delivery, kind: SegmentKind, message: (duplicate: boolean, outOfOrder: boolean) => MessageEvent, events: TrackerEvent[]): void {
    const { topic, value } = delivery;
    const runId = delivery.runId ?? null;
    const totals = this.totals;
    if (this.isNewRun(sequence, runId, value)) {
      totals.restarts++;
      sequence.restarts++;
      const restart: RestartEvent = {
        event: 'producer-restart',
        topic,
        producerId: sequence.producerId,
        runId,
        previousRunId: sequence.runId,
        lastValue: sequence.highest,
        firstValue: value,
      };
      if (this.onProbation(sequence)) {
        sequence.held = [...this.clipHeld(sequence).map((event) => ({ event, frozen: true })), { event: restart, frozen: true }];
      } else events.push(restart);
      this.retire(sequence);
      sequence.runId = runId;
      sequence.first = value;
      sequence.highest = value;
      sequence.segments = [{ kind, from: value, to: value }];
      sequence.resumePending = false;
      sequence.unique++;
      totals.unique++;
      events.push(message(false, false));
      return;
    }
    if (sequence.runId === null && runId !== null) sequence.runId = runId;

    if (sequence.resumePending) {
      sequence.resumePending = false;
      events.push({
        event: 'resume',
        topic,
        producerId: sequence.producerId,
        lastValue: sequence.highest,
        firstValue: value,
        missed: this.groupMember ? 0 : Math.max(0, value - sequence.highest - 1),
      });
    }

    if (value > sequence.highest) {
      if (value > sequence.highest + 1 && !this.groupMember) {
        const from = sequence.highest + 1;
        const to = value - 1;
        sequence.segments.push({ kind: 'missing', from, to });
        sequence.missing += to - from + 1;
        totals.missing += to - from + 1;
        const gap: GapEvent = { event: 'gap', topic, producerId: sequence.producerId, from, to, missing: to - from + 1, cause: diagnoseGap(delivery.qos, delivery.context) };
        if (this.onProbation(sequence)) sequence.held.push({ event: gap, frozen: false });
        else events.push(gap);
      }
      appendValue(sequence.segments, kind, value);
      sequence.highest = value;
      sequence.unique++;
      totals.unique++;
      events.push(message(false, false));
      return;
    }

    const index = findSegment(sequence.segments, value);
    const holder = index >= 0 ? sequence.segments[index]! : undefined;
    if (holder?.kind === 'missing') {
      fillMissing(sequence.segments, index, kind, value);
      sequence.missing--;
      totals.missing--;
      this.late(sequence);
      events.push(message(false, true));
      return;
    }
    if (holder === undefined && this.groupMember) {
      // A member's record has holes where other members got values: a late value takes its place.
      insertValue(sequence.segments, kind, value);
      if (value < sequence.first) sequence.first = value;
      this.late(sequence);
      events.push(message(false, true));
      return;
    }
    if (value < sequence.first) {
      // Older than anything seen in this run (e.g. a late value from before the consumer joined).
      sequence.segments.unshift({ kind, from: value, to: value });
      if (value < sequence.first - 1) {
        sequence.segments.splice(1, 0, { kind: 'missing', from: value + 1, to: sequence.first - 1 });
        sequence.missing += sequence.first - 1 - value;
        totals.missing += sequence.first - 1 - value;
      }
      sequence.first = value;
      this.late(sequence);
      events.push(message(false, true));
      return;
    }
    sequence.duplicates++;
    totals.duplicates++;
    events.push(message(true, false));
  }

  private onProbation(sequence: Sequence): boolean {
    return sequence.producerId === null && sequence.received < probationValues;
  }

  /** The held events, each gap of the current run cut to what is still missing of it. */
  private clipHeld(sequence: Sequence): Array<GapEvent | RestartEvent> {
    const out: Array<GapEvent | RestartEvent> = [];
    for (const { event, frozen } of sequence.held) {
      if (frozen || event.event !== 'gap') {
        out.push(event);
        continue;
      }
      for (const segment of sequence.segments) {
        if (segment.kind !== 'missing' || segment.to < event.from || segment.from > event.to) continue;
        const from = Math.max(segment.from, event.from);
        const to = Math.min(segment.to, event.to);
        out.push({ ...event, from, to, missing: to - from + 1 });
      }
    }
    return out;
  }

  /**
   * The consumer stops: gaps and restarts still on probation are said now, as far as they still stand,
   * so that whatever the summary counts as missing was also reported as a gap.
   */
  settle(): Array<GapEvent | RestartEvent> {
    const events: Array<GapEvent | RestartEvent> = [];
    for (const sequence of this.sequences()) if (sequence.held.length > 0) events.push(...this.release(sequence));
    return events;
  }

  /** The probation is over: what was held is said now, as far as it still stands. */
  private release(sequence: Sequence): Array<GapEvent | RestartEvent> {
    const released = this.clipHeld(sequence);
    sequence.held = [];
    return released;
  }

  /** A value that arrived after a higher one: new, and out of order. */
  private late(sequence: Sequence): void {
    sequence.unique++;
    sequence.outOfOrder++;
    this.totals.unique++;
    this.totals.outOfOrder++;
  }

  /**
   * Several unnamed publishers share this sequence: what was judged on it (gaps, duplicates, restarts)
   * is withdrawn, and from now on its values are counted, never judged.
   */
  private share(sequence: Sequence): SharedTopicEvent {
    const totals = this.totals;
    const withdrawn = { missing: sequence.missing, duplicates: sequence.duplicates, restarts: sequence.restarts };
    totals.missing -= sequence.missing;
    totals.duplicates -= sequence.duplicates;
    totals.restarts -= sequence.restarts;
    totals.outOfOrder -= sequence.outOfOrder;
    totals.unique -= sequence.unique;
    totals.unjudged += sequence.received;
    this.earlierMissing = this.earlierMissing.filter((range) => range.topic !== sequence.topic || range.producerId !== sequence.producerId);
    Object.assign(sequence, { missing: 0, duplicates: 0, restarts: 0, outOfOrder: 0, unique: 0, shared: true, segments: [], held: [] });
    return { event: 'shared-topic', topic: sequence.topic, received: sequence.received, stepsBack: sequence.stepsBack, withdrawn };
  }

  /** A payload that is not a value: counted and reported, and the consumer goes on. */
  reject(topic: string, reason: InvalidReason): InvalidEvent {
    this.totals.invalid++;
    return { event: 'invalid', topic, ...reason };
  }

  /**
   * A new run of the same producer: a different run id, or (when the producer gives none) a counter that
   * went back to its start while nothing explains it (no gap it fills; for a group member, a value it had).
   */
  private isNewRun(sequence: Sequence, runId: string | null, value: number): boolean {
    if (runId !== null && sequence.runId !== null) return runId !== sequence.runId;
    if (value > 1 || sequence.highest <= 1) return false;
    const holder = sequence.segments[findSegment(sequence.segments, value)];
    return this.groupMember ? holder !== undefined : holder?.kind !== 'missing';
  }

  private retire(sequence: Sequence): void {
    for (const segment of sequence.segments) {
      if (segment.kind !== 'missing') continue;
      if (this.earlierMissing.length >= earlierMissingKept) this.earlierMissing.shift();
      this.earlierMissing.push({ topic: sequence.topic, producerId: sequence.producerId, from: segment.from, to: segment.to });
    }
  }

  private *sequences(): Iterable<Sequence> {
    for (const producers of this.topics.values()) yield* producers.values();
  }

  summary(): Summary {
    const missingRanges = [...this.earlierMissing];
    const topics: TopicSummary[] = [];
    for (const sequence of this.sequences()) {
      for (const segment of sequence.segments) {
        if (segment.kind === 'missing') missingRanges.push({ topic: sequence.topic, producerId: sequence.producerId, from: segment.from, to: segment.to });
      }
      topics.push(publicView(sequence));
    }
    return { event: 'summary', ...this.totals, missingRanges, topics };
  }

  /** The state a checkpoint keeps; restore() continues from it. */
  snapshot(): TrackerSnapshot {
    return {
      version: 2,
      totals: { ...this.totals },
      topics: [...this.sequences()].map((sequence) => ({ ...publicView(sequence), stepsBack: sequence.stepsBack })),
      earlierMissing: [...this.earlierMissing],
    };
  }

  restore(snapshot: TrackerSnapshot): void {
    this.totals = { ...emptyTotals(), ...snapshot.totals };
    this.earlierMissing = [...snapshot.earlierMissing];
    this.topics.clear();
    for (const saved of snapshot.topics) {
      let producers = this.topics.get(saved.topic);
      if (!producers) {
        producers = new Map();
        this.topics.set(saved.topic, producers);
      }
      producers.set(producerKey(saved.producerId, saved.runId), {
        ...saved,
        segments: saved.segments.map((s) => ({ ...s })),
        previous: saved.highest,
        held: [],
        resumePending: !saved.shared,
      });
    }
  }

  /** Values last seen per topic and producer, e.g. to say where a restored consumer stands. */
  lastValues(): Array<{ topic: string; producerId: string | null; value: number }> {
    return [...this.sequences()].map((sequence) => ({ topic: sequence.topic, producerId: sequence.producerId, value: sequence.highest }));
  }

  get hasHistory(): boolean {
    return this.topics.size > 0;
  }
}

function publicView(sequence: Sequence): TopicSummary {
  return {
    topic: sequence.topic,
    producerId: sequence.producerId,
    runId: sequence.runId,
    first: sequence.first,
    highest: sequence.highest,
    received: sequence.received,
    unique: sequence.unique,
    missing: sequence.missing,
    duplicates: sequence.duplicates,
    outOfOrder: sequence.outOfOrder,
    queued: sequence.queued,
    restarts: sequence.restarts,
    longestQueuedWaitMs: sequence.longestQueuedWaitMs,
    shared: sequence.shared,
    segments: sequence.segments.map((s) => ({ ...s })),
  };
}
