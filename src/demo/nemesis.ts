/**
 * The nemesis of the fault scenarios: the faults injected into a cluster through the node-control
 * protocol (a node killed, paused and resumed, started again, cut off from the others), each said as it
 * happens and timed, so that the checker can measure from the fault to the first value after it. What
 * it did to a cluster is remembered with the cluster, so that the next scenario starts from every node
 * running, awake and connected, whatever the one before it left. Every fault is an operation of the
 * history (invoke as it begins, ok once done, fail when it could not be done).
 */
import { type ControlledCluster, type NodeAction, type NodeControl } from '../brokers/node-control.js';
import { commandLine } from '../cli/invocation.js';
import { formatSeconds } from '../cli/output.js';
import type { FaultKind } from '../core/history.js';
import { HistoryRecorder } from './history-recorder.js';
import { historyOf, type ScenarioContext } from './story.js';

/** How long the nodes of a cluster restarted together may take to accept sessions again. */
const restartAllTimeoutMs = 240_000;

/** The faults in force on a cluster, by node index. */
interface FaultsInForce {
  down: Set<number>;
  paused: Set<number>;
  cut: Set<number>;
}

const inForce = new WeakMap<ControlledCluster, FaultsInForce>();

export class Nemesis {
  private readonly faults: FaultsInForce;

  constructor(
    readonly cluster: ControlledCluster,
    private readonly say: (line: string) => void,
    readonly history: HistoryRecorder = new HistoryRecorder('nemesis'),
  ) {
    history.knowNodes((url) => this.nodeAt(url) ?? null);
    let faults = inForce.get(cluster);
    if (!faults) inForce.set(cluster, (faults = { down: new Set(), paused: new Set(), cut: new Set() }));
    this.faults = faults;
  }

  /** The nemesis of a scenario that needs the cluster; a clear error when the runner gave it none. */
  static of(context: ScenarioContext): Nemesis {
    if (!context.cluster) throw new Error(`this scenario runs on a cluster that the demo starts (${commandLine('demo', '--cluster')}) or that --nodes FILE describes`);
    return new Nemesis(context.cluster, context.say, historyOf(context));
  }

  /** Every node's index, 1-based. */
  get indexes(): number[] {
    return this.cluster.nodes.map((_, i) => i + 1);
  }

  /** The node's MQTT URL, or several joined as --url takes them. */
  urls(...indexes: number[]): string {
    return indexes.map((index) => this.node(index).url).join(',');
  }

  /** Which node of the cluster listens at this URL (as a 'connected' event names it, its password masked). */
  nodeAt(url: unknown): number | undefined {
    if (typeof url !== 'string') return undefined;
    const at = (text: string): string => new URL(text).host;
    const found = this.cluster.nodes.findIndex((node) => at(node.url) === at(url));
    return found < 0 ? undefined : found + 1;
  }

  /** Every node running, awake and connected: where each scenario starts, whatever the one before it left. */
  async heal(): Promise<void> {
    await this.recorded('heal', null, async () => {
      for (const index of [...this.faults.paused]) await this.act(index, 'resume');
      for (const index of [...this.faults.cut]) await this.act(index, 'heal');
      for (const index of [...this.faults.down]) await this.act(index, 'start');
      // A node just resumed or healed catches up before the replicated state has all its leaders again.
      await this.cluster.waitUntilReady(60_000);
    });
  }

  /** A crash; returns the moment of the fault. */
  async kill(index: number, planned?: number): Promise<number> {
    const at = Date.now();
    await this.recorded('kill', index, () => this.act(index, 'kill'), planned);
    this.say(`The nemesis kills node ${index} (${this.means('kill', 'SIGKILL')}).`);
    return at;
  }

  /** Freezes the node: its sockets stay open and nothing answers; returns the moment of the fault. */
  async pause(index: number, planned?: number): Promise<number> {
    const at = Date.now();
    await this.recorded('pause', index, () => this.act(index, 'pause'), planned);
    this.say(`The nemesis pauses node ${index} (${this.means('pause', 'SIGSTOP')}).`);
    return at;
  }

  async resume(index: number, planned?: number): Promise<void> {
    await this.recorded('resume', index, () => this.act(index, 'resume'), planned);
    this.say(`The nemesis resumes node ${index} (${this.means('resume', 'SIGCONT')}).`);
  }

