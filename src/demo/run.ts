/** Runs the chosen scenarios one after another against one broker and prints each story and verdict. */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { brokerEntry, type BrokerKind } from '../brokers/catalogue.js';
import { controlOf, type BrokerCluster } from '../brokers/cluster.js';
import { whyNot, type ControlledCluster } from '../brokers/node-control.js';
import { privateNetworkMissing } from '../brokers/private-network.js';
import { colorLevel, summaryLines } from '../cli/output.js';
import type { Summary } from '../core/events.js';
import { CliError, UsageError } from '../core/errors.js';
import { historyLines, type Operation } from '../core/history.js';
import { HistoryRecorder } from './history-recorder.js';
import { maskUrls } from '../mqtt/settings.js';
import { Nemesis } from './nemesis.js';
import { readNodesFile } from './nodes-file.js';
import { ChildCommand } from './processes.js';
import { endRememberedSessions } from './sessions.js';
import { mosquittoAvailable, stopScenarioBrokers, type BrokerTarget, type Outcome, type Scenario } from './story.js';

/** The fewest nodes the fault scenarios run on (one killed or paused, a majority left), and the nodes --cluster starts by default. */
export const faultClusterNodes = 3;

export interface DemoBroker {
  url: string;
  description: string;
  target: BrokerTarget;
  /** The nodes, when the project started them (NATS, RabbitMQ, ejabberd): on 3 or more of them the fault scenarios run too. */
  cluster?: BrokerCluster;
  /** The nodes as the fault scenarios drive them: the cluster the demo started, or the one --nodes FILE describes. */
  control?: ControlledCluster;
  close: () => Promise<void>;
}

/** The fault scenarios run on the target's own nodes: a cluster the demo started, of 3 nodes or more, or the user's (--nodes FILE). */
export function faultsRunOn(target: BrokerTarget): boolean {
  if (target.kind === 'nodes') return true;
  return target.kind !== 'url' && brokerEntry(target.kind).startsNodes && target.nodes >= faultClusterNodes;
}

/** The cluster the demo started, as the fault scenarios drive it; why its links cannot be cut, when they cannot. */
function controlOfStarted(kind: BrokerKind, cluster: BrokerCluster): ControlledCluster {
  const why = brokerEntry(kind).partitionable ? (privateNetworkMissing() ?? 'its nodes were started without network namespaces') : `the ${kind} nodes the demo starts do not run in network namespaces`;
  return controlOf(cluster, why);
}

/** Starts the cluster with each node in a network namespace when the kind can and this machine lets it. */
function partitionableHere(kind: BrokerKind, wanted: boolean): boolean {
  return wanted && brokerEntry(kind).partitionable && privateNetworkMissing() === undefined;
}

/** The MQTT version the scenarios speak to a kind: the one asked for, or 3.1.1 on a kind that speaks nothing else. */
export function spokenVersion(kind: BrokerKind, asked: 4 | 5): 4 | 5 {
  const spoken = brokerEntry(kind).protocolVersions;
  if (spoken.includes(asked)) return asked;
  if (!spoken.includes(5)) return 4;
  throw new UsageError(`the ${kind} broker is shown on MQTT 5 only: -V 4 needs another --broker (mosquitto, nats, rabbitmq, ejabberd...)`);
}

/**
 * The broker the scenarios share: one already running (url), or one of the catalogue with that many
 * nodes. A kind that speaks only MQTT 3.1.1 (NATS, RabbitMQ 3.10) has its scenarios use it.
 */
export async function startDemoBroker(kind: BrokerKind, nodes: number, url?: string, protocolVersion: 4 | 5 = 5, partitionable = false): Promise<DemoBroker> {
  if (url) return { url, description: 'the running broker', target: { kind: 'url', nodes: 1, protocolVersion }, close: async () => {} };
  const entry = brokerEntry(kind);
  const version = spokenVersion(kind, protocolVersion);
  const only311 = !entry.protocolVersions.includes(5);
  const missing = entry.missing();
  if (missing) throw new CliError(`--broker ${kind}: ${missing}`);
  const started = await entry.start(nodes, { partitionable: partitionableHere(kind, partitionable) });
  const spoken = only311 ? 'MQTT 3.1.1 only: the commands run with -V 4' : `MQTT ${version === 4 ? '3.1.1' : '5'}`;
  const description =
    kind === 'embedded' ? 'the embedded broker (Aedes)' : kind === 'mosquitto' ? `a private Mosquitto (${spoken})` : `${started.cluster!.description} (${spoken})`;
  const control = started.cluster && controlOfStarted(kind, started.cluster);
  return { url: started.urls.join(','), description, target: { kind, nodes, protocolVersion: version }, cluster: started.cluster, control, close: () => started.close() };
}

