/** The demo's options, and what they ask for: the scenarios, the broker kind and its nodes, or a report card. */
import { Command, Option } from 'commander';
import { brokerEntry, brokerKinds, checkNodes, maxNodes, type BrokerKind } from '../brokers/catalogue.js';
import { nodesOption, type NodesRequest } from '../cli/nodes-option.js';
import { parseProtocolVersion } from '../cli/options.js';
import { createProgram, integerIn, type Example } from '../cli/program.js';
import { UsageError } from '../core/errors.js';
import { maxSeed } from '../core/schedule.js';
import { randomClients, randomFaultKinds, type RandomDemoPlan } from './random-run.js';
import { faultClusterNodes, spokenVersion } from './run.js';
import { clusterScenarios, findScenario, scenarios } from './scenarios.js';
import type { Scenario } from './story.js';

interface DemoOptions {
  broker: BrokerKind;
  nodes?: NodesRequest;
  protocolVersion: 4 | 5;
  url?: string;
  scenario: string;
  all?: boolean;
  cluster?: boolean;
  interval: number;
  history?: string;
  random?: boolean;
  timeLimit?: number;
  seed?: number;
  html?: string;
}

export const demoExamples: Example[] = [
  { args: '', note: 'the tutorial on the embedded broker' },
  { args: '--all', note: 'every claim of the article' },
  { args: '--all --broker mosquitto', note: 'the same on a private Mosquitto' },
  { args: '--scenario qos0 --interval 1000', note: 'one claim, one value a second, as in the tutorial' },
  { args: '--all --broker mosquitto -V 4', note: 'the same in MQTT 3.1.1: what it cannot express is marked N/A' },
  { args: '--broker nats --nodes 3', note: 'the tutorial on a 3-node NATS cluster it starts (needs nats-server; MQTT 3.1.1)' },
  { args: '--cluster', note: 'the fault scenarios on a 3-node NATS cluster it starts (needs nats-server)' },
  { args: '--cluster --broker rabbitmq', note: 'the same on 3 RabbitMQ nodes (or ejabberd, rabbitmq-mirrored, rabbitmq-quorum; --nodes 5 for 5)' },
  { args: '--cluster --history run.jsonl', note: 'the same, every operation and fault written to run.jsonl; npm run report -- --history run.jsonl checks it again' },
  { args: '--cluster --random --time-limit 60 --seed 42', note: 'producers and consumers for 60 s while the nemesis kills, pauses and (as root) cuts off nodes on a schedule drawn from seed 42 (the same seed, the same schedule)' },
  { args: '--cluster --html run.html', note: 'the same, and a page that shows each scenario as a timeline: the values, the faults, what was lost, the failover' },
  { args: '--nodes nodes.json -V 4', note: 'the fault scenarios on your own cluster: its nodes and the commands that kill, start, pause, resume, isolate and heal each (docs/partitions.md)' },
  { args: '--url mqtt://localhost:1883', note: 'the report card of a running broker: every claim that needs no control of it, and probes' },
  { args: '--url mqtt://localhost:1883 --scenario qos0', note: 'one claim against a running broker' },
];