  /** Cuts the node off from the other nodes, the clients still reaching it; returns the moment of the fault. */
  async isolate(index: number, planned?: number): Promise<number> {
    const at = Date.now();
    await this.recorded('isolate', index, () => this.act(index, 'isolate'), planned);
    this.say(`The nemesis cuts node ${index} off from the other nodes; the clients still reach it.`);
    return at;
  }

  /** Cuts the node off from the other nodes and from the clients; returns the moment of the fault. */
  async disconnect(index: number, planned?: number): Promise<number> {
    const at = Date.now();
    await this.recorded('disconnect', index, () => this.act(index, 'disconnect'), planned);
    this.say(`The nemesis cuts node ${index} off from the other nodes and from the clients.`);
    return at;
  }

  /** Undoes the cuts of a node; returns the moment. */
  async healLinks(index: number, planned?: number): Promise<number> {
    const at = Date.now();
    await this.recorded('heal', index, () => this.act(index, 'heal'), planned);
    this.say(`The nemesis heals node ${index}'s links.`);
    return at;
  }

  /**
   * A clean restart of the whole broker: every node stopped cleanly, then all started together with
   * their data (the nodes of a cluster wait for each other as they boot); returns the moment they were
   * started.
   */
  async restartAll(): Promise<number> {
    const indexes = this.indexes;
    let at = Date.now();
    await this.recorded('restart-all', null, async () => {
      for (const index of [...indexes].reverse()) await this.act(index, 'stop');
      const stopped = this.means('stop', 'SIGTERM');
      this.say(indexes.length === 1 ? `The broker is stopped cleanly (${stopped}).` : `Every node is stopped cleanly (${stopped}), node ${indexes.length} first.`);
      at = Date.now();
      // Long enough for RabbitMQ 3.10's cluster, whose MQTT client-id tracker (Raft) refuses every
      // connection for about 100 s after all its nodes restart.
      await Promise.all(indexes.map((index) => this.act(index, 'start', restartAllTimeoutMs)));
    });
    this.say(`${indexes.length === 1 ? 'It is' : 'They are'} started again with ${indexes.length === 1 ? 'its' : 'their'} data: sessions are taken after ${formatSeconds(Date.now() - at)}.`);
    return at;
  }

  /** Starts a killed node again with its data, and waits until it takes sessions; returns the moment it was started. */
  async restart(index: number, planned?: number): Promise<number> {
    const at = Date.now();
    await this.recorded('start', index, () => this.act(index, 'start'), planned);
    this.say(`The nemesis starts node ${index} again: it takes sessions after ${formatSeconds(Date.now() - at)}.`);
    return at;
  }

  private node(index: number): NodeControl {
    const node = this.cluster.nodes[index - 1];
    if (!node) throw new Error(`there is no node ${index} in a cluster of ${this.cluster.nodes.length}`);
    return node;
  }

  /** How an action is done, for the line that says it: the signal, or the user's command. */
  private means(action: NodeAction, signal: string): string {
    return this.cluster.byCommands ? `its ${action} command` : signal;
  }

  /** A fault as operations of the history around the action: invoke, then ok, or fail when it threw. */
  private async recorded<T>(kind: FaultKind, node: number | null, action: () => Promise<T>, planned?: number): Promise<T> {
    this.history.fault('invoke', kind, node, planned);
    try {
      const result = await action();
      this.history.fault('ok', kind, node, planned);
      return result;
    } catch (error) {
      this.history.fault('fail', kind, node, planned);
      throw error;
    }
  }

  /** Runs one action on a node and remembers the fault it leaves in force. */
  private async act(index: number, action: NodeAction, readyTimeoutMs?: number): Promise<void> {
    const node = this.node(index);
    if (node[action] === undefined) throw new Error(`node ${index} has no ${action} action`);
    const { down, paused, cut } = this.faults;
    if (action === 'kill' || action === 'stop') {
      await node[action]!();
      down.add(index);
      paused.delete(index);
    } else if (action === 'start') {
      await node.start!(readyTimeoutMs);
      down.delete(index);
    } else if (action === 'pause' || action === 'resume') {
      if (action === 'pause') paused.add(index);
      await node[action]!();
      if (action === 'resume') paused.delete(index);
    } else {
      if (action !== 'heal') cut.add(index);
      await node[action]!();
      if (action === 'heal') cut.delete(index);
    }
  }
}
