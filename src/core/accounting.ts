/** The accounting's vocabulary: what comes in (deliveries), what goes out (events, the summary), what a checkpoint keeps. */
import type { DeliveryContext, GapCause } from './diagnosis.js';

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
  /** Messages that arrived after the consumer decided to stop, left unacknowledged for the session's next connection. */
  leftInSession?: number;
  /** Missing ranges of every run, oldest first, "topic" included for several topics. */
  missingRanges: Array<{ topic: string; from: number; to: number }>;
  topics: TopicSummary[];
}

export interface TrackerSnapshot {
  version: 1;
  totals: Totals;
  topics: Array<{ topic: string; runId: string | null; first: number; highest: number; segments: Segment[] }>;
  earlierMissing: Array<{ topic: string; from: number; to: number }>;
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
    longestWaitMs: null,
  };
}

