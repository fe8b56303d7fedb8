/** The accounting's vocabulary: what comes in (deliveries), what it counts, what a checkpoint keeps (its events are in events.ts). */
import type { DeliveryContext } from './diagnosis.js';

export type { DeliveryContext } from './diagnosis.js';

export interface Delivery {
  topic: string;
  value: number;
  /** The producer that sent it, an identity that outlives its runs (user property, or the payload's "id:value"). */
  producerId?: string;
  /** The producer run that sent it (user property), when the producer says. */
  runId?: string;
  /** When the producer sent it (ms since the epoch), when the producer says. */
  sentAt?: number;
  receivedAt: number;
  /** It waited in the broker while this consumer was away. */
  queued: boolean;
  /**
   * The topic's retained message, sent because this connection subscribed (RETAIN=1 on delivery): the
   * broker's stored copy, handed again at every subscribe, not a delivery of the sequence.
   */
  retained?: boolean;
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

/** What one producer's values on one topic came to, across its runs. */
export interface SequenceCounts {
  received: number;
  unique: number;
  missing: number;
  duplicates: number;
  outOfOrder: number;
  queued: number;
  restarts: number;
  /** The longest a value delivered from the queue had waited in the broker, when the producer said when it sent it. */
  longestQueuedWaitMs: number | null;
}

/** One producer on one topic: its current run and what its values came to. */
export interface TopicSummary extends SequenceCounts {
  topic: string;
  /** The producer's identity; null for a publisher that gives none (then runId, if any, names it). */
  producerId: string | null;
  runId: string | null;
  first: number;
  highest: number;
  /** Several unnamed publishers share this sequence: nothing on it is judged (segments then empty). */
  shared: boolean;
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
  /** Copies of a topic's retained message, handed again at each subscribe: not in received, never judged. */
  retained: number;
  /** Values on topics shared by publishers that do not identify themselves: received, never judged. */
  unjudged: number;
  longestWaitMs: number | null;
}

export interface MissingRange {
  topic: string;
  producerId: string | null;
  from: number;
  to: number;
}

export interface SequenceSnapshot extends TopicSummary {
  /** How often a value was not above the one before it: the sign of publishers sharing a topic. */
  stepsBack: number;
}

export interface TrackerSnapshot {
  version: 2;
  totals: Totals;
  topics: SequenceSnapshot[];
  earlierMissing: MissingRange[];
}

export function emptyCounts(): SequenceCounts {
  return { received: 0, unique: 0, missing: 0, duplicates: 0, outOfOrder: 0, queued: 0, restarts: 0, longestQueuedWaitMs: null };
}

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
    retained: 0,
    unjudged: 0,
    longestWaitMs: null,
  };
}

