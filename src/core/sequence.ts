/**
 * One producer's sequence on one topic: each value placed as new, late, repeated, after a gap, or the
 * first of a new run. Its unique and missing counts follow from its segments (plus those of the runs
 * that ended), so they are derived, never kept beside them.
 */
import { diagnoseGap } from './diagnosis.js';
import type { Delivery } from './accounting.js';
import type { Segment, SegmentKind, SequenceSnapshot, TopicSummary } from './counts.js';
import type { GapEvent, LastValue, MessageEvent, RestartEvent, TrackerEvent } from './events.js';
import { appendValue, fillMissing, findSegment, insertValue, kindOf, receivedKinds, valuesIn } from './segments.js';

/** What one value did to a sequence: the events it makes, and the segments of the run it ended, if any. */
export interface Placed {
  events: TrackerEvent[];
  endedRun: Segment[] | null;
}

/** The message event of one delivery. */
export function messageEvent(delivery: Delivery, waitedMs: number | null, duplicate: boolean, outOfOrder: boolean): MessageEvent {
  return {
    event: 'message',
    topic: delivery.topic,
    value: delivery.value,
    duplicate,
    outOfOrder,
    queued: delivery.retained === true ? false : delivery.queued,
    retained: delivery.retained === true,
    waitedMs,
    sentAt: delivery.sentAt ?? null,
    qos: delivery.qos,
    producerId: delivery.producerId ?? null,
    runId: delivery.runId ?? null,
  };
}

export class ProducerSequence {
  readonly topic: string;
  readonly producerId: string | null;
  runId: string | null;
  first: number;
  highest: number;
  segments: Segment[];
  received = 0;
  queued = 0;
  duplicates = 0;
  outOfOrder = 0;
  restarts = 0;
  longestQueuedWaitMs: number | null = null;
  /** How often a value was not above the one before it: the sign of publishers sharing a topic. */
  stepsBack = 0;
  /** The value received before this one: a value not above it is a step back. */
  private previous: number;
  /** Restored from a checkpoint: the next value is compared with the one before the restart. */
  private resumePending = false;
  /** Unique and missing values of the runs that ended (their segments are gone). */
  private endedUnique = 0;
  private endedMissing = 0;

  /** A member of a consumer group judges no value missing: another member may have had it. */
  private constructor(
    saved: Pick<SequenceSnapshot, 'topic' | 'producerId' | 'runId' | 'first' | 'highest' | 'segments'>,
    private readonly groupMember: boolean,
  ) {
    this.topic = saved.topic;
    this.producerId = saved.producerId;
    this.runId = saved.runId;
    this.first = saved.first;
    this.highest = saved.highest;
    this.segments = saved.segments.map((s) => ({ ...s }));
    this.previous = saved.highest;
  }

  /** The first value seen of a producer: what came before it was never this consumer's to receive. */
  static start(delivery: Delivery, waitedMs: number | null, groupMember: boolean): { sequence: ProducerSequence; events: TrackerEvent[] } {
    const { topic, value } = delivery;
    const kind: SegmentKind = kindOf(delivery.queued);
    const saved = { topic, producerId: delivery.producerId ?? null, runId: delivery.runId ?? null, first: value, highest: value, segments: [{ kind, from: value, to: value }] };
    const sequence = new ProducerSequence(saved, groupMember);
    sequence.count(delivery.queued, waitedMs);
    return { sequence, events: [messageEvent(delivery, waitedMs, false, false)] };
  }

  /** A sequence as a checkpoint kept it: its next value says where it resumes. */
  static restore(saved: SequenceSnapshot, groupMember: boolean): ProducerSequence {
    const sequence = new ProducerSequence(saved, groupMember);
    sequence.received = saved.received;
    sequence.queued = saved.queued;
    sequence.duplicates = saved.duplicates;
    sequence.outOfOrder = saved.outOfOrder;
    sequence.restarts = saved.restarts;
    sequence.longestQueuedWaitMs = saved.longestQueuedWaitMs;
    sequence.stepsBack = saved.stepsBack;
    sequence.endedUnique = saved.unique - valuesIn(saved.segments, receivedKinds);
    sequence.endedMissing = saved.missing - valuesIn(saved.segments, ['missing']);
    sequence.resumePending = true;
    return sequence;
  }

  get unique(): number {
    return this.endedUnique + valuesIn(this.segments, receivedKinds);
  }

  get missing(): number {
    return this.endedMissing + valuesIn(this.segments, ['missing']);
  }

  /** Records one value of this producer and says what it means. */
  accept(delivery: Delivery, waitedMs: number | null): Placed {
    this.count(delivery.queued, waitedMs);
    if (delivery.value <= this.previous) this.stepsBack++;
    this.previous = delivery.value;
    const events: TrackerEvent[] = [];
    const endedRun = this.place(delivery, waitedMs, events);
    return { events, endedRun };
  }

