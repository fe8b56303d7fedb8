/** The one event model: what the commands say happened, rendered as text or as JSON lines. */
import type { Summary, TrackerEvent } from './accounting.js';
import type { BrokerIdentity, ChapterReason } from './chapter.js';
import type { Totals } from './counts.js';

/** Everything worth telling a person about the link, whichever command holds it. */
export type ConnectionEvent =
  | {
      event: 'connected';
      /** The broker reached: with several URLs, the node this connection went to. */
      url: string;
      /** Which of the given URLs it is (1-based), and how many were given. */
      node: number;
      nodes: number;
      clientId: string;
      sessionPresent: boolean;
      /** The broker's Receive Maximum (MQTT 5 CONNACK), null when it gave none. */
      receiveMaximum: number | null;
      /** The connection before this one was closed by the broker without a word, as in a session takeover. */
      previousClosedSilently: boolean;
    }
  | { event: 'offline'; url: string; reason: string }
  | { event: 'unreachable'; url: string; reason: string; retryInMs: number };

export interface SubscribedEvent {
  event: 'subscribed';
  topic: string;
  qos: 0 | 1 | 2;
}

/** The values that had waited in the broker, counted once the backlog is over. */
export interface BacklogEvent {
  event: 'backlog';
  count: number;
  longestWaitMs: number | null;
}

/** The broker had no session although this consumer had one. */
export interface SessionLostEvent {
  event: 'session-lost';
  clientId: string;
  lastValues: LastValue[];
}

/** The consumer continued from a checkpoint written by an earlier run; its missing values are still counted (and in the exit status). */
export interface CheckpointEvent extends Pick<Totals, 'received' | 'missing'> {
  event: 'checkpoint';
  path: string;
  lastValues: LastValue[];
}

/** The checkpoint's accounting is set aside and this run starts afresh: another broker, another MQTT version, or --reset. */
export interface ChapterEvent {
  event: 'chapter';
  path: string;
  reason: ChapterReason;
  /** The broker the earlier accounting belonged to (null: the checkpoint did not say). */
  previous: BrokerIdentity | null;
  broker: BrokerIdentity;
  /** What the earlier accounting came to, not carried forward. */
  earlier: Pick<Totals, 'received' | 'missing'>;
}

/** Where one producer's sequence on one topic stands. */
export interface LastValue {
  topic: string;
  producerId: string | null;
  value: number;
}

/** The state file is locked by a process that still runs: waited for before the command refuses to start. */
export interface StateFileWait {
  path: string;
  pid: number;
  waitMs: number;
}

export type StateInUseEvent = { event: 'state-in-use' } & StateFileWait;

export interface WarningEvent {
  event: 'warning';
  message: string;
}

export type ConsumerEvent =
  | ConnectionEvent
  | TrackerEvent
  | SubscribedEvent
  | BacklogEvent
  | SessionLostEvent
  | CheckpointEvent
  | StateInUseEvent
  | ChapterEvent
  | WarningEvent
  | Summary;

export interface SentEvent {
  event: 'sent';
  topic: string;
  value: number;
  /** Sent again after a reconnect or a restart from the state file. */
  again: boolean;
}

/** A value counted while the broker is away: kept, sent when it is back. */
export interface KeptEvent {
  event: 'kept';
  value: number;
  pending: number;
}

export interface ProducerStateEvent {
  event: 'state';
  path: string;
  /** The QoS of this run: at QoS 0 the values kept are not yet sent, there is no acknowledgement to wait for. */
  qos: 0 | 1 | 2;
  runId: string;
  nextValue: number;
  pending: number;
}

export interface ProducerSummary {
  event: 'producer-summary';
  qos: 0 | 1 | 2;
  sent: number;
  /** PUBACKs (QoS 1) or PUBCOMPs (QoS 2) received; null at QoS 0, which has no acknowledgement. */
  acknowledged: number | null;
  /** Values the broker does not surely have: not acknowledged at QoS 1 and 2, not sent at QoS 0. */
  pending: number;
  lastValue: number | null;
}

export type ProducerEvent = ConnectionEvent | SentEvent | KeptEvent | ProducerStateEvent | StateInUseEvent | WarningEvent | ProducerSummary;

/** Where events go: lines for a person or JSON; flush() writes what is buffered. */
export interface Renderer<E> {
  render(event: E): void;
  /** Writes what is buffered; synchronous for files, pipes and terminals on Linux. */
  flush(): void;
}
