/** Runs the chosen scenarios one after another against one broker and prints each story and verdict. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { startEmbeddedBroker } from '../brokers/embedded.js';
import { PrivateMosquitto } from '../brokers/mosquitto.js';
import { findNatsServer, NatsCluster } from '../brokers/nats.js';
import { colorLevel, summaryLines } from '../cli/render.js';
import type { Summary } from '../core/accounting.js';
import { CliError, UsageError } from '../core/errors.js';
import { ChildCommand } from './processes.js';
import { mosquittoAvailable, stopScenarioBrokers, type BrokerTarget, type Outcome, type Scenario } from './story.js';

/** Nodes of the cluster the fault scenarios run on. */
const clusterSize = 3;

export interface DemoBroker {
  url: string;
  description: string;
  target: BrokerTarget;
  /** When the broker is the project's NATS cluster: the fault scenarios run on it too. */
  cluster?: NatsCluster;
  close: () => Promise<void>;
}

export type BrokerKind = 'embedded' | 'mosquitto' | 'nats' | 'nats-cluster';

/**
 * The broker the scenarios share: one already running (url), a private Mosquitto, one NATS node, the
 * NATS cluster, or the embedded one. NATS speaks only MQTT 3.1.1, so its scenarios always use it.
 */
export async function startDemoBroker(kind: BrokerKind, url?: string, protocolVersion: 4 | 5 = 5): Promise<DemoBroker> {
  if (url) return { url, description: 'the running broker', target: { kind: 'url', protocolVersion }, close: async () => {} };
  if (kind === 'mosquitto') {
    if (!mosquittoAvailable()) throw new CliError('Mosquitto is not installed (Debian, Ubuntu: sudo apt-get install mosquitto); without --broker the demo uses the embedded broker');
    const mosquitto = await new PrivateMosquitto().start();
    return { url: mosquitto.url, description: `a private Mosquitto (MQTT ${protocolVersion === 4 ? '3.1.1' : '5'})`, target: { kind, protocolVersion }, close: () => mosquitto.dispose() };
  }
  if (kind === 'nats' || kind === 'nats-cluster') {
    if (findNatsServer() === undefined) throw new CliError(`--broker ${kind} needs nats-server (Debian, Ubuntu: sudo apt-get install nats-server)`);
    const cluster = await new NatsCluster({ size: kind === 'nats' ? 1 : clusterSize }).start();
    return {
      url: cluster.urls.join(','),
      description: `${kind === 'nats' ? 'one NATS node' : `a NATS cluster of ${clusterSize} nodes`} (MQTT 3.1.1 only: the commands run with -V 4)`,
      target: { kind, protocolVersion: 4 },
      cluster: kind === 'nats-cluster' ? cluster : undefined,
      close: () => cluster.dispose(),
    };
  }
  if (protocolVersion === 4) throw new UsageError('the embedded broker is shown on MQTT 5 only: -V 4 needs --broker mosquitto, nats or nats-cluster');
  const embedded = await startEmbeddedBroker(0);
  return { url: embedded.url, description: 'the embedded broker (Aedes)', target: { kind: 'embedded', protocolVersion: 5 }, close: () => embedded.close() };
}

export interface ScenarioResult {
  scenario: Scenario;
  outcome: Outcome;
}

export interface DemoRun {
  /** Runs the scenarios in order; what each observed. */
  run(chosen: Scenario[], intervalMs: number): Promise<ScenarioResult[]>;
  /** Stops whatever is still running and removes the scenarios' folder; safe to call more than once. */
  stop(): Promise<void>;
}

