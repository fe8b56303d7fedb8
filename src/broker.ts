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

interface BrokerOptions {
  embedded?: boolean;
  protected?: boolean;
  port: number;
  cluster?: number;
}

const program = createProgram('broker', 'Start an MQTT broker on localhost for the tutorial: Mosquitto with scripts/mosquitto.conf when it is installed, otherwise the embedded broker.', [
  { args: '', note: 'Mosquitto if installed, else the embedded broker, on localhost:1883' },
  { args: '--embedded', note: 'the embedded broker (sessions in memory)' },
  { args: '--port 1884', note: 'another port' },
  { env: 'MQTT_PASSWORD=choose-one', args: '--protected', note: 'only the users tutorial-producer and tutorial-consumer' },
  { args: '--cluster 3', note: 'a NATS JetStream cluster of 3 nodes on free ports (MQTT 3.1.1: use -V 4)' },
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
    new Option('--cluster <nodes>', 'a NATS server cluster of this many nodes (1 to 5) on free ports of 127.0.0.1, with JetStream; prints their MQTT URLs')
      .argParser(integerIn(1, 5, 'the cluster size'))
      .conflicts(['embedded', 'protected', 'port']),
  )
  .addHelpText('after', '\nExit status: 0 stopped with Ctrl+C, 1 could not start (e.g. the port is taken), 2 invalid usage.\n');

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

/** Starts a private NATS cluster, says where its nodes listen, and returns how to stop it. */
async function serveNatsCluster(size: number): Promise<() => Promise<void>> {
  const { findNatsServer, NatsCluster } = await import('./brokers/nats.js');
  if (findNatsServer() === undefined) throw new CliError('--cluster needs nats-server (Debian, Ubuntu: sudo apt-get install nats-server)');
  process.stdout.write(`Starting a NATS cluster of ${size} node${size === 1 ? '' : 's'} (JetStream elects its leaders: a few seconds)...\n`);
  const cluster = await new NatsCluster({ size }).start();
  const lines = cluster.nodes.map((node) => `  node ${node.index}: ${node.url}  (pid ${node.pid})`);
  process.stdout.write(
    [
      `NATS cluster of ${size} on 127.0.0.1, data in ${cluster.dir} (removed when it stops). Ctrl+C stops it.`,
      ...lines,
      'It speaks MQTT 3.1.1 only. Try:',
      `  npm run consumer -- -V 4 --id my-consumer --url ${cluster.urls.join(',')}`,
      `  npm run producer -- -V 4 --url ${[...cluster.urls.slice(1), cluster.urls[0]].join(',')}`,
      '',
    ].join('\n'),
  );
  return () => cluster.dispose();
}

runCommand('broker', async () => {
  if (!parseArguments(program, process.argv)) return ExitCode.ok;
  const options = program.opts<BrokerOptions>();
  // Listening from the start: a Ctrl+C while the broker starts stops it once it has, never half-way.
  const interrupted = new Promise<void>((resolveStop) => onInterrupt(() => resolveStop()));
  if (options.cluster !== undefined) {
    const close = await serveNatsCluster(options.cluster);
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