/** The user's own cluster, as --nodes FILE describes it; nothing to start or stop. */
export function nodesFileBroker(file: string, protocolVersion: 4 | 5): DemoBroker {
  const control = readNodesFile(file);
  const urls = control.nodes.map((node) => node.url).join(',');
  return { url: urls, description: control.description, target: { kind: 'nodes', nodes: control.nodes.length, protocolVersion }, control, close: async () => {} };
}

export interface ScenarioResult {
  scenario: Scenario;
  outcome: Outcome;
  /** What the scenario's history recorded. */
  operations: Operation[];
}

export interface DemoRun {
  /** Runs the scenarios in order; what each observed. */
  run(chosen: Scenario[], intervalMs: number): Promise<ScenarioResult[]>;
  /** Stops whatever is still running and removes the scenarios' folder; safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * broker: the one the article's scenarios share; none when only fault scenarios run and it has too few
 * nodes for them: they start a NATS cluster of their own, of ownFaultNodes.
 */
export function createDemoRun(broker: DemoBroker | undefined, out: (line?: string) => void, ownFaultNodes = faultClusterNodes, historyFile?: string): DemoRun {
  const chalk = new Chalk({ level: colorLevel() });
  const dir = mkdtempSync(join(tmpdir(), 'mqtt-persistent-sessions-demo-'));
  let cluster: Promise<BrokerCluster> | undefined;
  let ownControl: Promise<ControlledCluster> | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await stopScenarios(out);
      // The user's cluster is theirs: the faults the last scenario left are undone, not left for them to find.
      if (broker?.target.kind === 'nodes' && broker.control) {
        await new Nemesis(broker.control, out).heal().catch((error: Error) => out(`Could not undo the faults on ${broker.description}: ${error.message.split('\n')[0]}`));
      }
      await broker?.close();
      await cluster?.then((started) => started.dispose(), () => {});
      rmSync(dir, { recursive: true, force: true });
    })());

  /**
   * The cluster, started by the first scenario that needs it and shared by the others; each node in a
   * network namespace of its own when this machine lets the demo make them (root).
   */
  function startFaultCluster(): Promise<ControlledCluster> {
    if (broker?.control && faultsRunOn(broker.target)) return Promise.resolve(broker.control);
    if (!ownControl) {
      const partitionable = partitionableHere('nats', true);
      out(chalk.bold(`Starting a NATS cluster of ${ownFaultNodes} nodes ${partitionable ? 'each in a network namespace of its own' : 'on 127.0.0.1'} (JetStream elects its leaders: a few seconds)...`));
      cluster = brokerEntry('nats').start(ownFaultNodes, { partitionable }).then((started) => started.cluster!);
      void cluster.then((started) => out(chalk.bold(`Cluster: ${started.nodes.map((node) => `node ${node.index} ${node.url}`).join(', ')}`)), () => {});
      ownControl = cluster.then((started) => controlOfStarted('nats', started));
    }
    return ownControl;
  }

  async function runOne(scenario: Scenario, intervalMs: number, history: HistoryRecorder): Promise<Outcome> {
    out();
    out(chalk.bold(`== ${scenario.name}: ${scenario.title}`));
    out(`Claim: ${scenario.claim}`);
    if (scenario.needsMosquitto && !mosquittoAvailable()) {
      return { verdict: 'SKIPPED', observed: 'needs Mosquitto, which is not installed (Debian, Ubuntu: sudo apt-get install mosquitto)', facts: {} };
    }
    const natsMissing = brokerEntry('nats').missing();
    if (scenario.needsCluster && !(broker && faultsRunOn(broker.target)) && natsMissing) {
      return { verdict: 'SKIPPED', observed: `needs a NATS cluster: ${natsMissing}`, facts: {} };
    }
    const tag = `${process.pid}-${Date.now().toString(36)}`;
    const say = (line: string): void => out(chalk.dim('  ') + line);
    if (scenario.needsCluster) {
      const started = await startFaultCluster();
      const reason = whyNot(started, scenario.needsActions ?? []);
      if (reason) return { verdict: 'N/A', observed: `not applicable: ${reason}`, facts: {} };
      const own = broker?.control === started;
      const urls = started.nodes.map((node) => node.url).join(',');
      return scenario.run({ url: urls, intervalMs, dir, tag, say, cluster: started, protocolVersion: own ? broker!.target.protocolVersion : 4, history });
    }
    if (!broker) throw new Error(`no broker for ${scenario.name}`);
    const reason = notApplicable(scenario, broker.target);
    if (reason) return { verdict: 'N/A', observed: `not applicable: ${reason}`, facts: {} };
    const actions = broker.control && whyNot(broker.control, scenario.needsActions ?? []);
    if (actions) return { verdict: 'N/A', observed: `not applicable: ${actions}`, facts: {} };
    return scenario.run({ url: broker.url, intervalMs, dir, tag, say, cluster: broker.control, protocolVersion: broker.target.protocolVersion, history });
  }

  async function run(chosen: Scenario[], intervalMs: number): Promise<ScenarioResult[]> {
    if (broker) out(chalk.bold(`Broker: ${broker.description} at ${broker.url}`));
    const results: ScenarioResult[] = [];
    if (historyFile) writeFileSync(historyFile, '');
    for (const scenario of chosen) {
      const history = new HistoryRecorder(scenario.name);
      const outcome = await runOne(scenario, intervalMs, history).catch(storyStopped);
      await stopScenarios(out);
      const operations = history.operations();
      if (historyFile) appendFileSync(historyFile, historyLines(operations));
      const colour = outcome.verdict === 'PASS' ? chalk.green.bold : outcome.verdict === 'FAIL' ? chalk.red.bold : chalk.yellow.bold;
      out(`Observed: ${outcome.observed}`);
      out(colour(outcome.verdict));
      if (outcome.summary) for (const line of summaryLines(outcome.summary as unknown as Summary, chalk)) out(`  ${line}`);
      results.push({ scenario, outcome, operations });
    }
    if (results.length > 1) {
      out();
      const width = Math.max(...results.map(({ scenario }) => scenario.name.length)) + 2;
      out(chalk.bold('Claim'.padEnd(width) + 'Result   Observed'));
      for (const { scenario, outcome } of results) out(`${scenario.name.padEnd(width)}${outcome.verdict.padEnd(9)}${outcome.observed}`);
    }
    return results;
  }

  return { run, stop };
}

