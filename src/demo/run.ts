/** Runs the chosen scenarios one after another against one broker and prints each story and verdict. */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { brokerEntry, type BrokerKind } from '../brokers/catalogue.js';
import type { BrokerCluster } from '../brokers/cluster.js';
import { colorLevel, summaryLines } from '../cli/output.js';
import type { Summary } from '../core/events.js';
import { CliError, UsageError } from '../core/errors.js';
import { historyLines, type Operation } from '../core/history.js';
import { HistoryRecorder } from './history-recorder.js';
import { maskUrls } from '../mqtt/settings.js';
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
  close: () => Promise<void>;
}

/** The fault scenarios run on the target's own nodes: a cluster the demo started, of 3 nodes or more. */
export function faultsRunOn(target: BrokerTarget): boolean {
  return target.kind !== 'url' && brokerEntry(target.kind).startsNodes && target.nodes >= faultClusterNodes;
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
export async function startDemoBroker(kind: BrokerKind, nodes: number, url?: string, protocolVersion: 4 | 5 = 5): Promise<DemoBroker> {
  if (url) return { url, description: 'the running broker', target: { kind: 'url', nodes: 1, protocolVersion }, close: async () => {} };
  const entry = brokerEntry(kind);
  const version = spokenVersion(kind, protocolVersion);
  const only311 = !entry.protocolVersions.includes(5);
  const missing = entry.missing();
  if (missing) throw new CliError(`--broker ${kind}: ${missing}`);
  const started = await entry.start(nodes);
  const spoken = only311 ? 'MQTT 3.1.1 only: the commands run with -V 4' : `MQTT ${version === 4 ? '3.1.1' : '5'}`;
  const description =
    kind === 'embedded' ? 'the embedded broker (Aedes)' : kind === 'mosquitto' ? `a private Mosquitto (${spoken})` : `${started.cluster!.description} (${spoken})`;
  return { url: started.urls.join(','), description, target: { kind, nodes, protocolVersion: version }, cluster: started.cluster, close: () => started.close() };
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
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await stopScenarios(out);
      await broker?.close();
      await cluster?.then((started) => started.dispose(), () => {});
      rmSync(dir, { recursive: true, force: true });
    })());

  /** The cluster, started by the first scenario that needs it and shared by the others. */
  function startFaultCluster(): Promise<BrokerCluster> {
    if (broker?.cluster && faultsRunOn(broker.target)) return Promise.resolve(broker.cluster);
    if (!cluster) {
      out(chalk.bold(`Starting a NATS cluster of ${ownFaultNodes} nodes on 127.0.0.1 (JetStream elects its leaders: a few seconds)...`));
      cluster = brokerEntry('nats').start(ownFaultNodes).then((started) => started.cluster!);
      void cluster.then((started) => out(chalk.bold(`Cluster: ${started.nodes.map((node) => `node ${node.index} ${node.url}`).join(', ')}`)), () => {});
    }
    return cluster;
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
      const own = broker?.cluster === started;
      return scenario.run({ url: started.urls.join(','), intervalMs, dir, tag, say, cluster: started, protocolVersion: own ? broker!.target.protocolVersion : 4, history });
    }
    if (!broker) throw new Error(`no broker for ${scenario.name}`);
    const reason = notApplicable(scenario, broker.target);
    if (reason) return { verdict: 'N/A', observed: `not applicable: ${reason}`, facts: {} };
    return scenario.run({ url: broker.url, intervalMs, dir, tag, say, cluster: broker.cluster, protocolVersion: broker.target.protocolVersion, history });
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
  if (scenario.needsStartedBroker && (target.kind === 'url' || !brokerEntry(target.kind).startsNodes)) return 'stops and starts a broker that the demo starts (NATS, RabbitMQ, ejabberd); on Mosquitto, broker-restart does';
  if (mosquittoOfItsOwn && scenario.needsMosquitto && target.kind !== 'mosquitto') return 'runs on a private Mosquitto of its own, with the settings it shows';
  return scenario.notApplicable?.(target);
}
