/**
 * The sequence bookkeeping: values in, events out. No I/O and no clock (times come in with the values),
 * so every rule here is unit-tested directly. One sequence per topic and producer: values of different
 * producers interleave without any event, and a restart is the same producer beginning a new run.
 * Memory grows with the number of gaps, returns and producers, never with the number of values.
 * The totals are the sums of the sequences' counts, taken when asked.
 */
import type { Delivery } from './accounting.js';
import type { MissingRange, Segment, TopicSummary, Totals, TrackerSnapshot } from './counts.js';
import type { GapEvent, InvalidEvent, InvalidReason, LastValue, MessageEvent, RestartEvent, Summary, TrackerEvent } from './events.js';
import { UnnamedSequence } from './probation.js';
import { messageEvent, ProducerSequence } from './sequence.js';
import { countUnreadable, noUnreadable } from './unreadable.js';

export interface TrackerOptions {
  /**
   * A member of a shared-subscription group: the values it did not get may have gone to another member,
   * so it judges none missing; it records what it received, and a group report merges the members.
   */
  groupMember?: boolean;
}

/** Earlier runs' missing ranges kept for the summary; beyond this only the count stays exact. */
const earlierMissingKept = 1000;

type Sequence = ProducerSequence | UnnamedSequence;

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
  private earlierMissing: MissingRange[] = [];
  /** What no sequence holds: payloads that were no value, retained copies, and the longest wait of any value. */
  private invalid = 0;
  private unreadable = noUnreadable();
  private retained = 0;
  private longestWaitMs: number | null = null;
  private readonly groupMember: boolean;

  constructor(options: TrackerOptions = {}) {
    this.groupMember = options.groupMember === true;
  }

  /** Records one delivered value and says what it means. */
  accept(delivery: Delivery): TrackerEvent[] {
    if (delivery.retained === true) return [this.retainedCopy(delivery)];
    const waitedMs = delivery.sentAt === undefined ? null : Math.max(0, delivery.receivedAt - delivery.sentAt);
    if (waitedMs !== null && (this.longestWaitMs === null || waitedMs > this.longestWaitMs)) this.longestWaitMs = waitedMs;
    const producerId = delivery.producerId ?? null;
    const producers = this.producersOf(delivery.topic);
    const key = producerKey(producerId, delivery.runId ?? null);
    const sequence = producers.get(key);
    if (!sequence) {
      const started = ProducerSequence.start(delivery, waitedMs, this.groupMember);
      producers.set(key, producerId === null ? UnnamedSequence.wrap(started.sequence) : started.sequence);
      return started.events;
    }
    const { events, endedRun } = sequence.accept(delivery, waitedMs);
    if (endedRun) this.retire(delivery.topic, producerId, endedRun);
    if (events.some((event) => event.event === 'shared-topic')) {
      // What was judged there is withdrawn, the earlier runs' missing ranges with it.
      this.earlierMissing = this.earlierMissing.filter((range) => range.topic !== delivery.topic || range.producerId !== producerId);
    }
    return events;
  }

  /**
   * The broker's stored copy of a retained message, sent again at every subscribe: counted apart and
   * never placed in a sequence (it would be a duplicate at each restart, or a step back, or a false gap).
   */
  private retainedCopy(delivery: Delivery): MessageEvent {
    this.retained++;
    return messageEvent(delivery, null, false, false);
  }

  /**
   * The consumer stops: gaps and restarts still on probation are said now, as far as they still stand,
   * so that whatever the summary counts as missing was also reported as a gap.
   */
  settle(): Array<GapEvent | RestartEvent> {
    const events: Array<GapEvent | RestartEvent> = [];
    for (const sequence of this.sequences()) if (sequence instanceof UnnamedSequence) events.push(...sequence.settle());
    return events;
  }

  /** A payload that is not a value: counted and reported, and the consumer goes on. */
  reject(topic: string, reason: InvalidReason): InvalidEvent {
    if (!countUnreadable(this.unreadable, topic, reason)) this.invalid++;
    return { event: 'invalid', topic, ...reason };
  }

  private producersOf(topic: string): Map<string, Sequence> {
    let producers = this.topics.get(topic);
    if (!producers) {
      producers = new Map();
      this.topics.set(topic, producers);
    }
    return producers;
  }

  /** A run ended: its missing ranges are kept for the summary. */
  private retire(topic: string, producerId: string | null, segments: Segment[]): void {
    for (const segment of segments) {
      if (segment.kind !== 'missing') continue;
      if (this.earlierMissing.length >= earlierMissingKept) this.earlierMissing.shift();
      this.earlierMissing.push({ topic, producerId, from: segment.from, to: segment.to });
    }
  }

  private *sequences(): Iterable<Sequence> {
    for (const producers of this.topics.values()) yield* producers.values();
  }

  /** The sums of the sequences' counts; values on a shared sequence are unjudged, not unique. */
  private totals(rows: readonly TopicSummary[]): Totals {
    const totals: Totals = { received: 0, unique: 0, missing: 0, duplicates: 0, outOfOrder: 0, queued: 0, restarts: 0, invalid: this.invalid, retained: this.retained, unjudged: 0, longestWaitMs: this.longestWaitMs, badPaths: this.unreadable.badPaths, nonIntegers: this.unreadable.nonIntegers };
    for (const row of rows) {
      totals.received += row.received;
      totals.queued += row.queued;
      if (row.shared) totals.unjudged += row.received;
      totals.unique += row.unique;
      totals.missing += row.missing;
      totals.duplicates += row.duplicates;
      totals.outOfOrder += row.outOfOrder;
      totals.restarts += row.restarts;
    }
    return totals;
  }

  summary(): Summary {
    const missingRanges = [...this.earlierMissing];
    const topics = [...this.sequences()].map((sequence) => sequence.view());
    for (const row of topics) {
      for (const segment of row.segments) {
        if (segment.kind === 'missing') missingRanges.push({ topic: row.topic, producerId: row.producerId, from: segment.from, to: segment.to });
      }
    }
    return { event: 'summary', ...this.totals(topics), missingRanges, topics };
  }

  /** The state a checkpoint keeps; restore() continues from it. */
  snapshot(): TrackerSnapshot {
    const topics = [...this.sequences()].map((sequence) => sequence.snapshot());
    return { version: 2, totals: this.totals(topics), topics, earlierMissing: [...this.earlierMissing] };
  }

  /** Continues from a snapshot: the totals follow from its sequences, but for what no sequence holds. */
  restore(snapshot: TrackerSnapshot): void {
    this.invalid = snapshot.totals.invalid;
    this.unreadable = { badPaths: snapshot.totals.badPaths, nonIntegers: snapshot.totals.nonIntegers };
    this.retained = snapshot.totals.retained;
    this.longestWaitMs = snapshot.totals.longestWaitMs;
    this.earlierMissing = [...snapshot.earlierMissing];
    this.topics.clear();
    for (const saved of snapshot.topics) {
      const sequence = saved.producerId === null ? UnnamedSequence.restore(saved, this.groupMember) : ProducerSequence.restore(saved, this.groupMember);
      this.producersOf(saved.topic).set(producerKey(saved.producerId, saved.runId), sequence);
    }
  }

  /** Values last seen per topic and producer, e.g. to say where a restored consumer stands. */
  lastValues(): LastValue[] {
    return [...this.sequences()].map((sequence) => sequence.lastValue());
  }

  get hasHistory(): boolean {
    return this.topics.size > 0;
  }
}