export function demoProgram(): Command {
  return createProgram('demo', "Replay the tutorial and the article's claims against a broker, unattended, with PASS or FAIL for each.", demoExamples)
    .addOption(
      new Option('--broker <kind>', `broker to start: ${brokerKinds.map((kind) => `${kind} (${brokerEntry(kind).description})`).join(', ')}`)
        .choices(brokerKinds)
        .default('embedded'),
    )
    .addOption(
      nodesOption(
        maxNodes,
        `this many nodes of --broker (1 to ${maxNodes}; nats, rabbitmq..., ejabberd), clustered; with 3 or more the fault scenarios can run on them (default: 1, with --cluster ${faultClusterNodes}); or a JSON file describing your own cluster's nodes, on which the fault scenarios run (docs/partitions.md)`,
        true,
      ).conflicts('url'),
    )
    .addOption(new Option('-V, --protocol-version <version>', 'MQTT version the producer and consumer speak: 5, or 4 (3.1.1; NATS speaks only that)').argParser(parseProtocolVersion).default(5))
    .addOption(new Option('-L, --url <url>', "use this running broker instead of starting one; alone, its report card: the claims that need no control of the broker, then probes of what it grants, how long it keeps a session, how much of a backlog of 10,000, whether it shares a subscription ($share), each read from the packets exchanged (about 2 minutes)"))
    .addOption(new Option('--scenario <name>', `one claim: ${[...scenarios, ...clusterScenarios].map((s) => s.name).join(', ')}`).default('persistent'))
    .addOption(new Option('--all', "run every claim of the article (on one broker)"))
    .addOption(new Option('--cluster', `run the fault scenarios on the nodes of --broker (${faultClusterNodes} or more), or, without --broker, on a NATS cluster of their own: ${clusterScenarios.map((s) => s.name).join(', ')}`).conflicts('url'))
    .addOption(new Option('--history <file>', "write the scenarios' history to this file as JSON lines: every publish, acknowledgement, delivery, connection and fault, timed, the scenario named on each (checked again by the report command's --history)").conflicts('url'))
    .addOption(new Option('--random', `a random fault run instead of the scenarios: ${randomClients.producers} producers and ${randomClients.consumers} consumers on the cluster while the nemesis injects faults (${randomFaultKinds.join(', ')}; each one the nodes take: cutting links needs root, or the commands of --nodes FILE) at random times, then the checkers' figures`).conflicts(['url', 'all', 'scenario']))
    .addOption(new Option('--time-limit <seconds>', 'how long the random run lasts (default: 60)').argParser(integerIn(20, 3600, 'the time limit')))
    .addOption(new Option('--seed <n>', `the random run's seed, to replay its schedule of faults (0 to ${maxSeed}; default: a random one, printed)`).argParser(integerIn(0, maxSeed, 'the seed')))
    .addOption(new Option('--html <file>', "write a page (HTML, self-contained, opens offline) that shows each scenario's history as a timeline: values sent, acknowledged and delivered, the faults, the lost values, the failover, beside the checkers' figures"))
    .addOption(new Option('--interval <ms>', 'milliseconds between values (the tutorial uses 1000)').argParser(integerIn(10, 10_000, 'the interval')).default(100))
    .addHelpText('after', '\nExit status: 0 every scenario passed (or was skipped, or is not applicable), 1 a scenario failed (or the broker could not be reached; with --random: acknowledged values were lost), 2 invalid usage.\n');
}

/** What the options ask for: the report card of a running broker, scenarios on a broker, or a random fault run on a cluster. */
export type DemoPlan =
  | { mode: 'report-card'; url: string; protocolVersion: 4 | 5; interval: number }
  | ({ mode: 'random' } & RandomDemoPlan)
  | {
      mode: 'scenarios';
      chosen: Scenario[];
      /** The broker the scenarios share: a kind and its nodes, a running one (url), or the user's nodes (file); none when only fault scenarios run on a cluster of their own. */
      broker?: { kind: BrokerKind; nodes: number; url?: string } | { kind: 'nodes'; file: string };
      /** Nodes of the NATS cluster the fault scenarios start for themselves when the broker is not one. */
      ownFaultNodes: number;
      protocolVersion: 4 | 5;
      interval: number;
      /** Where the history of every scenario is written, as JSON lines. */
      history?: string;
      /** Where the page that draws every scenario's history is written. */
      html?: string;
    };

function unknownScenario(name: string): never {
  throw new UsageError(`unknown scenario '${name}': choose one of ${[...scenarios, ...clusterScenarios].map((s) => s.name).join(', ')}`);
}

