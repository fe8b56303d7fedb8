/**
 * A producer's or a consumer's events (its --json output, each line timed as it arrived) as operations
 * of a history: a value sent is a publish invoke, acknowledged its ok, and one still unanswered when the
 * process ended an info (outcome unknown); a value counted while the broker was away (kept, sent once
 * it is back) is invoked when it was kept; a value received is a deliver ok through the node and the
 * session of the connection it came in.
 */
import type { ConsumerEvent, ProducerEvent, SentEvent } from './events.js';
import type { Operation } from './history.js';

export interface TimedEvent {
  /** When the line arrived, ms since the run's start. */
  at: number;
  event: ProducerEvent | ConsumerEvent;
}

export interface CommandRole {
  scenario: string;
  process: string;
  role: 'producer' | 'consumer';
  /** Which node of the cluster listens at a URL; null when none does. */
  nodeAt: (url: string) => number | null;
}

/** The operations of one command's events; endedAt: when it ended, the time of its unknown outcomes. */
export function commandOperations(events: readonly TimedEvent[], who: CommandRole, endedAt: number): Operation[] {
  const { scenario, process, role } = who;
  const operations: Operation[] = [];
  const unanswered = new Map<string, { stream: string; value: number }>();
  let session = '';
  let node: number | null = null;
  // A producer publishes on one topic; a kept value does not name it, the values it sends do.
  const producerTopic = events.map(({ event }) => event).find((event): event is SentEvent => event.event === 'sent')?.topic;
  for (const { at: time, event } of events) {
    switch (event.event) {
      case 'connected':
        session = event.clientId;
        node = who.nodeAt(event.url);
        operations.push({ scenario, process, time, f: 'connect', type: 'ok', role, session, node, sessionPresent: event.sessionPresent });
        break;
      case 'offline':
        operations.push({ scenario, process, time, f: 'connect', type: 'info', role, session, node, sessionPresent: null });
        break;
      case 'subscribed':
        operations.push({ scenario, process, time, f: 'subscribe', type: 'ok', stream: event.topic, session, node });
        break;
      case 'sent':
        unanswered.set(`${event.value}\t${event.topic}`, { stream: event.topic, value: event.value });
        operations.push({ scenario, process, time, f: 'publish', type: 'invoke', stream: event.topic, value: event.value });
        break;
      case 'kept':
        if (producerTopic !== undefined) {
          unanswered.set(`${event.value}\t${producerTopic}`, { stream: producerTopic, value: event.value });
          operations.push({ scenario, process, time, f: 'publish', type: 'invoke', stream: producerTopic, value: event.value });
        }
        break;
      case 'acknowledged':
        unanswered.delete(`${event.value}\t${event.topic}`);
        operations.push({ scenario, process, time, f: 'publish', type: 'ok', stream: event.topic, value: event.value });
        break;
      case 'message':
        // The broker's retained copy is not a value of the run.
        if (!event.retained) operations.push({ scenario, process, time, f: 'deliver', type: 'ok', stream: event.topic, value: event.value, session, node });
        break;
      default:
        break;
    }
  }
  const end = Math.max(endedAt, operations.at(-1)?.time ?? 0);
  for (const { stream, value } of unanswered.values()) operations.push({ scenario, process, time: end, f: 'publish', type: 'info', stream, value });
  return operations;
}

/** Several histories merged into one time line (stable: operations at the same time keep their order). */
export function mergeHistories(...histories: ReadonlyArray<readonly Operation[]>): Operation[] {
  return histories.flat().sort((a, b) => a.time - b.time);
}
