/** Why values can be missing, judged only from what the consumer itself knows. */

export interface DeliveryContext {
  /** This consumer asked for a clean session. */
  clean: boolean;
  /** The broker's CONNACK for the current connection said the session was present. */
  sessionPresent: boolean;
  /** There was a session to resume: an earlier connection of this process, or a checkpoint. */
  hadSession: boolean;
  /** Still within the messages that arrived on returning (the backlog and the first live value). */
  afterReturn: boolean;
  /** Values delivered from the broker's queue since this connection was made. */
  queuedOnReturn: number;
  /** The broker's limit of queued messages per client, when the person running the consumer knows it. */
  queueLimit: number | null;
  /**
   * The broker closed the connection before this one without a word, as Mosquitto does to a client whose
   * client id another client has just taken: what was sent meanwhile went to that client.
   */
  takeoverSuspected: boolean;
  /** This connection reached another node of a cluster than the one before it (a failover). */
  movedNode?: boolean;
}

export type GapCause = 'clean-session' | 'session-lost' | 'qos0' | 'queue-limit' | 'failover' | 'takeover' | 'unknown' | 'not-received';

export function diagnoseGap(qos: 0 | 1 | 2, context: DeliveryContext): GapCause {
  if (context.clean) return 'clean-session';
  if (context.hadSession && !context.sessionPresent && context.afterReturn) return 'session-lost';
  if (qos === 0) return 'qos0';
  if (context.afterReturn && context.sessionPresent) {
    // Only evidence names the queue limit: the backlog reached it. A broker that crashed before saving
    // what it queued leaves the same pattern (queued values, then a gap), so without it the cause is unknown.
    if (context.queueLimit !== null && context.queuedOnReturn >= context.queueLimit) return 'queue-limit';
    // A node that died closes its sockets without a word too: on another node, that is no takeover.
    if (context.movedNode) return 'failover';
    return context.takeoverSuspected ? 'takeover' : 'unknown';
  }
  return 'not-received';
}
