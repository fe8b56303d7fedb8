#!/usr/bin/env node
/** A broker on localhost for following the tutorial by hand: Mosquitto when installed, else the embedded one. */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Option } from 'commander';
import { createProgram, integerIn, onInterrupt, parseArguments } from './cli/program.js';
import { CliError, ExitCode, UsageError } from './core/errors.js';
import { runCommand } from './cli/run.js';
import { findMosquitto, PrivateMosquitto, projectConfig } from './brokers/mosquitto.js';
import { waitForPort } from './brokers/ports.js';
import { packageRoot } from './cli/package.js';
import { protectedMosquitto, protectedUsers } from './brokers/protected.js';
import type { BrokerCluster } from './brokers/cluster.js';

interface BrokerOptions {
  embedded?: boolean;
  protected?: boolean;
  port: number;
  cluster?: number;
  nats?: boolean;
  rabbitmq?: boolean;
  quorum?: boolean;
  ejabberd?: boolean;
}

const program = createProgram('broker', 'Start an MQTT broker on localhost for the tutorial: Mosquitto with scripts/mosquitto.conf when it is installed, otherwise the embedded broker.', [
  { args: '', note: 'Mosquitto if installed, else the embedded broker, on localhost:1883' },
  { args: '--embedded', note: 'the embedded broker (sessions in memory)' },
  { args: '--port 1884', note: 'another port' },
  { env: 'MQTT_PASSWORD=choose-one', args: '--protected', note: 'only the users tutorial-producer and tutorial-consumer' },
  { args: '--cluster 3', note: 'a NATS JetStream cluster of 3 nodes on free ports (MQTT 3.1.1: use -V 4)' },
  { args: '--rabbitmq', note: 'a private RabbitMQ node with its MQTT plugin on a free port (MQTT 3.1.1: use -V 4)' },
  { args: '--rabbitmq --cluster 3 --quorum', note: '3 RabbitMQ nodes keeping sessions in quorum queues' },
  { args: '--ejabberd --cluster 3', note: 'a private ejabberd cluster of 3 nodes (needs root: it runs as the ejabberd user)' },
])
  .addOption(new Option('--embedded', 'use the embedded broker even when Mosquitto is installed').conflicts('protected'))
  .addOption(
    new Option(
      '--protected',
      `Mosquitto with scripts/mosquitto-protected.conf: only the users ${protectedUsers.producer} (may publish to my_topic) and ${protectedUsers.consumer} (may subscribe to it), both with the password in MQTT_PASSWORD`,
    ),
  )
  .addOption(new Option('-p, --port <port>', 'port to listen on').argParser(integerIn(1, 65535, 'the port')).default(1883))
  .addOption(
    new Option('--cluster <nodes>', 'this many nodes (1 to 5) on free ports of 127.0.0.1, clustered; prints their MQTT URLs (NATS with JetStream unless --rabbitmq or --ejabberd)')
      .argParser(integerIn(1, 5, 'the cluster size'))
      .conflicts(['embedded', 'protected', 'port']),
  )
  .addOption(new Option('--nats', 'a private NATS server (one node unless --cluster)').conflicts(['embedded', 'protected', 'port', 'rabbitmq', 'ejabberd']))
  .addOption(new Option('--rabbitmq', 'a private RabbitMQ with its MQTT plugin (one node unless --cluster); its default classic queues').conflicts(['embedded', 'protected', 'port', 'ejabberd']))
  .addOption(new Option('--quorum', "with --rabbitmq: sessions' subscriptions in quorum queues, replicated on every node"))
  .addOption(new Option('--ejabberd', 'a private ejabberd with mod_mqtt (one node unless --cluster); any user name and password log in').conflicts(['embedded', 'protected', 'port']))
  .addHelpText(
    'after',
    '\nThe nodes of --cluster, --nats, --rabbitmq and --ejabberd run in a private folder with their own config and ports; killing a node by hand: kill -KILL PID (NATS), kill -KILL -- -GROUP (RabbitMQ, ejabberd: the whole process group).\n' +
      '\nExit status: 0 stopped with Ctrl+C, 1 could not start (e.g. the port is taken), 2 invalid usage.\n',
  );

/** The password of the protected broker's users: from the environment only, never the command line. */
function protectedPassword(): string {
  const password = process.env.MQTT_PASSWORD;
  if (!password) throw new UsageError(`--protected needs the users' password in the MQTT_PASSWORD variable (users ${protectedUsers.producer} and ${protectedUsers.consumer})`);
  return password;
}

/** Starts a Mosquitto whose data lives in .state/FOLDER, says so, and returns how to stop it. */
async function serveMosquitto(folder: string, make: (dataDir: string) => PrivateMosquitto, banner: string[]): Promise<() => Promise<void>> {
  const dataDir = join(packageRoot, '.state', folder);
  mkdirSync(dataDir, { recursive: true });
  const mosquitto = await make(dataDir).start();
  process.stdout.write(banner.map((line) => `${line}\n`).join(''));
  return async () => {
    await mosquitto.stop();
    rmSync(mosquitto.dir, { recursive: true, force: true });
  };
}

async function portTaken(port: number): Promise<boolean> {
  try {
    await waitForPort(port, 200);
    return true;
  } catch {
    return false;
  }
}

