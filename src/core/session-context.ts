/**
 * The consumer's session as a pure machine, fed in the order of the wire: each CONNACK (session present
 * or not) and each PUBLISH, with their times. It knows which session a message arrived in, whether it
 * was queued while the consumer was away or is live, and when the backlog of queued messages is over.
 */
import type { DeliveryContext } from './diagnosis.js';
import type { BacklogEvent } from './events.js';

/** Quiet time after the last queued value before the backlog is called complete. */
export const backlogQuietMs = 300;

export interface SessionOptions {
  /** The consumer asks for a clean session. */
  clean: boolean;
  queueLimit: number | null;
}

/** What the consumer knows of a received message before its value is read. */
export interface ArrivingMessage {
  /** RETAIN=1 on a delivery: the topic's retained message, sent because this connection subscribed. */
  retained: boolean;
  qos: 0 | 1 | 2;
  /** When its publisher sent it (its own clock), when the publisher said so. */
  sentAt: number | undefined;
}

export class SessionContext {
  /** There was a session to resume: an earlier connection of this process, or a checkpoint. */
  hadSession = false;
  private sessionPresent = false;
  /** When this consumer sent the CONNECT the broker answered; values sent before it were queued. */
  private connectSentAt = 0;
  /** When it read the CONNACK; values sent after it are live. */
  private connectedAt = 0;
  private connections = 0;
  private afterReturn = false;
  private queuedOnReturn = 0;
  private takeoverSuspected = false;
  private movedNode = false;
  private lastNode: number | undefined;
  private backlogCount = 0;
  private backlogLongestMs: number | null = null;
  /** When the backlog is over unless another queued message arrives first; null when none is open. */
  private backlogQuietAt: number | null = null;

  constructor(private readonly options: SessionOptions) {}

  /**
   * A CONNACK accepted the connection at `now`, answering a CONNECT sent at `connectSentAt` (`now` when
   * not known). Returns whether the session this consumer had is gone (the broker has none although one
   * was kept).
   */
  connected(connack: { sessionPresent: boolean; node: number; previousClosedSilently: boolean }, now: number, connectSentAt = now): { sessionLost: boolean } {
    this.connections++;
    this.connectSentAt = Math.min(connectSentAt, now);
    this.connectedAt = now;
    this.sessionPresent = connack.sessionPresent;
    this.afterReturn = true;
    this.queuedOnReturn = 0;
    this.takeoverSuspected = connack.previousClosedSilently;
    this.movedNode = this.lastNode !== undefined && connack.node !== this.lastNode;
    this.lastNode = connack.node;
    const sessionLost = this.hadSession && !connack.sessionPresent && !this.options.clean;
    this.hadSession = !this.options.clean;
    return { sessionLost };
  }

  /** Counts the connections made: a number that tells one connection from the next. */
  get connection(): number {
    return this.connections;
  }

  /**
   * A PUBLISH arrived: whether it was queued by the broker while this consumer was away, and what the
   * consumer knew at that moment (for the causes of a gap it reveals).
   */
  arrived(message: ArrivingMessage): { queued: boolean | null; context: DeliveryContext } {
    // Only QoS 1 and 2 are ever queued; a QoS 0 value sent just before the CONNACK was live. Live and
    // queued values come with RETAIN=0, as this consumer never asks for retain-as-published. In a resumed
    // session, a value without a send time may have waited or not: that is not known (null). Neither is
    // one sent between the CONNECT and the reading of its CONNACK: the broker may have taken the session
    // before or after it arrived.
    const mayBeQueued = !message.retained && message.qos > 0 && this.sessionPresent;
    let queued: boolean | null = false;
    if (mayBeQueued) queued = message.sentAt === undefined ? null : this.queuedBySendTime(message.sentAt);
    const context: DeliveryContext = {
      clean: this.options.clean,
      sessionPresent: this.sessionPresent,
      hadSession: this.hadSession,
      afterReturn: this.afterReturn,
      queuedOnReturn: this.queuedOnReturn,
      queueLimit: this.options.queueLimit,
      takeoverSuspected: this.takeoverSuspected,
      movedNode: this.movedNode,
    };
    return { queued, context };
  }

  private queuedBySendTime(sentAt: number): boolean | null {
    if (sentAt < this.connectSentAt) return true;
    return sentAt >= this.connectedAt ? false : null;
  }

  /**
   * The message is counted: `queuedWaits` holds how long each value the tracker counted as queued waited
   * (null when unknown). Returns the backlog, when this message is the first live one after it.
   */
  recorded(message: { retained: boolean; queued: boolean }, queuedWaits: (number | null)[], now: number): BacklogEvent | null {
    for (const waitedMs of queuedWaits) {
      this.backlogCount++;
      this.queuedOnReturn++;
      if (waitedMs !== null && (this.backlogLongestMs === null || waitedMs > this.backlogLongestMs)) this.backlogLongestMs = waitedMs;
    }
    // A retained copy comes at the SUBACK, amid the backlog or after it: it neither ends nor extends it.
    if (message.retained) return null;
    this.afterReturn = message.queued;
    if (message.queued) {
      this.backlogQuietAt = now + backlogQuietMs;
      return null;
    }
    return this.endBacklog();
  }

  /** When the open backlog ends if nothing queued arrives before; null when none is open. */
  get quietAt(): number | null {
    return this.backlogQuietAt;
  }

  /** Time has passed: the backlog is over once it has been quiet long enough. */
  quiet(now: number): BacklogEvent | null {
    if (this.backlogQuietAt === null || now < this.backlogQuietAt) return null;
    return this.endBacklog();
  }

  /** Ends the backlog now (the consumer stops, or a live value came): returns it, if it held anything. */
  endBacklog(): BacklogEvent | null {
    this.backlogQuietAt = null;
    if (this.backlogCount === 0) return null;
    const event: BacklogEvent = { event: 'backlog', count: this.backlogCount, longestWaitMs: this.backlogLongestMs };
    this.backlogCount = 0;
    this.backlogLongestMs = null;
    return event;
  }
}
