/**
 * What the fault scenarios need of a broker cluster the project starts, whatever the broker: numbered
 * nodes that can be SIGKILLed, paused, resumed and started again with their data, and, when each node
 * runs in a network namespace of its own, links that can be cut. controlOf() gives it as the protocol
 * every faulted cluster answers (node-control.ts).
 */
import type { ControlledCluster, NodeControl } from './node-control.js';

export interface ClusterNode {
  /** 1-based, as people count nodes. */
  readonly index: number;
  readonly url: string;
  readonly running: boolean;
  /** To signal it by hand: the process (NATS) or the process group of the node's script and VM (RabbitMQ, ejabberd). */
  readonly pid: number | undefined;
  kill(): Promise<void>;
  stop(): Promise<void>;
  pause(): void;
  resume(): void;
}

/** The links of a cluster whose nodes each run in a network namespace of their own. */
export interface ClusterLinks {
  /** Cuts node index off from the other nodes, or (clientsToo) from everything. */
  cut(index: number, clientsToo: boolean): Promise<void>;
  /** Undoes every cut of node index. */
  heal(index: number): Promise<void>;
}

export interface BrokerCluster {
  /** What it is, for a story's first line ("a RabbitMQ cluster of 3 nodes"). */
  readonly description: string;
  readonly nodes: ClusterNode[];
  readonly urls: string[];
  /** Where its nodes keep their config and data. */
  readonly dir: string;
  /** Present when its links can be cut (each node in a network namespace of its own). */
  readonly links?: ClusterLinks;
  node(index: number): ClusterNode;
  /** Starts a node that was killed or stopped, with its data as it left it, and waits until it takes sessions. */
  restart(index: number, readyTimeoutMs?: number): Promise<void>;
  /** Waits until every running node accepts a session and grants a QoS 1 subscription (a node just resumed from a pause may not yet). */
  waitUntilReady(timeoutMs?: number): Promise<void>;
  dispose(): Promise<void>;
}

/** One control per cluster: the faults the nemesis leaves in force are remembered with it. */
const controls = new WeakMap<BrokerCluster, ControlledCluster>();

/**
 * The cluster as the fault protocol sees it: each node's processes, and its links when they can be cut
 * (whyNoLinks says why they cannot, when they cannot). The same object every time for one cluster.
 */
export function controlOf(cluster: BrokerCluster, whyNoLinks = 'its nodes do not run in network namespaces'): ControlledCluster {
  const known = controls.get(cluster);
  if (known) return known;
  const nodes = cluster.nodes.map((node): NodeControl => {
    const links = cluster.links;
    return {
      url: node.url,
      kill: () => node.kill(),
      start: (readyTimeoutMs) => cluster.restart(node.index, readyTimeoutMs),
      stop: () => node.stop(),
      pause: async () => node.pause(),
      resume: async () => node.resume(),
      ...(links
        ? { isolate: () => links.cut(node.index, false), disconnect: () => links.cut(node.index, true), heal: () => links.heal(node.index) }
        : {}),
    };
  });
  const unavailable = cluster.links ? undefined : { isolate: whyNoLinks, disconnect: whyNoLinks, heal: whyNoLinks };
  const control: ControlledCluster = { description: cluster.description, nodes, unavailable, waitUntilReady: (timeoutMs) => cluster.waitUntilReady(timeoutMs) };
  controls.set(cluster, control);
  return control;
}
