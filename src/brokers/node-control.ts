/**
 * The one protocol every faulted cluster answers, whether the project started it or the user runs it
 * (`demo --nodes FILE`): a list of nodes, each with the URL clients connect to and the actions it
 * supports. A fault scenario names the actions it needs; a cluster that lacks one cannot run it.
 */

/** Every action a node may support, in the order people read them. */
export const nodeActions = ['kill', 'start', 'stop', 'pause', 'resume', 'isolate', 'disconnect', 'heal'] as const;

export type NodeAction = (typeof nodeActions)[number];

export interface NodeControl {
  /** Where clients connect (mqtt://host:port). */
  readonly url: string;
  /** A crash: SIGKILL, a container killed. */
  kill?(): Promise<void>;
  /** Starts it again with its data; resolves once it takes sessions (within readyTimeoutMs when given). */
  start?(readyTimeoutMs?: number): Promise<void>;
  /** A clean stop (SIGTERM). */
  stop?(): Promise<void>;
  /** Freezes it: its sockets stay open and nothing answers (SIGSTOP, docker pause). */
  pause?(): Promise<void>;
  resume?(): Promise<void>;
  /** Cuts it off from the other nodes; clients still reach it. */
  isolate?(): Promise<void>;
  /** Cuts it off from the other nodes and from the clients: its network unplugged. */
  disconnect?(): Promise<void>;
  /** Undoes every cut of this node. */
  heal?(): Promise<void>;
}

export interface ControlledCluster {
  /** What it is, for a story's first line ("a NATS cluster of 3 nodes"). */
  readonly description: string;
  readonly nodes: readonly NodeControl[];
  /** Its actions are the user's commands (--nodes FILE), not signals the project sends. */
  readonly byCommands?: boolean;
  /** Why an action its nodes lack is missing, when there is more to say than its absence. */
  readonly unavailable?: Partial<Record<NodeAction, string>>;
  /** Waits until every node that runs accepts a session (a node just resumed or healed may not yet). */
  waitUntilReady(timeoutMs?: number): Promise<void>;
}

/** Why the cluster cannot take these actions (the first one missing), or undefined when it can. */
export function whyNot(cluster: ControlledCluster, needed: readonly NodeAction[]): string | undefined {
  const [missing] = missingActions(cluster, needed);
  if (missing === undefined) return undefined;
  return cluster.unavailable?.[missing] ?? `its nodes have no ${missing} action`;
}

/** The actions of `needed` that some node of the cluster lacks, in the protocol's order. */
export function missingActions(cluster: ControlledCluster, needed: readonly NodeAction[]): NodeAction[] {
  return nodeActions.filter((action) => needed.includes(action) && cluster.nodes.some((node) => node[action] === undefined));
}
