/**
 * Every kind of broker the project can start, once: what it is, the MQTT versions it speaks, how many
 * nodes it runs, what it needs on this machine, and how to start it. The demo and the broker command
 * both take these names (--broker KIND, --nodes N).
 */
import { UsageError } from '../core/errors.js';
import type { BrokerCluster } from './cluster.js';
import { EjabberdCluster, ejabberdMissing } from './ejabberd.js';
import { findMosquitto, PrivateMosquitto } from './mosquitto.js';
import { findNatsServer, NatsCluster } from './nats.js';
import { findRabbitmqServer, RabbitCluster, type RabbitQueueType } from './rabbitmq.js';

export const brokerKinds = ['embedded', 'mosquitto', 'nats', 'rabbitmq', 'rabbitmq-mirrored', 'rabbitmq-quorum', 'ejabberd'] as const;
export type BrokerKind = (typeof brokerKinds)[number];

/** The most nodes a clustered kind runs on one machine. */
export const maxNodes = 5;

/** A broker the project started: one process (embedded, Mosquitto), or the nodes of a BrokerCluster. */
export interface StartedBroker {
  urls: string[];
  /** The nodes, when they are processes the project can kill, pause and start again (NATS, RabbitMQ, ejabberd). */
  cluster?: BrokerCluster;
  close(): Promise<void>;
}

export interface BrokerEntry {
  kind: BrokerKind;
  /** One line for --help. */
  description: string;
  /** The MQTT versions it speaks: 5, 4 (3.1.1). */
  protocolVersions: ReadonlyArray<4 | 5>;
  /** How many nodes it can run: 1, or 1 to maxNodes. */
  nodes: { min: 1; max: number };
  /** Its nodes are processes of a BrokerCluster, which the scenarios may stop, kill and start again. */
  startsNodes: boolean;
  /** What it needs installed (and root, for ejabberd), when this machine lacks it; undefined when it can start. */
  missing(): string | undefined;
  /** Its nodes can run each in a network namespace of its own, for cutting their links. */
  partitionable: boolean;
  /**
   * Starts it with that many nodes, on free ports of 127.0.0.1 (the embedded broker: port 0 is a free
   * one), or, partitionable on a kind that can, each node in a network namespace of its own.
   */
  start(nodes: number, options?: { partitionable?: boolean }): Promise<StartedBroker>;
}

function ofCluster(cluster: BrokerCluster): StartedBroker {
  return { urls: cluster.urls, cluster, close: () => cluster.dispose() };
}

function rabbitmq(kind: BrokerKind, queueType: RabbitQueueType, description: string): BrokerEntry {
  return {
    kind,
    description,
    protocolVersions: [4],
    nodes: { min: 1, max: maxNodes },
    startsNodes: true,
    partitionable: true,
    missing: () => (findRabbitmqServer() === undefined ? 'RabbitMQ is not installed (Debian, Ubuntu: sudo apt-get install rabbitmq-server)' : undefined),
    start: async (size, options) => ofCluster(await new RabbitCluster({ size, queueType, partitionable: options?.partitionable }).start()),
  };
}

export const catalogue: ReadonlyArray<BrokerEntry> = [
  {
    kind: 'embedded',
    description: 'Aedes, in this process; sessions in memory',
    // Aedes' MQTT 3.1.1 is not what the tutorial shows: the project speaks MQTT 5 to it.
    protocolVersions: [5],
    nodes: { min: 1, max: 1 },
    startsNodes: false,
    partitionable: false,
    missing: () => undefined,
    start: async () => {
      // Aedes is loaded only when it is the broker chosen.
      const { startEmbeddedBroker } = await import('./embedded.js');
      const embedded = await startEmbeddedBroker(0);
      return { urls: [embedded.url], close: () => embedded.close() };
    },
  },
  {
    kind: 'mosquitto',
    description: 'Mosquitto, sessions kept on disk',
    protocolVersions: [5, 4],
    nodes: { min: 1, max: 1 },
    startsNodes: false,
    partitionable: false,
    missing: () => (findMosquitto() === undefined ? 'Mosquitto is not installed (Debian, Ubuntu: sudo apt-get install mosquitto)' : undefined),
    start: async () => {
      const mosquitto = await new PrivateMosquitto().start();
      return { urls: [mosquitto.url], close: () => mosquitto.dispose() };
    },
  },
  {
    kind: 'nats',
    description: 'NATS with JetStream; several nodes form a cluster',
    protocolVersions: [4],
    nodes: { min: 1, max: maxNodes },
    startsNodes: true,
    partitionable: true,
    missing: () => (findNatsServer() === undefined ? 'nats-server is not installed (Debian, Ubuntu: sudo apt-get install nats-server)' : undefined),
    start: async (size, options) => ofCluster(await new NatsCluster({ size, partitionable: options?.partitionable }).start()),
  },
  rabbitmq('rabbitmq', 'classic', 'RabbitMQ with its MQTT plugin, its default classic queues'),
  rabbitmq('rabbitmq-mirrored', 'mirrored', "RabbitMQ, sessions' subscriptions in classic queues mirrored on every node (a policy)"),
  rabbitmq('rabbitmq-quorum', 'quorum', "RabbitMQ, sessions' subscriptions in quorum queues, replicated on every node"),
  {
    kind: 'ejabberd',
    description: 'ejabberd with mod_mqtt; any user name and password log in; runs as the ejabberd user, so needs root',
    protocolVersions: [5, 4],
    nodes: { min: 1, max: maxNodes },
    startsNodes: true,
    partitionable: true,
    missing: () => ejabberdMissing(),
    start: async (size, options) => ofCluster(await new EjabberdCluster({ size, partitionable: options?.partitionable }).start()),
  },
];

export function brokerEntry(kind: BrokerKind): BrokerEntry {
  return catalogue.find((entry) => entry.kind === kind)!;
}

export function isBrokerKind(name: string): name is BrokerKind {
  return (brokerKinds as readonly string[]).includes(name);
}

/** The kinds that run more than one node. */
export function clusteredKinds(): BrokerKind[] {
  return catalogue.filter((entry) => entry.nodes.max > 1).map((entry) => entry.kind);
}

const orList = (words: string[]): string => `${words.slice(0, -1).join(', ')} or ${words.at(-1)!}`;

/** Checks that the kind runs that many nodes; a usage error naming the kinds that do, if not. */
export function checkNodes(kind: BrokerKind, nodes: number): void {
  const entry = brokerEntry(kind);
  if (nodes > entry.nodes.max) {
    throw new UsageError(`--broker ${kind} runs ${entry.nodes.max === 1 ? 'one node' : `at most ${entry.nodes.max} nodes`}: --nodes ${nodes} needs --broker ${orList(clusteredKinds())}`);
  }
}
