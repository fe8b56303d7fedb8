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
}

export type GapCause = 'clean-session' | 'session-lost' | 'qos0' | 'queue-limit' | 'not-received';

export function diagnoseGap(qos: 0 | 1 | 2, context: DeliveryContext): GapCause {
  if (context.clean) return 'clean-session';
  if (context.hadSession && !context.sessionPresent && context.afterReturn) return 'session-lost';
  if (qos === 0) return 'qos0';
  if (context.afterReturn && context.sessionPresent) return 'queue-limit';
  return 'not-received';
}

export const causeText: Record<GapCause, string> = {
  'clean-session':
    'clean session: the broker forgets this consumer at every disconnect, so nothing was kept while it was away',
  'session-lost':
    'the session was not resumed (it expired, the broker restarted without persistence, or a clean connect took it): values sent meanwhile are gone',
  qos0: 'QoS 0: such messages are never queued for an offline consumer (publish and subscribe at QoS 1 or 2)',
  'queue-limit':
    "the session was resumed but the broker did not keep these values: its queue limit per client was reached (Mosquitto's max_queued_messages, 1000 by default), or it crashed before saving them",
  'not-received':
    'the broker never delivered them while connected: not published, or lost before reaching the broker',
};
