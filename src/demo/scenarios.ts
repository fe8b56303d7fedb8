/**
 * The article's claims as runnable scenarios, one file each under scenarios/: each runs the real
 * producer and consumer against a broker, tells what happens, and judges what it observed. The fault
 * scenarios (scenarios/cluster/) run on a NATS cluster that the demo starts, with the nemesis injecting
 * the faults and the checker judging what was acknowledged against what was delivered.
 */
import { disconnectProducerNode } from './scenarios/cluster/disconnect-producer-node.js';
import { killConsumerNode } from './scenarios/cluster/kill-consumer-node.js';
import { killProducerNode } from './scenarios/cluster/kill-producer-node.js';
import { killWhileAway } from './scenarios/cluster/kill-while-away.js';
import { partitionConsumerNode } from './scenarios/cluster/partition-consumer-node.js';
import { partitionProducerNode } from './scenarios/cluster/partition-producer-node.js';
import { pauseNode } from './scenarios/cluster/pause-node.js';
import { restartNode } from './scenarios/cluster/restart-node.js';
import { bridge } from './scenarios/bridge.js';
import { brokerRestart } from './scenarios/broker-restart.js';
import { cleanRestart } from './scenarios/clean-restart.js';
import { cleanSession } from './scenarios/clean-session.js';
import { group } from './scenarios/group.js';
import { keepalive } from './scenarios/keepalive.js';
import { offlineProducer } from './scenarios/offline-producer.js';
import { persistent } from './scenarios/persistent.js';
import { qos0 } from './scenarios/qos0.js';
import { queueLimit } from './scenarios/queue-limit.js';
import { sessionExpiry } from './scenarios/session-expiry.js';
import type { Scenario } from './story.js';

export const scenarios: Scenario[] = [persistent, cleanSession, qos0, sessionExpiry, brokerRestart, cleanRestart, queueLimit, offlineProducer, bridge, keepalive, group];

/** Faults injected into a cluster of 3 nodes (`--cluster`, `--nodes FILE`): not in `--all`, which is the article on one broker. */
export const clusterScenarios: Scenario[] = [
  killConsumerNode,
  killWhileAway,
  pauseNode,
  restartNode,
  killProducerNode,
  partitionConsumerNode,
  partitionProducerNode,
  disconnectProducerNode,
];

export function findScenario(name: string): Scenario | undefined {
  return [...scenarios, ...clusterScenarios].find((scenario) => scenario.name === name);
}
