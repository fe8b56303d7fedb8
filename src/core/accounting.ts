/** The accounting's vocabulary: what comes in (deliveries), what goes out (events, the summary), what a checkpoint keeps. */
import type { MissingRange, SequenceCounts, TopicSummary, Totals } from './counts.js';
import type { DeliveryContext, GapCause } from './diagnosis.js';

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

export interface MessageEvent {
  event: 'message';
  topic: string;
  value: number;
  duplicate: boolean;
  outOfOrder: boolean;
  queued: boolean;
  /** The broker's retained copy, sent because of the subscription: counted apart, never judged. */
  retained: boolean;
  waitedMs: number | null;
  /** When the producer sent it (ms since the epoch, its clock), when it said so. */
  sentAt: number | null;
  qos: 0 | 1 | 2;
  producerId: string | null;
  runId: string | null;
}

export interface GapEvent {
  event: 'gap';
  topic: string;
  producerId: string | null;
  from: number;
  to: number;
  missing: number;
  cause: GapCause;
}

export interface RestartEvent {
  event: 'producer-restart';
  topic: string;
  producerId: string | null;
  runId: string | null;
  previousRunId: string | null;
  lastValue: number;
  firstValue: number;
}

export interface ResumeEvent {
  event: 'resume';
  topic: string;
  producerId: string | null;
  lastValue: number;
  firstValue: number;
  missed: number;
}

export interface InvalidEvent {
  event: 'invalid';
  topic: string;
  reason: string;
}

/**
 * Values without a producer id went back and forth so often that several publishers must share the
 * topic: one sequence cannot describe them, so no value there is judged missing or repeated.
 */
export interface SharedTopicEvent {
  event: 'shared-topic';
  topic: string;
  /** Values received there so far. */
  received: number;
  /** How often a value was not above the one before it. */
  stepsBack: number;
  /** Missing values, duplicates and restarts reported there before, now withdrawn. */
  withdrawn: Pick<SequenceCounts, 'missing' | 'duplicates' | 'restarts'>;
}

export type TrackerEvent = MessageEvent | GapEvent | RestartEvent | ResumeEvent | SharedTopicEvent | InvalidEvent;

export interface Summary extends Totals {
  event: 'summary';
  /** Messages that arrived after the consumer decided to stop, left unacknowledged for the session's next connection. */
  leftInSession?: number;
  /** The consumer's shared-subscription group, when it is a member of one: it then judges nothing missing. */
  group?: string | null;
  /** How the consumer left the broker: whether its session stays there, for how long, and when. */
  departure?: Departure;
  /** Missing ranges of every run, oldest first. */
  missingRanges: MissingRange[];
  /** One entry per producer and topic. */
  topics: TopicSummary[];
}

/** How a consumer left the broker; the group report reads whether values may still wait in its session. */
export interface Departure {
  /** The broker keeps its session (not a clean session, and an expiry above 0). */
  persistentSession: boolean;
  /** The session expiry it asked for, in seconds; null on MQTT 3.1.1, which has none (the broker decides). */
  sessionExpiry: number | null;
  /** When it left (ISO 8601); for a consumer that was killed, its last record (a little earlier). */
  at: string;
}


