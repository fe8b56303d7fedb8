/**
 * The nemesis of the fault scenarios: the faults injected into a cluster the project started (a node
 * SIGKILLed, paused with SIGSTOP and resumed, started again), each said as it happens and timed, so that
 * the checker can measure from the fault to the first value after it. Every fault is an operation of
 * the history (invoke as it begins, ok once done, fail when it could not be done).
 */
import type { BrokerCluster } from '../brokers/cluster.js';
import { commandLine } from '../cli/invocation.js';
import { formatSeconds } from '../cli/output.js';
import type { FaultKind } from '../core/history.js';
import { HistoryRecorder } from './history-recorder.js';
import { historyOf, type ScenarioContext } from './story.js';

/** How long the nodes of a cluster restarted together may take to accept sessions again. */
const restartAllTimeoutMs = 240_000;

export class Nemesis {
  constructor(
    readonly cluster: BrokerCluster,
    private readonly say: (line: string) => void,
    readonly history: HistoryRecorder = new HistoryRecorder('nemesis'),
  ) {
    history.knowNodes((url) => this.nodeAt(url) ?? null);
  }

  /** The nemesis of a scenario that needs the cluster; a clear error when the runner gave it none. */
  static of(context: ScenarioContext): Nemesis {
    if (!context.cluster) throw new Error(`this scenario runs on a cluster that the demo starts (${commandLine('demo', '--cluster')})`);
    return new Nemesis(context.cluster, context.say, historyOf(context));
  }

  /** A fault as operations of the history around the action: invoke, then ok, or fail when it threw. */
  private async act<T>(kind: FaultKind, node: number | null, action: () => T | Promise<T>, planned?: number): Promise<T> {
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

  /** The node's MQTT URL, or several joined as --url takes them. */
  urls(...indexes: number[]): string {
    return indexes.map((index) => this.cluster.node(index).url).join(',');
  }

  /** Which node of the cluster listens at this URL (as a 'connected' event names it, its password masked). */
  nodeAt(url: unknown): number | undefined {
    if (typeof url !== 'string') return undefined;
    const at = (text: string): string => new URL(text).host;
    return this.cluster.nodes.find((node) => at(node.url) === at(url))?.index;
  }

  /** Every node running and awake: where each scenario starts, whatever the one before it left. */
  async heal(): Promise<void> {
    await this.act('heal', null, async () => {
      for (const node of this.cluster.nodes) node.resume();
      for (const node of this.cluster.nodes) if (!node.running) await this.cluster.restart(node.index);
      // A node just resumed catches up before the replicated state has all its leaders again.
      await this.cluster.waitUntilReady(60_000);
    });
  }

  /** A crash (SIGKILL); returns the moment of the fault. planned: when a schedule wanted it (ms since the run's start). */
  async kill(index: number, planned?: number): Promise<number> {
    const at = Date.now();
    await this.act('kill', index, () => this.cluster.node(index).kill(), planned);
    this.say(`The nemesis kills node ${index} (SIGKILL).`);
    return at;
  }

  /** Freezes the node (SIGSTOP): its sockets stay open and nothing answers; returns the moment of the fault. */
  async pause(index: number, planned?: number): Promise<number> {
    const at = Date.now();
    await this.act('pause', index, () => this.cluster.node(index).pause(), planned);
    this.say(`The nemesis pauses node ${index} (SIGSTOP).`);
    return at;
  }

  async resume(index: number, planned?: number): Promise<void> {
    await this.act('resume', index, () => this.cluster.node(index).resume(), planned);
    this.say(`The nemesis resumes node ${index} (SIGCONT).`);
  }

  /**
   * A clean restart of the whole broker: every node stopped cleanly (SIGTERM), then all started together
   * with their data (the nodes of a cluster wait for each other as they boot); returns the moment they
   * were started.
   */
  async restartAll(): Promise<number> {
    const nodes = this.cluster.nodes;
    let at = Date.now();
    await this.act('restart-all', null, async () => {
      for (const node of [...nodes].reverse()) await node.stop();
      this.say(nodes.length === 1 ? 'The broker is stopped cleanly (SIGTERM).' : `Every node is stopped cleanly (SIGTERM), node ${nodes.length} first.`);
      at = Date.now();
      // Long enough for RabbitMQ 3.10's cluster, whose MQTT client-id tracker (Raft) refuses every
      // connection for about 100 s after all its nodes restart.
      await Promise.all(nodes.map((node) => this.cluster.restart(node.index, restartAllTimeoutMs)));
    });
    this.say(`${nodes.length === 1 ? 'It is' : 'They are'} started again with ${nodes.length === 1 ? 'its' : 'their'} data: sessions are taken after ${formatSeconds(Date.now() - at)}.`);
    return at;
  }

  /** Starts a killed node again with its data, and waits until it takes sessions; returns the moment it was started. */
  async restart(index: number, planned?: number): Promise<number> {
    const at = Date.now();
    await this.act('start', index, () => this.cluster.restart(index), planned);
    this.say(`The nemesis starts node ${index} again: it takes sessions after ${formatSeconds(Date.now() - at)}.`);
    return at;
  }
}
