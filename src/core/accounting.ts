/** The accounting's vocabulary: what comes in (deliveries), what it counts, what a checkpoint keeps (its events are in events.ts). */
import type { DeliveryContext } from './diagnosis.js';

export { emptyCounts, type MissingRange, type Segment, type SegmentKind, type SequenceCounts, type SequenceSnapshot, type TopicSummary, type Totals, type TrackerSnapshot } from './counts.js';

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
  /** It waited in the broker while this consumer was away; null when that is not known (no send time, and the session resumed). */
  queued: boolean | null;
  /**
   * The topic's retained message, sent because this connection subscribed (RETAIN=1 on delivery): the
   * broker's stored copy, handed again at every subscribe, not a delivery of the sequence.
   */
  retained?: boolean;
  qos: 0 | 1 | 2;
  context: DeliveryContext;
}