/**
 * Stops what the scenarios still run (commands, their own Mosquittos), then ends every session they made,
 * so that the broker keeps nothing of them; says which it could not end. Runs after each scenario,
 * whatever became of it, and when the demo is stopped.
 */
export async function stopScenarios(out: (line: string) => void): Promise<void> {
  await ChildCommand.killAll();
  await stopScenarioBrokers();
  for (const { session, reason } of await endRememberedSessions()) {
    out(`Could not end the session ${session.clientId} on ${maskUrls(session.url)} (${reason}): the broker may still keep it.`);
  }
}

/**
 * A story that could not go on (a broker that never delivers what the claim waits for, such as a shared
 * subscription it does not support) fails with the step it stopped at; what it started is stopped after it.
 */
function storyStopped(error: unknown): Outcome {
  const step = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  return { verdict: 'FAIL', observed: `the story stopped: ${step}`, facts: { stoppedAt: step ?? null } };
}

/**
 * Why a scenario says nothing about this broker: the claim cannot be expressed in its MQTT version, or
 * the scenario brings a Mosquitto of its own (the demo on Mosquitto runs it; a matrix column of another
 * broker would only repeat Mosquitto's result).
 */
export function notApplicable(scenario: Scenario, target: BrokerTarget, mosquittoOfItsOwn = false): string | undefined {
  if (scenario.needsCluster && !faultsRunOn(target)) return `kills and pauses nodes of a cluster of ${faultClusterNodes} nodes or more that the demo starts (--broker nats, rabbitmq..., ejabberd with --nodes ${faultClusterNodes})`;
  if (scenario.needsStartedBroker && (target.kind === 'url' || target.kind === 'nodes' || !brokerEntry(target.kind).startsNodes)) return 'stops and starts a broker that the demo starts (NATS, RabbitMQ, ejabberd); on Mosquitto, broker-restart does';
  if (mosquittoOfItsOwn && scenario.needsMosquitto && target.kind !== 'mosquitto') return 'runs on a private Mosquitto of its own, with the settings it shows';
  return scenario.notApplicable?.(target);
}
