/**
 * The nemesis: every fault a scenario injects. Into a cluster through the node-control protocol (a node
 * killed, paused and resumed, started again, cut off from the others), each said as it happens; into a
 * client's link through a relay (cut, stalled, restored); into a broker of the scenario's own (restarted).
 * Each is timed, so that the checker can measure from the fault to the first value after it. What it did
 * to a cluster is remembered with the cluster, so that the next scenario starts from every node running,
 * awake and connected, whatever the one before it left. Every fault is an operation of the history
 * (invoke as it begins, ok once done, fail when it could not be done).
 */
import type { PrivateMosquitto } from '../brokers/mosquitto.js';
import { type ControlledCluster, type NodeAction, type NodeControl } from '../brokers/node-control.js';
import { commandLine } from '../cli/invocation.js';
import { formatSeconds } from '../cli/output.js';
import type { FaultKind } from '../core/history.js';
import { HistoryRecorder } from './history-recorder.js';
import type { LinkProxy } from './link-proxy.js';
import type { ChildCommand } from './processes.js';
import { historyOf, type ScenarioContext } from './story.js';

/** How long the nodes of a cluster restarted together may take to accept sessions again. */
const restartAllTimeoutMs = 240_000;

/** The faults in force on a cluster, by node index. */
interface FaultsInForce {
  down: Set<number>;
  paused: Set<number>;
  cut: Set<number>;
}

/** Where a fault struck, as its operations say: a node (or none), a client's link, when a schedule wanted it. */
interface Struck {
  node: number | null;
  target?: string;
  planned?: number;
}

const inForce = new WeakMap<ControlledCluster, FaultsInForce>();

export class Nemesis {
  private readonly faults: FaultsInForce;

  /** cluster: none for a scenario whose faults strike only links, clients, or brokers of its own. */
  constructor(
    private readonly cluster: ControlledCluster | undefined,
    private readonly say: (line: string) => void,
    readonly history: HistoryRecorder = new HistoryRecorder('nemesis'),
  ) {
    let faults = cluster && inForce.get(cluster);
    if (cluster) history.knowNodes((url) => this.nodeAt(url) ?? null);
    if (!faults) {
      faults = { down: new Set(), paused: new Set(), cut: new Set() };
      if (cluster) inForce.set(cluster, faults);
    }
    this.faults = faults;
  }

  /** The nemesis of a scenario that needs the cluster; a clear error when the runner gave it none. */
  static of(context: ScenarioContext): Nemesis {
    if (!context.cluster) throw new Error(`this scenario runs on a cluster that the demo starts (${commandLine('demo', '--cluster')}) or that --nodes FILE describes`);
    return new Nemesis(context.cluster, context.say, historyOf(context));
  }

  /** The nemesis of a scenario whose faults strike a client's link or a broker of its own: no cluster needed. */
  static withoutCluster(context: ScenarioContext): Nemesis {
    return new Nemesis(undefined, context.say, historyOf(context));
  }

  /** Every node's index, 1-based. */
  get indexes(): number[] {
    return this.nodes.nodes.map((_, i) => i + 1);
  }

  /** The node's MQTT URL, or several joined as --url takes them. */
  urls(...indexes: number[]): string {
    return indexes.map((index) => this.node(index).url).join(',');
  }

  /** Which node of the cluster listens at this URL (as a 'connected' event names it, its password masked). */
  nodeAt(url: unknown): number | undefined {
    if (typeof url !== 'string') return undefined;
    const at = (text: string): string => new URL(text).host;
    const found = this.nodes.nodes.findIndex((node) => at(node.url) === at(url));
    return found < 0 ? undefined : found + 1;
  }

  /** Every node running, awake and connected: where each scenario starts, whatever the one before it left. */
  async heal(): Promise<void> {
    await this.recorded('heal', { node: null }, async () => {
      for (const index of [...this.faults.paused]) await this.act(index, 'resume');
      for (const index of [...this.faults.cut]) await this.act(index, 'heal');
      for (const index of [...this.faults.down]) await this.act(index, 'start');
      // A node just resumed or healed catches up before the replicated state has all its leaders again.
      await this.nodes.waitUntilReady(60_000);
    });
  }

  /** A crash; returns the moment of the fault. */
  async kill(index: number, planned?: number): Promise<number> {
    const at = Date.now();
    await this.recorded('kill', { node: index, planned }, () => this.act(index, 'kill'));
    this.say(`The nemesis kills node ${index} (${this.means('kill', 'SIGKILL')}).`);
    return at;
  }

