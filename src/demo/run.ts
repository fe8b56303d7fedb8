/** Runs the chosen scenarios one after another against one broker and prints each story and verdict. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { startEmbeddedBroker } from '../brokers/embedded.js';
import { PrivateMosquitto } from '../brokers/mosquitto.js';
import type { BrokerCluster } from '../brokers/cluster.js';
import { EjabberdCluster, ejabberdMissing } from '../brokers/ejabberd.js';
import { findNatsServer, NatsCluster } from '../brokers/nats.js';
import { findRabbitmqServer, RabbitCluster } from '../brokers/rabbitmq.js';
import { colorLevel, summaryLines } from '../cli/output.js';
import type { Summary } from '../core/events.js';
import { CliError, UsageError } from '../core/errors.js';
import { maskUrls } from '../mqtt/settings.js';
import { ChildCommand } from './processes.js';
import { endRememberedSessions } from './sessions.js';
import { mosquittoAvailable, stopScenarioBrokers, type BrokerTarget, type Outcome, type Scenario } from './story.js';

/** Nodes of the cluster the fault scenarios run on. */
const clusterSize = 3;

export interface DemoBroker {
  url: string;
  description: string;
  target: BrokerTarget;
  /** The nodes, when the project started them (NATS, RabbitMQ, ejabberd): on 3 of them the fault scenarios run too. */
  cluster?: BrokerCluster;
  close: () => Promise<void>;
}

export const brokerKinds = [
  'embedded',
  'mosquitto',
  'nats',
  'nats-cluster',
  'rabbitmq',
  'rabbitmq-cluster',
  'rabbitmq-mirrored',
  'rabbitmq-quorum',
  'ejabberd',
  'ejabberd-cluster',
] as const;
export type BrokerKind = (typeof brokerKinds)[number];

/** The kinds that are a cluster of 3 nodes the demo starts: the fault scenarios run on them. */
export const clusterKinds: ReadonlySet<string> = new Set<BrokerKind>(['nats-cluster', 'rabbitmq-cluster', 'rabbitmq-mirrored', 'rabbitmq-quorum', 'ejabberd-cluster']);

/** The kinds whose nodes the demo starts and can stop: clean-restart runs on them. */
const startedKinds: ReadonlySet<string> = new Set<BrokerKind>(brokerKinds.filter((kind) => kind !== 'embedded' && kind !== 'mosquitto'));

/** What --broker KIND says in --help. */
export const brokerKindsHelp =
  'embedded (Aedes, in this process), mosquitto (a private one on a free port), nats or nats-cluster (one NATS node, 3 nodes), ' +
  'rabbitmq or rabbitmq-cluster (one RabbitMQ node, 3 nodes, its default classic queues), rabbitmq-mirrored or rabbitmq-quorum (3 nodes, sessions in classic queues mirrored on every node, or in quorum queues), ' +
  'ejabberd or ejabberd-cluster (one node, 3 nodes); on a cluster the fault scenarios run too';

/** Starts a cluster the project knows, or says what is missing for it. */
async function startCluster(kind: BrokerKind): Promise<BrokerCluster> {
  const size = clusterKinds.has(kind) ? clusterSize : 1;
  if (kind.startsWith('nats')) {
    if (findNatsServer() === undefined) throw new CliError(`--broker ${kind} needs nats-server (Debian, Ubuntu: sudo apt-get install nats-server)`);
    return new NatsCluster({ size }).start();
  }
  if (kind.startsWith('rabbitmq')) {
    if (findRabbitmqServer() === undefined) throw new CliError(`--broker ${kind} needs RabbitMQ (Debian, Ubuntu: sudo apt-get install rabbitmq-server)`);
    return new RabbitCluster({ size, queueType: kind === 'rabbitmq-quorum' ? 'quorum' : kind === 'rabbitmq-mirrored' ? 'mirrored' : 'classic' }).start();
  }
  const missing = ejabberdMissing();
  if (missing) throw new CliError(`--broker ${kind}: ${missing}`);
  return new EjabberdCluster({ size }).start();
}

/**
 * The broker the scenarios share: one already running (url), a private Mosquitto, a NATS, RabbitMQ or
 * ejabberd node or cluster, or the embedded one. NATS and RabbitMQ 3.10 speak only MQTT 3.1.1, so their
 * scenarios always use it; ejabberd speaks both.
 */
export async function startDemoBroker(kind: BrokerKind, url?: string, protocolVersion: 4 | 5 = 5): Promise<DemoBroker> {
  if (url) return { url, description: 'the running broker', target: { kind: 'url', protocolVersion }, close: async () => {} };
  if (kind === 'mosquitto') {
    if (!mosquittoAvailable()) throw new CliError('Mosquitto is not installed (Debian, Ubuntu: sudo apt-get install mosquitto); without --broker the demo uses the embedded broker');
    const mosquitto = await new PrivateMosquitto().start();
    return { url: mosquitto.url, description: `a private Mosquitto (MQTT ${protocolVersion === 4 ? '3.1.1' : '5'})`, target: { kind, protocolVersion }, close: () => mosquitto.dispose() };
  }
  if (kind !== 'embedded') {
    const cluster = await startCluster(kind);
    const only311 = !kind.startsWith('ejabberd');
    const version = only311 ? 4 : protocolVersion;
    return {
      url: cluster.urls.join(','),
      description: `${cluster.description} (${only311 ? 'MQTT 3.1.1 only: the commands run with -V 4' : `MQTT ${version === 4 ? '3.1.1' : '5'}`})`,
      target: { kind, protocolVersion: version },
      cluster,
      close: () => cluster.dispose(),
    };
  }
  if (protocolVersion === 4) throw new UsageError('the embedded broker is shown on MQTT 5 only: -V 4 needs another --broker (mosquitto, nats, rabbitmq, ejabberd...)');
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
    if (broker?.cluster && clusterKinds.has(broker.target.kind)) return Promise.resolve(broker.cluster);
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
      const started = await startFaultCluster();
      const own = broker?.cluster === started;
      return scenario.run({ url: started.urls.join(','), intervalMs, dir, tag, say, cluster: started, protocolVersion: own ? broker!.target.protocolVersion : 4 });
    }
    if (!broker) throw new Error(`no broker for ${scenario.name}`);
    const reason = notApplicable(scenario, broker.target);
    if (reason) return { verdict: 'N/A', observed: `not applicable: ${reason}`, facts: {} };
    return scenario.run({ url: broker.url, intervalMs, dir, tag, say, cluster: broker.cluster, protocolVersion: broker.target.protocolVersion });
  }

  async function run(chosen: Scenario[], intervalMs: number): Promise<ScenarioResult[]> {
    if (broker) out(chalk.bold(`Broker: ${broker.description} at ${broker.url}`));
    const results: Array<{ scenario: Scenario; outcome: Outcome }> = [];
    for (const scenario of chosen) {
      const outcome = await runOne(scenario, intervalMs).catch(storyStopped);
      await stopScenarios(out);
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
  if (scenario.needsCluster && !clusterKinds.has(target.kind)) return 'kills and pauses nodes of a cluster that the demo starts (the NATS cluster, or the --broker RabbitMQ or ejabberd cluster)';
  if (scenario.needsStartedBroker && !startedKinds.has(target.kind)) return 'stops and starts a broker that the demo starts (NATS, RabbitMQ, ejabberd); on Mosquitto, broker-restart does';
  if (mosquittoOfItsOwn && scenario.needsMosquitto && target.kind !== 'mosquitto') return 'runs on a private Mosquitto of its own, with the settings it shows';
  return scenario.notApplicable?.(target);
}