/** The plan of a parsed program; a UsageError for options that do not go together. */
export function demoPlan(program: Command): DemoPlan {
  const options = program.opts<DemoOptions>();
  const { protocolVersion, interval } = options;
  if (!options.random && (options.timeLimit !== undefined || options.seed !== undefined)) throw new UsageError('--time-limit and --seed shape a random run: add --random');
  if (options.random) return randomPlan(program, options);
  if (options.url && !options.all && !options.cluster && program.getOptionValueSource('scenario') === 'default') {
    if (options.html) throw new UsageError('--html draws the scenarios the demo runs: the report card of --url alone runs probes, not scenarios (add --all or --scenario NAME)');
    return { mode: 'report-card', url: options.url, protocolVersion, interval };
  }
  if (options.nodes && 'file' in options.nodes) return nodesFilePlan(program, options.nodes.file);
  const chosen: Scenario[] =
    options.all || options.cluster
      ? [...(options.all ? scenarios : []), ...(options.cluster ? clusterScenarios : [])]
      : [findScenario(options.scenario) ?? unknownScenario(options.scenario)];
  const faults = chosen.filter((scenario) => scenario.needsCluster);
  if (options.url && faults.length > 0) {
    throw new UsageError(`${faults[0]!.name} kills and pauses nodes of a cluster the demo starts itself: it cannot run against --url`);
  }
  // Without --broker, the fault scenarios start a NATS cluster of their own (and the others run on the embedded broker).
  const ownCluster = options.cluster === true && program.getOptionValueSource('broker') !== 'cli';
  const nodes = (options.nodes && 'start' in options.nodes ? options.nodes.start : undefined) ?? (options.cluster ? faultClusterNodes : 1);
  if (options.cluster && nodes < faultClusterNodes) throw new UsageError(`--cluster kills and pauses nodes: it needs --nodes ${faultClusterNodes} or more`);
  checkNodes(ownCluster ? 'nats' : options.broker, nodes);
  const brokerNodes = ownCluster ? 1 : nodes;
  const needsBroker = faults.length < chosen.length || (!ownCluster && brokerEntry(options.broker).startsNodes && brokerNodes >= faultClusterNodes);
  if (needsBroker && !options.url) spokenVersion(options.broker, protocolVersion);
  return {
    mode: 'scenarios',
    chosen,
    broker: needsBroker ? { kind: options.broker, nodes: brokerNodes, url: options.url } : undefined,
    ownFaultNodes: ownCluster ? nodes : faultClusterNodes,
    protocolVersion,
    interval,
    history: options.history,
    html: options.html,
  };
}

/** A random run: on the nodes of --broker, or on a NATS cluster of its own; 3 nodes or more. */
function randomPlan(program: Command, options: DemoOptions): DemoPlan {
  const file = options.nodes && 'file' in options.nodes ? options.nodes.file : undefined;
  const kind: BrokerKind = program.getOptionValueSource('broker') === 'cli' ? options.broker : 'nats';
  const nodes = (options.nodes && 'start' in options.nodes ? options.nodes.start : undefined) ?? faultClusterNodes;
  if (file && program.getOptionValueSource('broker') === 'cli') throw new UsageError('--nodes FILE describes the broker: leave out --broker');
  if (!file) {
    if (!brokerEntry(kind).startsNodes) throw new UsageError(`--random kills and pauses nodes of a cluster the demo starts: choose --broker nats, rabbitmq..., or ejabberd`);
    if (nodes < faultClusterNodes) throw new UsageError(`--random kills and pauses nodes: it needs --nodes ${faultClusterNodes} or more`);
    checkNodes(kind, nodes);
  }
  return {
    mode: 'random',
    seed: options.seed,
    timeLimitMs: (options.timeLimit ?? 60) * 1000,
    kind,
    nodes,
    protocolVersion: file ? options.protocolVersion : spokenVersion(kind, options.protocolVersion),
    interval: options.interval,
    history: options.history,
    html: options.html,
    nodesFile: file,
  };
}

/** --nodes FILE: the fault scenarios (or the one --scenario names) on the user's own cluster. */
function nodesFilePlan(program: Command, file: string): DemoPlan {
  const options = program.opts<DemoOptions>();
  if (options.all) throw new UsageError('--nodes FILE runs the fault scenarios on your cluster; --all is the article on one broker the demo starts');
  if (program.getOptionValueSource('broker') === 'cli') throw new UsageError('--nodes FILE describes the broker: leave out --broker');
  const named = program.getOptionValueSource('scenario') === 'cli' ? (findScenario(options.scenario) ?? unknownScenario(options.scenario)) : undefined;
  if (named && !named.needsCluster) throw new UsageError(`--nodes FILE runs the fault scenarios (${clusterScenarios.map((s) => s.name).join(', ')}): ${named.name} is not one`);
  return {
    mode: 'scenarios',
    chosen: named ? [named] : clusterScenarios,
    broker: { kind: 'nodes', file },
    ownFaultNodes: faultClusterNodes,
    protocolVersion: options.protocolVersion,
    interval: options.interval,
  };
}