  /** Freezes the node: its sockets stay open and nothing answers; returns the moment of the fault. */
  async pause(index: number, planned?: number): Promise<number> {
    const at = Date.now();
    await this.recorded('pause', { node: index, planned }, () => this.act(index, 'pause'));
    this.say(`The nemesis pauses node ${index} (${this.means('pause', 'SIGSTOP')}).`);
    return at;
  }

  async resume(index: number, planned?: number): Promise<void> {
    await this.recorded('resume', { node: index, planned }, () => this.act(index, 'resume'));
    this.say(`The nemesis resumes node ${index} (${this.means('resume', 'SIGCONT')}).`);
  }

  /** Cuts the node off from the other nodes, the clients still reaching it; returns the moment of the fault. */
  async isolate(index: number, planned?: number): Promise<number> {
    const at = Date.now();
    await this.recorded('isolate', { node: index, planned }, () => this.act(index, 'isolate'));
    this.say(`The nemesis cuts node ${index} off from the other nodes; the clients still reach it.`);
    return at;
  }

  /** Cuts the node off from the other nodes and from the clients; returns the moment of the fault. */
  async disconnect(index: number, planned?: number): Promise<number> {
    const at = Date.now();
    await this.recorded('disconnect', { node: index, planned }, () => this.act(index, 'disconnect'));
    this.say(`The nemesis cuts node ${index} off from the other nodes and from the clients.`);
    return at;
  }

  /** Undoes the cuts of a node; returns the moment. */
  async healLinks(index: number, planned?: number): Promise<number> {
    const at = Date.now();
    await this.recorded('heal', { node: index, planned }, () => this.act(index, 'heal'));
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
    await this.recorded('restart-all', { node: null }, async () => {
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
    await this.recorded('start', { node: index, planned }, () => this.act(index, 'start'));
    this.say(`The nemesis starts node ${index} again: it takes sessions after ${formatSeconds(Date.now() - at)}.`);
    return at;
  }

  /** Half-opens a client's link through the relay: the sockets stay open and nothing gets through; returns the moment of the fault. */
  async stall(link: LinkProxy, client: ChildCommand): Promise<number> {
    return this.onLink('stall', client, () => link.stall());
  }

  /** Closes a client's link through the relay and refuses it until restore(): the broker is gone for it; returns the moment of the fault. */
  async cut(link: LinkProxy, client: ChildCommand): Promise<number> {
    return this.onLink('cut', client, () => link.cut());
  }

  /** The relay carries a client's link again; returns the moment. */
  async restore(link: LinkProxy, client: ChildCommand): Promise<number> {
    return this.onLink('restore', client, () => link.restore());
  }

  /** A broker of the scenario's own (named as the history names it) stopped cleanly (SIGTERM) and started again with its data; returns the moment it was stopped. */
  async restartBroker(broker: PrivateMosquitto, name: string): Promise<number> {
    const at = Date.now();
    await this.recorded('restart', { node: null, target: name }, () => broker.restart());
    return at;
  }

  /** Stops a client as Ctrl+C does (SIGINT): it closes cleanly and the broker keeps its session; returns the moment. */
  async stopClient(client: ChildCommand): Promise<number> {
    const at = Date.now();
    await this.recorded('stop', { node: null, target: this.history.processOf(client) }, () => client.interrupt());
    return at;
  }

  private async onLink(kind: 'stall' | 'cut' | 'restore', client: ChildCommand, action: () => void): Promise<number> {
    const at = Date.now();
    await this.recorded(kind, { node: null, target: this.history.processOf(client) }, async () => action());
    return at;
  }

  private node(index: number): NodeControl {
    const node = this.nodes.nodes[index - 1];
    if (!node) throw new Error(`there is no node ${index} in a cluster of ${this.nodes.nodes.length}`);
    return node;
  }

  /** How an action is done, for the line that says it: the signal, or the user's command. */
  private means(action: NodeAction, signal: string): string {
    return this.nodes.byCommands ? `its ${action} command` : signal;
  }

  /** The cluster its node faults strike; an error for a nemesis made without one. */
  private get nodes(): ControlledCluster {
    if (!this.cluster) throw new Error('this nemesis strikes no cluster: it was made for links, clients and brokers of the scenario');
    return this.cluster;
  }

  /** A fault as operations of the history around the action: invoke, then ok, or fail when it threw. */
  private async recorded<T>(kind: FaultKind, struck: Struck, action: () => Promise<T>): Promise<T> {
    const { node, planned, target } = struck;
    this.history.fault('invoke', kind, node, planned, target);
    try {
      const result = await action();
      this.history.fault('ok', kind, node, planned, target);
      return result;
    } catch (error) {
      this.history.fault('fail', kind, node, planned, target);
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
