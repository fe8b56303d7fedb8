/**
 * The article's claims as runnable scenarios, one file each under scenarios/: each runs the real
 * producer and consumer against a broker, tells what happens, and judges what it observed.
 */
import { brokerRestart } from './scenarios/broker-restart.js';
import { cleanSession } from './scenarios/clean-session.js';
import { group } from './scenarios/group.js';
import { keepalive } from './scenarios/keepalive.js';
import { offlineProducer } from './scenarios/offline-producer.js';
import { persistent } from './scenarios/persistent.js';
import { qos0 } from './scenarios/qos0.js';
import { queueLimit } from './scenarios/queue-limit.js';
import { sessionExpiry } from './scenarios/session-expiry.js';
import type { Scenario } from './story.js';

export const scenarios: Scenario[] = [persistent, cleanSession, qos0, sessionExpiry, brokerRestart, queueLimit, offlineProducer, keepalive, group];

export function findScenario(name: string): Scenario | undefined {
  return scenarios.find((scenario) => scenario.name === name);
}
