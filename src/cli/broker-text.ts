/** What the broker command says about the broker it started, and while it starts. */
import { relative } from 'node:path';
import { packageRoot } from '../package-root.js';
import type { Served, ServedBridge, ServedLocal, ServedNodes } from '../core/events.js';
import { maskUrls } from '../mqtt/settings.js';
import { commandLine } from './invocation.js';

const counted = (nodes: number): string => `${nodes} node${nodes === 1 ? '' : 's'}`;

/** The line said before nodes start (they take seconds). */
export function startingLine(kind: string, nodes: number): string {
  if (kind.startsWith('rabbitmq')) return `Starting RabbitMQ, ${counted(nodes)} (about 10 s on a first start)...`;
  if (kind === 'ejabberd') return `Starting ejabberd, ${counted(nodes)}...`;
  return `Starting a NATS cluster of ${counted(nodes)} (JetStream elects its leaders: a few seconds)...`;
}

/** How a data folder is named to the user: relative to the project when it is inside it. */
function shownDir(dir: string): string {
  const inside = relative(packageRoot, dir);
  return inside.startsWith('..') ? dir : `${inside}/`;
}

function bridgeLines(at: string, dataDir: string, bridge: ServedBridge): string[] {
  const centre = maskUrls(bridge.centre);
  return [
    `Edge Mosquitto on ${at}, with scripts/mosquitto.conf (persistence in ${shownDir(dataDir)}), bridged to ${centre}: what is published to it goes there (topic ${bridge.topic} out, QoS ${bridge.qos}, cleansession ${String(bridge.cleanSession)}). Ctrl+C stops it.`,
    ...(bridge.centreDataDir === undefined ? [] : [`Central Mosquitto on ${centre}, with scripts/mosquitto.conf (persistence in ${shownDir(bridge.centreDataDir)}).`]),
    'Try:',
    `  ${commandLine('consumer', `--id my-consumer --url ${centre}`)}`,
    `  ${commandLine('producer', `--url mqtt://${at}`)}`,
  ];
}

function localLines(broker: ServedLocal, users: { producer: string; consumer: string }): string[] {
  const at = `localhost:${broker.port}`;
  if (broker.bridge) return bridgeLines(at, broker.dataDir!, broker.bridge);
  if (broker.kind === 'mosquitto' && broker.protected) {
    return [
      `Protected Mosquitto on ${at}, with scripts/mosquitto-protected.conf (data in ${shownDir(broker.dataDir!)}): users ${users.producer} and ${users.consumer}, password from MQTT_PASSWORD. Ctrl+C stops it.`,
    ];
  }
  if (broker.kind === 'mosquitto') {
    return [
      `Mosquitto on ${at}, with scripts/mosquitto.conf (persistence in ${shownDir(broker.dataDir!)}). Ctrl+C stops it.`,
      `For the embedded broker instead: ${commandLine('broker', '--broker embedded')}`,
    ];
  }
  return [
    `The embedded broker (Aedes) on ${at}; sessions live in memory, until it stops. Ctrl+C stops it.`,
    broker.mosquittoInstalled
      ? `For Mosquitto instead (sessions kept on disk): ${commandLine('broker', '')}, without --broker embedded`
      : `For Mosquitto instead: sudo apt-get install mosquitto, then ${commandLine('broker', '')}`,
  ];
}

function nodesLines(cluster: ServedNodes): string[] {
  const speaks4Only = !cluster.protocolVersions.includes(5);
  const version = speaks4Only ? '-V 4 ' : '';
  // A NATS node is one process; a RabbitMQ or ejabberd node is a script and its VM, killed as a group.
  const pidLabel = cluster.kind === 'nats' ? 'pid' : 'process group';
  const protocol = cluster.kind.startsWith('rabbitmq')
    ? 'It speaks MQTT 3.1.1 only (RabbitMQ 3.10). Try:'
    : speaks4Only
      ? 'It speaks MQTT 3.1.1 only. Try:'
      : 'It speaks MQTT 5 and 3.1.1; its anonymous login wants some user name and password, given in the URLs. Try:';
  return [
    `${cluster.description[0]!.toUpperCase()}${cluster.description.slice(1)} on 127.0.0.1, data in ${cluster.dir} (removed when it stops). Ctrl+C stops it.`,
    ...cluster.nodes.map((node) => `  node ${node.index}: ${node.url}  (${pidLabel} ${String(node.pid)})`),
    protocol,
    `  ${commandLine('consumer', `${version}--id my-consumer --url ${cluster.urls.join(',')}`)}`,
    `  ${commandLine('producer', `${version}--url ${[...cluster.urls.slice(1), cluster.urls[0]].join(',')}`)}`,
  ];
}

/** What a started broker says: where it listens, where its data is, how to use it and stop it. */
export function startedLines(broker: Served, users: { producer: string; consumer: string }): string[] {
  return broker.started === 'local' ? localLines(broker, users) : nodesLines(broker);
}

/** The last line, once Ctrl+C stopped it. */
export function stoppedLine(broker: Served): string {
  return `${broker.started === 'local' ? 'Broker' : 'Cluster'} stopped.`;
}