/** Starts a private NATS, RabbitMQ or ejabberd node or cluster, says where its nodes listen, and returns how to stop it. */
async function serveCluster(options: BrokerOptions): Promise<() => Promise<void>> {
  const size = options.cluster ?? 1;
  const nodes = `${size} node${size === 1 ? '' : 's'}`;
  let cluster: BrokerCluster;
  let protocol: string;
  if (options.rabbitmq) {
    const { findRabbitmqServer, RabbitCluster } = await import('./brokers/rabbitmq.js');
    if (findRabbitmqServer() === undefined) throw new CliError('--rabbitmq needs RabbitMQ (Debian, Ubuntu: sudo apt-get install rabbitmq-server)');
    process.stdout.write(`Starting RabbitMQ, ${nodes} (about 10 s on a first start)...\n`);
    cluster = await new RabbitCluster({ size, queueType: options.quorum ? 'quorum' : 'classic' }).start();
    protocol = 'It speaks MQTT 3.1.1 only (RabbitMQ 3.10). Try:';
  } else if (options.ejabberd) {
    const { EjabberdCluster, ejabberdMissing } = await import('./brokers/ejabberd.js');
    const missing = ejabberdMissing();
    if (missing) throw new CliError(`--ejabberd: ${missing}`);
    process.stdout.write(`Starting ejabberd, ${nodes}...\n`);
    cluster = await new EjabberdCluster({ size }).start();
    protocol = 'It speaks MQTT 5 and 3.1.1; its anonymous login wants some user name and password, given in the URLs. Try:';
  } else {
    const { findNatsServer, NatsCluster } = await import('./brokers/nats.js');
    if (findNatsServer() === undefined) throw new CliError('--cluster needs nats-server (Debian, Ubuntu: sudo apt-get install nats-server)');
    process.stdout.write(`Starting a NATS cluster of ${nodes} (JetStream elects its leaders: a few seconds)...\n`);
    cluster = await new NatsCluster({ size }).start();
    protocol = 'It speaks MQTT 3.1.1 only. Try:';
  }
  const version = options.ejabberd ? '' : '-V 4 ';
  const lines = cluster.nodes.map((node) => `  node ${node.index}: ${node.url}  (${options.rabbitmq || options.ejabberd ? `process group ${String(node.pid)}` : `pid ${String(node.pid)}`})`);
  process.stdout.write(
    [
      `${cluster.description[0]!.toUpperCase()}${cluster.description.slice(1)} on 127.0.0.1, data in ${cluster.dir} (removed when it stops). Ctrl+C stops it.`,
      ...lines,
      protocol,
      `  npm run consumer -- ${version}--id my-consumer --url ${cluster.urls.join(',')}`,
      `  npm run producer -- ${version}--url ${[...cluster.urls.slice(1), cluster.urls[0]].join(',')}`,
      '',
    ].join('\n'),
  );
  return () => cluster.dispose();
}

runCommand('broker', async () => {
  if (!parseArguments(program, process.argv)) return ExitCode.ok;
  const options = program.opts<BrokerOptions>();
  if (options.quorum && !options.rabbitmq) throw new UsageError('--quorum needs --rabbitmq');
  // Listening from the start: a Ctrl+C while the broker starts stops it once it has, never half-way.
  const interrupted = new Promise<void>((resolveStop) => onInterrupt(() => resolveStop()));
  if (options.cluster !== undefined || options.nats || options.rabbitmq || options.ejabberd) {
    const close = await serveCluster(options);
    await interrupted;
    await close();
    process.stdout.write('Cluster stopped.\n');
    return ExitCode.ok;
  }
  const password = options.protected ? protectedPassword() : undefined;
  if (await portTaken(options.port)) {
    throw new CliError(
      `port ${options.port} is already taken: often the system's Mosquitto service, which works for the tutorial as it is (it keeps only 1000 messages per offline client); or choose --port`,
    );
  }
  const useMosquitto = !options.embedded && findMosquitto() !== undefined;
  let close: () => Promise<void>;
  if (password !== undefined) {
    if (!useMosquitto) throw new CliError('the protected broker needs Mosquitto (Debian, Ubuntu: sudo apt-get install mosquitto)');
    close = await serveMosquitto('mosquitto-protected', (dataDir) => protectedMosquitto({ password, port: options.port, listenHost: 'localhost', dataDir }), [
      `Protected Mosquitto on localhost:${options.port}, with scripts/mosquitto-protected.conf: users ${protectedUsers.producer} and ${protectedUsers.consumer}, password from MQTT_PASSWORD. Ctrl+C stops it.`,
    ]);
  } else if (useMosquitto) {
    close = await serveMosquitto(
      'mosquitto',
      (dataDir) => new PrivateMosquitto({ port: options.port, config: projectConfig('mosquitto.conf'), listenHost: 'localhost', persistenceLocation: dataDir }),
      [
        `Mosquitto on localhost:${options.port}, with scripts/mosquitto.conf (persistence in .state/mosquitto/). Ctrl+C stops it.`,
        'For the embedded broker instead: npm run broker -- --embedded',
      ],
    );
  } else {
    // Aedes is loaded only when it is the broker chosen.
    const { startEmbeddedBroker } = await import('./brokers/embedded.js');
    const embedded = await startEmbeddedBroker(options.port, 'localhost');
    process.stdout.write(`The embedded broker (Aedes) on localhost:${options.port}; sessions live in memory, until it stops. Ctrl+C stops it.\n`);
    process.stdout.write(
      findMosquitto() === undefined
        ? 'For Mosquitto instead: sudo apt-get install mosquitto, then npm run broker\n'
        : 'For Mosquitto instead (sessions kept on disk): npm run broker, without --embedded\n',
    );
    close = () => embedded.close();
  }
  await interrupted;
  await close();
  process.stdout.write('Broker stopped.\n');
  return ExitCode.ok;
});
