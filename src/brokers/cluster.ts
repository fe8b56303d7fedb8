/**
 * What the fault scenarios need of a broker cluster the project starts, whatever the broker: numbered
 * nodes that can be SIGKILLed, paused, resumed and started again with their data.
 */
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

export interface BrokerCluster {
  /** What it is, for a story's first line ("a RabbitMQ cluster of 3 nodes"). */
  readonly description: string;
  readonly nodes: ClusterNode[];
  readonly urls: string[];
  /** Where its nodes keep their config and data. */
  readonly dir: string;
  node(index: number): ClusterNode;
  /** Starts a node that was killed or stopped, with its data as it left it, and waits until it takes sessions. */
  restart(index: number, readyTimeoutMs?: number): Promise<void>;
  /** Waits until every running node accepts a session and grants a QoS 1 subscription (a node just resumed from a pause may not yet). */
  waitUntilReady(timeoutMs?: number): Promise<void>;
  dispose(): Promise<void>;
}
