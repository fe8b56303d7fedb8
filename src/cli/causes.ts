/** What each cause of a gap means, in the words the consumer prints after a GAP line. */
import type { GapCause } from '../core/diagnosis.js';

export const causeText: Record<GapCause, string> = {
  'clean-session':
    'clean session: the broker forgets this consumer at every disconnect, so nothing was kept while it was away',
  'session-lost':
    'the session was not resumed (it expired, the broker restarted without persistence, or a clean connect took it): values sent meanwhile are gone',
  qos0: 'QoS 0: such messages are never queued for an offline consumer (publish and subscribe at QoS 1 or 2)',
  'queue-limit':
    "the session was resumed but the broker did not keep these values: the backlog that came first reached its queue limit per client (--queue-limit; Mosquitto's max_queued_messages, 1000 by default)",
  failover:
    'the session moved to another node of the cluster: values the lost node had in flight come again later (the gap is then filled) unless the cluster lost them',
  takeover:
    'the broker closed the previous connection without a word, as it does when another client connects with the same client id: these values most likely went to that client (give each consumer its own --id)',
  unknown:
    'the session was resumed but the broker did not deliver these values, and the consumer cannot tell why: a queue limit per client (give --queue-limit N to have it checked), or a broker that lost them (a crash before saving)',
  'not-received':
    'the broker never delivered them while connected: not published, or lost before reaching the broker',
};
