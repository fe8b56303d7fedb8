/**
 * What a clean restart of a broker of one node did to the consumer session that came back after it:
 * resumed or not, and how many acknowledged values of its topics it never delivered. The broker-restart
 * claim compares two such restarts, with persistence on and off, in one history.
 */
import { acknowledgedLost } from './checkers.js';
import type { ConnectOperation, FaultOperation, Operation } from './history.js';

/** The brokers the broker-restart scenario restarts, as its fault operations name them. */
export const restartedBrokers = { persistent: 'mosquitto-persistence-on', inMemory: 'mosquitto-persistence-off' } as const;

export interface RestartOutcome {
  /** The consumer's first connection after the restart found its session. */
  sessionResumed: boolean;
  /** Acknowledged values of the session's topics it never delivered (from its first subscription on). */
  lost: number;
}

/** The outcome of the first restart of that broker; null when it was not restarted or no consumer came back after it. */
export function restartOutcome(history: readonly Operation[], broker: string): RestartOutcome | null {
  const restart = history.find((op): op is FaultOperation => op.f === 'fault' && op.type === 'invoke' && op.kind === 'restart' && op.target === broker);
  if (!restart) return null;
  const back = history.find((op): op is ConnectOperation => op.f === 'connect' && op.type === 'ok' && op.role === 'consumer' && op.time >= restart.time);
  if (!back) return null;
  const topics = new Set(history.flatMap((op) => (op.f === 'subscribe' && op.session === back.session ? [op.stream] : [])));
  // The session's own operations and the values published on its topics: another broker's run is not its to deliver.
  const its = history.filter((op) => ((op.f === 'connect' || op.f === 'subscribe' || op.f === 'deliver') && op.session === back.session) || (op.f === 'publish' && topics.has(op.stream)));
  return { sessionResumed: back.sessionPresent === true, lost: acknowledgedLost(its).lost };
}
