#!/usr/bin/env node
/** A broker on localhost for following the tutorial by hand: Mosquitto when installed, else the embedded one; or the nodes of another kind. */
import { Option } from 'commander';
import { startedLines, startingLine, stoppedLine } from './cli/broker-text.js';
import { nodesOption } from './cli/nodes-option.js';
import { createProgram, integerIn, onInterrupt, parseArguments } from './cli/program.js';
import { runCommand } from './cli/run.js';
import { brokerEntry, brokerKinds, checkNodes, maxNodes, type BrokerKind } from './brokers/catalogue.js';
import { findMosquitto } from './brokers/mosquitto.js';
import { protectedUsers } from './brokers/protected.js';
import { serveBroker } from './brokers/serve.js';
import { ExitCode, UsageError } from './core/errors.js';

interface BrokerOptions {
  broker?: BrokerKind;
  nodes?: { start: number };
  protected?: boolean;
  bridge?: string | true;
  port: number;
}

const program = createProgram('broker', 'Start an MQTT broker on localhost for the tutorial: Mosquitto with scripts/mosquitto.conf when it is installed, otherwise the embedded broker; or the nodes of another broker.', [
  { args: '', note: 'Mosquitto if installed, else the embedded broker, on localhost:1883' },
  { args: '--broker embedded', note: 'the embedded broker (sessions in memory)' },
  { args: '--port 1884', note: 'another port' },
  { env: 'MQTT_PASSWORD=choose-one', args: '--protected', note: 'only the users tutorial-producer and tutorial-consumer' },
  { args: '--bridge', note: 'an edge Mosquitto on localhost:1883 bridged to a central Mosquitto on a free port' },
  { args: '--bridge mqtt://central.example:1883', note: 'an edge Mosquitto bridged to your central broker' },
  { args: '--broker nats --nodes 3', note: 'a NATS JetStream cluster of 3 nodes on free ports (MQTT 3.1.1: use -V 4)' },
  { args: '--broker rabbitmq', note: 'a private RabbitMQ node with its MQTT plugin on a free port (MQTT 3.1.1: use -V 4)' },
  { args: '--broker rabbitmq-quorum --nodes 3', note: '3 RabbitMQ nodes keeping sessions in quorum queues' },
  { args: '--broker ejabberd --nodes 3', note: 'a private ejabberd cluster of 3 nodes (needs root: it runs as the ejabberd user)' },
])
  .addOption(new Option('--broker <kind>', 'the broker to start (default: mosquitto when installed, else embedded; nats, rabbitmq... and ejabberd on free ports of 127.0.0.1)').choices(brokerKinds))
  .addOption(nodesOption(maxNodes, `this many nodes (1 to ${maxNodes}) on free ports of 127.0.0.1, clustered; prints their MQTT URLs (nats, rabbitmq..., ejabberd)`))
  .addOption(
    new Option(
      '--protected',
      `Mosquitto with scripts/mosquitto-protected.conf: only the users ${protectedUsers.producer} (may publish to my_topic) and ${protectedUsers.consumer} (may subscribe to it), both with the password in MQTT_PASSWORD`,
    ),
  )
  .addOption(
    new Option(
      '--bridge [url]',
      'an edge Mosquitto on --port that forwards every topic (QoS 1, cleansession false, persistence on) to the central broker at URL (mqtt://), or, without URL, to a private central Mosquitto on a free port',
    ),
  )
  .addOption(new Option('-p, --port <port>', 'port to listen on (mosquitto, embedded)').argParser(integerIn(1, 65535, 'the port')).default(1883))
  .addHelpText(
    'after',
    '\nThe nodes of nats, rabbitmq and ejabberd run in a private folder with their own config and ports; killing a node by hand: kill -KILL PID (NATS), kill -KILL -- -GROUP (RabbitMQ, ejabberd: the whole process group).\n' +
      '\nExit status: 0 stopped with Ctrl+C, 1 could not start (e.g. the port is taken), 2 invalid usage.\n',
  );

/** The password of the protected broker's users: from the environment only, never the command line. */
function protectedPassword(): string {
  const password = process.env.MQTT_PASSWORD;
  if (!password) throw new UsageError(`--protected needs the users' password in the MQTT_PASSWORD variable (users ${protectedUsers.producer} and ${protectedUsers.consumer})`);
  return password;
}

runCommand('broker', async () => {
  if (!parseArguments(program, process.argv)) return ExitCode.ok;
  const options = program.opts<BrokerOptions>();
  const kind: BrokerKind = options.broker ?? (options.protected || options.bridge !== undefined || findMosquitto() !== undefined ? 'mosquitto' : 'embedded');
  const nodes = options.nodes?.start ?? 1;
  checkNodes(kind, nodes);
  if (options.protected && kind !== 'mosquitto') throw new UsageError(`--protected is a Mosquitto: it cannot be used with --broker ${kind}`);
  if (brokerEntry(kind).startsNodes && program.getOptionValueSource('port') === 'cli') {
    throw new UsageError(`--port is for mosquitto and embedded: the nodes of --broker ${kind} listen on free ports of 127.0.0.1, printed when they start`);
  }
  if (options.bridge !== undefined && kind !== 'mosquitto') throw new UsageError(`--bridge starts an edge Mosquitto: it cannot be used with --broker ${kind}`);
  if (options.bridge !== undefined && options.protected) throw new UsageError('--bridge and --protected cannot be used together: the edge Mosquitto lets anyone in');
  const password = options.protected ? protectedPassword() : undefined;
  const say = (lines: string[]): void => void process.stdout.write(lines.map((line) => `${line}\n`).join(''));
  // Listening from the start: a Ctrl+C while the broker starts stops it once it has, never half-way.
  const interrupted = new Promise<void>((resolveStop) => onInterrupt(() => resolveStop()));
  const { served, close } = await serveBroker({ kind, nodes, port: options.port, protectedPassword: password, bridgeTo: options.bridge }, () => say([startingLine(kind, nodes)]));
  say(startedLines(served, protectedUsers));
  await interrupted;
  await close();
  say([stoppedLine(served)]);
  return ExitCode.ok;
});
