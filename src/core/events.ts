/**
 * The one event model: what the commands say happened, as data (codes and numbers, no sentences),
 * turned into words for a person or into JSON lines by the renderers of the command line.
 */
import type { MissingRange, SequenceCounts, TopicSummary, Totals } from './counts.js';
import type { BrokerIdentity, ChapterReason } from './chapter.js';
import type { GapCause } from './diagnosis.js';

export interface MessageEvent {
  event: 'message';
  topic: string;
  value: number;
  duplicate: boolean;
  outOfOrder: boolean;
  /** It waited in the broker while the consumer was away; null: not known (no send time, and the session had resumed). */
  queued: boolean | null;
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

/** Why a message was not a counter value. */
export type InvalidReason =
  /** The payload is no counter value: its first 40 characters (trimmed), and whether there were more. */
  | { reason: 'not-a-value'; payload: string; truncated: boolean }
  /** Larger than the consumer takes (--max-payload). */
  | { reason: 'too-large'; bytes: number; limit: number }
  /**
   * Nothing usable where --value-field/--value-property (role value) or --producer-field/--producer-property
   * (role producer) point: found is what was there (null: nothing, or a payload that is no JSON).
   */
  | { reason: 'bad-path'; role: 'value' | 'producer'; source: 'field' | 'property'; name: string; found: string | null; payload: string; truncated: boolean }
  /** The value found there is no whole number from 0 (its first 40 characters). */
  | { reason: 'not-an-integer'; source: 'field' | 'property'; name: string; found: string };

export type InvalidEvent = { event: 'invalid'; topic: string } & InvalidReason;

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

/** Messages arrived and not one held a value to check: the run verified nothing (said before the summary). */
export interface NothingVerifiedEvent {
  event: 'nothing-verified';
  /** Messages this run received. */
  messages: number;
  /** Of them: not a counter value (or too large), no value or producer where the options point, a value that is no whole number. */
  invalid: number;
  badPaths: number;
  nonIntegers: number;
  /** Where the values were looked for: the option and its argument, or null for the producer's own payload. */
  valueOption: { source: 'field' | 'property'; name: string } | null;
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
  | { event: 'offline'; url: string; reason: LinkReason }
  | { event: 'unreachable'; url: string; reason: LinkReason; retryInMs: number };

/** Why a link failed or an attempt did not connect, as data: the words are made where it is shown. */
export type LinkReason =
  /** The CONNACK refused it with this return code (3.1.1) or reason code (5). */
  | { code: 'refused'; connackCode: number; protocolVersion: 4 | 5 }
  /** Nothing came from the broker for 1.5 keep-alive periods. */
  | { code: 'keepalive-timeout'; keepalive: number }
  /** The broker sent DISCONNECT (MQTT 5) with this reason code. */
  | { code: 'disconnected'; reasonCode: number }
  /** The system's own error, as it gave it (e.g. connect ECONNREFUSED 127.0.0.1:1883). */
  | { code: 'socket-error'; error: string }
  /** The socket connected, then the broker closed it without a CONNACK. */
  | { code: 'no-connack'; protocolVersion: 4 | 5 }
  /** No answer at all. */
  | { code: 'no-answer' }
  /** Closed without a word from either side. */
  | { code: 'connection-lost' };

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

/** Something a person should know that stops nothing. */
export type Warning =
  /** --insecure with an mqtts:// URL: the broker's certificate is not checked. */
  | { code: 'insecure-tls' }
  /** A persistent session asked with an expiry of 0 (MQTT 5): the broker ends it at every disconnect. */
  | { code: 'session-expiry-zero' }
  /** A cluster refused the subscription (SUBACK reason code), tried again after retryInMs. */
  | { code: 'subscription-retry'; topic: string; reasonCode: number; retryInMs: number; attempt: number; attempts: number }
  /** A value's user property was unusable (said once): the value is still counted. */
  | { code: 'malformed-property'; topic: string; property: string; value: string | null };

/** A warning about the command's own settings, said before it connects. */
export type SettingWarning = Extract<Warning, { code: 'insecure-tls' }>;

export type WarningEvent = { event: 'warning' } & Warning;

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
  | NothingVerifiedEvent
  | Summary;

export interface SentEvent {
  event: 'sent';
  topic: string;
  value: number;
  /** Sent again after a reconnect or a restart from the state file. */
  again: boolean;
}

/** A value the broker acknowledged (PUBACK at QoS 1, PUBCOMP at QoS 2): JSON only, for a history of the run. */
export interface AcknowledgedEvent {
  event: 'acknowledged';
  topic: string;
  value: number;
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
  /** Who sent, where, in which run: what the report joins with the consumers' records. */
  topic: string;
  producerId: string;
  runId: string;
  /** The values acknowledged in this process, as sorted ranges; null at QoS 0. */
  acknowledgedValues: Array<{ from: number; to: number }> | null;
}

export type ProducerEvent = ConnectionEvent | SentEvent | AcknowledgedEvent | KeptEvent | ProducerStateEvent | StateInUseEvent | WarningEvent | ProducerSummary;

/** Where events go: lines for a person or JSON lines, made by the command line's renderers. */
export interface Renderer<E> {
  render(event: E): void;
  /**
   * Writes what is buffered; undefined when the system took it all at once, else a promise that resolves
   * once it has. A pipe whose reader lags keeps the rest in this process, where a SIGKILL would lose it:
   * the consumer waits for this before it records and acknowledges what the lines report, and does not
   * wait a turn when there is nothing to wait for.
   */
  flush(): Promise<void> | undefined;
}

/** One broker on localhost: the embedded one, or a Mosquitto with one of the project's configs. */
export interface ServedLocal {
  kind: 'embedded' | 'mosquitto';
  port: number;
  protected: boolean;
  /** Where Mosquitto keeps its data (absolute). */
  dataDir?: string;
  mosquittoInstalled: boolean;
  /** An edge Mosquitto: what it forwards, and to which central broker. */
  bridge?: ServedBridge;
}

export interface ServedBridge {
  /** The bridge's name, its client id on the central broker. */
  name: string;
  /** The central broker's URL, as given (it may hold a password: masked when shown). */
  centre: string;
  /** Where the central Mosquitto keeps its data, when the broker command started it; undefined for a broker given by URL. */
  centreDataDir?: string;
  topic: string;
  qos: 0 | 1;
  cleanSession: boolean;
}

/** The nodes of a kind the project starts as processes, on free ports of 127.0.0.1. */
export interface ServedNodes {
  /** A kind of the broker catalogue (src/brokers/catalogue.ts). */
  kind: string;
  /** What it is ("a NATS cluster of 3 nodes"). */
  description: string;
  protocolVersions: ReadonlyArray<4 | 5>;
  /** Its config and data, removed when it stops. */
  dir: string;
  nodes: Array<{ index: number; url: string; pid: number | undefined }>;
  urls: string[];
}

export type Served = (ServedLocal & { started: 'local' }) | (ServedNodes & { started: 'nodes' });