  private count(queued: boolean | null, waitedMs: number | null): void {
    this.received++;
    if (!queued) return;
    this.queued++;
    if (waitedMs !== null && (this.longestQueuedWaitMs === null || waitedMs > this.longestQueuedWaitMs)) this.longestQueuedWaitMs = waitedMs;
  }

  /** Places a value: new, late, repeated, after a gap, or a new run (whose predecessor's segments it returns). */
  private place(delivery: Delivery, waitedMs: number | null, events: TrackerEvent[]): Segment[] | null {
    const { topic, value } = delivery;
    const runId = delivery.runId ?? null;
    const kind: SegmentKind = kindOf(delivery.queued);
    const message = (duplicate: boolean, outOfOrder: boolean): MessageEvent => messageEvent(delivery, waitedMs, duplicate, outOfOrder);
    if (this.isNewRun(runId, value)) {
      this.restarts++;
      const restart: RestartEvent = { event: 'producer-restart', topic, producerId: this.producerId, runId, previousRunId: this.runId, lastValue: this.highest, firstValue: value };
      events.push(restart, message(false, false));
      const endedRun = this.segments;
      this.endedUnique += valuesIn(endedRun, receivedKinds);
      this.endedMissing += valuesIn(endedRun, ['missing']);
      this.runId = runId;
      this.first = value;
      this.highest = value;
      this.segments = [{ kind, from: value, to: value }];
      this.resumePending = false;
      return endedRun;
    }
    if (this.runId === null && runId !== null) this.runId = runId;

    if (this.resumePending) {
      this.resumePending = false;
      const missed = this.groupMember ? 0 : Math.max(0, value - this.highest - 1);
      events.push({ event: 'resume', topic, producerId: this.producerId, lastValue: this.highest, firstValue: value, missed });
    }

    if (value > this.highest) {
      if (value > this.highest + 1 && !this.groupMember) {
        const from = this.highest + 1;
        const to = value - 1;
        this.segments.push({ kind: 'missing', from, to });
        const gap: GapEvent = { event: 'gap', topic, producerId: this.producerId, from, to, missing: to - from + 1, cause: diagnoseGap(delivery.qos, delivery.context) };
        events.push(gap);
      }
      appendValue(this.segments, kind, value);
      this.highest = value;
      events.push(message(false, false));
      return null;
    }

    const index = findSegment(this.segments, value);
    const holder = index >= 0 ? this.segments[index]! : undefined;
    if (holder?.kind === 'missing') {
      fillMissing(this.segments, index, kind, value);
    } else if (holder === undefined && this.groupMember) {
      // A member's record has holes where other members got values: a late value takes its place.
      insertValue(this.segments, kind, value);
      if (value < this.first) this.first = value;
    } else if (value < this.first) {
      // Older than anything seen in this run (e.g. a late value from before the consumer joined).
      this.segments.unshift({ kind, from: value, to: value });
      if (value < this.first - 1) this.segments.splice(1, 0, { kind: 'missing', from: value + 1, to: this.first - 1 });
      this.first = value;
    } else {
      this.duplicates++;
      events.push(message(true, false));
      return null;
    }
    this.outOfOrder++;
    events.push(message(false, true));
    return null;
  }

  /**
   * A new run of the same producer: a different run id, or (when the producer gives none) a counter that
   * went back to its start while nothing explains it (no gap it fills; for a group member, a value it had).
   */
  private isNewRun(runId: string | null, value: number): boolean {
    if (runId !== null && this.runId !== null) return runId !== this.runId;
    if (value > 1 || this.highest <= 1) return false;
    const holder = this.segments[findSegment(this.segments, value)];
    return this.groupMember ? holder !== undefined : holder?.kind !== 'missing';
  }

  /** Where the sequence stands: its producer and the highest value seen. */
  lastValue(): LastValue {
    return { topic: this.topic, producerId: this.producerId, value: this.highest };
  }

  view(): TopicSummary {
    return {
      topic: this.topic,
      producerId: this.producerId,
      runId: this.runId,
      first: this.first,
      highest: this.highest,
      received: this.received,
      unique: this.unique,
      missing: this.missing,
      duplicates: this.duplicates,
      outOfOrder: this.outOfOrder,
      queued: this.queued,
      restarts: this.restarts,
      longestQueuedWaitMs: this.longestQueuedWaitMs,
      shared: false,
      segments: this.segments.map((s) => ({ ...s })),
    };
  }

  snapshot(): SequenceSnapshot {
    return { ...this.view(), stepsBack: this.stepsBack };
  }
}