/** broker: the one the article's scenarios share; none when only fault scenarios run (they start a cluster). */
export function createDemoRun(broker: DemoBroker | undefined, out: (line?: string) => void): DemoRun {
  const chalk = new Chalk({ level: colorLevel() });
  const dir = mkdtempSync(join(tmpdir(), 'mqtt-persistent-sessions-demo-'));
  let cluster: Promise<NatsCluster> | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await ChildCommand.killAll();
      await stopScenarioBrokers();
      await broker?.close();
      await cluster?.then((started) => started.dispose(), () => {});
      rmSync(dir, { recursive: true, force: true });
    })());

  /** The cluster, started by the first scenario that needs it and shared by the others. */
  function startCluster(): Promise<NatsCluster> {
    if (broker?.cluster) return Promise.resolve(broker.cluster);
    if (!cluster) {
      out(chalk.bold(`Starting a NATS cluster of ${clusterSize} nodes on 127.0.0.1 (JetStream elects its leaders: a few seconds)...`));
      cluster = new NatsCluster({ size: clusterSize }).start();
      void cluster.then((started) => out(chalk.bold(`Cluster: ${started.nodes.map((node) => `node ${node.index} ${node.url}`).join(', ')}`)), () => {});
    }
    return cluster;
  }

  async function runOne(scenario: Scenario, intervalMs: number): Promise<Outcome> {
    out();
    out(chalk.bold(`== ${scenario.name}: ${scenario.title}`));
    out(`Claim: ${scenario.claim}`);
    if (scenario.needsMosquitto && !mosquittoAvailable()) {
      return { verdict: 'SKIPPED', observed: 'needs Mosquitto, which is not installed (Debian, Ubuntu: sudo apt-get install mosquitto)', facts: {} };
    }
    if (scenario.needsCluster && findNatsServer() === undefined) {
      return { verdict: 'SKIPPED', observed: 'needs nats-server, which is not installed (Debian, Ubuntu: sudo apt-get install nats-server)', facts: {} };
    }
    const tag = `${process.pid}-${Date.now().toString(36)}`;
    const say = (line: string): void => out(chalk.dim('  ') + line);
    if (scenario.needsCluster) {
      const started = await startCluster();
      return scenario.run({ url: started.urls.join(','), intervalMs, dir, tag, say, cluster: started, protocolVersion: 4 });
    }
    if (!broker) throw new Error(`no broker for ${scenario.name}`);
    const reason = notApplicable(scenario, broker.target);
    if (reason) return { verdict: 'N/A', observed: `not applicable: ${reason}`, facts: {} };
    return scenario.run({ url: broker.url, intervalMs, dir, tag, say, protocolVersion: broker.target.protocolVersion });
  }

  async function run(chosen: Scenario[], intervalMs: number): Promise<ScenarioResult[]> {
    if (broker) out(chalk.bold(`Broker: ${broker.description} at ${broker.url}`));
    const results: Array<{ scenario: Scenario; outcome: Outcome }> = [];
    for (const scenario of chosen) {
      const outcome = await runOne(scenario, intervalMs);
      const colour = outcome.verdict === 'PASS' ? chalk.green.bold : outcome.verdict === 'FAIL' ? chalk.red.bold : chalk.yellow.bold;
      out(`Observed: ${outcome.observed}`);
      out(colour(outcome.verdict));
      if (outcome.summary) for (const line of summaryLines(outcome.summary as unknown as Summary, chalk)) out(`  ${line}`);
      results.push({ scenario, outcome });
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
 * Why a scenario says nothing about this broker: the claim cannot be expressed in its MQTT version, or
 * the scenario brings a Mosquitto of its own (the demo on Mosquitto runs it; a matrix column of another
 * broker would only repeat Mosquitto's result).
 */
export function notApplicable(scenario: Scenario, target: BrokerTarget, mosquittoOfItsOwn = false): string | undefined {
  if (scenario.needsCluster && target.kind !== 'nats-cluster') return 'kills and pauses nodes of the NATS cluster that the demo starts';
  if (mosquittoOfItsOwn && scenario.needsMosquitto && target.kind !== 'mosquitto') return 'runs on a private Mosquitto of its own, with the settings it shows';
  return scenario.notApplicable?.(target);
}
