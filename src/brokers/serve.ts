/**
 * The brokers the broker command serves on this machine: Mosquitto with the tutorial's config, the
 * protected Mosquitto, the embedded broker, or a private NATS, RabbitMQ or ejabberd node or cluster.
 * Each says where it listens and how to stop it.
 */
import { accessSync, constants, mkdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { commandLine } from '../cli/invocation.js';
import { packageRoot } from '../cli/package.js';
import { CliError, UsageError } from '../core/errors.js';
import type { BrokerCluster } from './cluster.js';
import { findMosquitto, PrivateMosquitto, projectConfig } from './mosquitto.js';
import { portTaken } from './ports.js';
import { protectedMosquitto, protectedUsers } from './protected.js';

export interface BrokerOptions {
  embedded?: boolean;
  protected?: boolean;
  port: number;
  cluster?: number;
  nats?: boolean;
  rabbitmq?: boolean;
  quorum?: boolean;
  mirrored?: boolean;
  ejabberd?: boolean;
}

export interface ServedBroker {
  /** "Broker" or "Cluster", for the line said when it stops. */
  what: string;
  close: () => Promise<void>;
}

/** The password of the protected broker's users: from the environment only, never the command line. */
function protectedPassword(): string {
  const password = process.env.MQTT_PASSWORD;
  if (!password) throw new UsageError(`--protected needs the users' password in the MQTT_PASSWORD variable (users ${protectedUsers.producer} and ${protectedUsers.consumer})`);
  return password;
}

/**
 * Where a served Mosquitto keeps its data: .state/FOLDER in the project (a clone), or, where that
 * cannot be written (a package installed for all users), under $XDG_STATE_HOME or ~/.local/state.
 */
function brokerDataDir(folder: string, env = process.env): string {
  const inProject = join(packageRoot, '.state', folder);
  try {
    mkdirSync(inProject, { recursive: true });
    accessSync(inProject, constants.W_OK);
    return inProject;
  } catch {
    const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
    const own = join(base, 'mqtt-persistent-sessions', 'brokers', folder);
    mkdirSync(own, { recursive: true });
    return own;
  }
}

/** How a data folder is named to the user: relative to the project when it is inside it. */
function shownDir(dir: string): string {
  const inside = relative(packageRoot, dir);
  return inside.startsWith('..') ? dir : `${inside}/`;
}

/** Starts a Mosquitto whose data lives in brokerDataDir(FOLDER), says so, and returns how to stop it. */
async function serveMosquitto(folder: string, make: (dataDir: string) => PrivateMosquitto, banner: (dataDir: string) => string[]): Promise<() => Promise<void>> {
  const dataDir = brokerDataDir(folder);
  const mosquitto = await make(dataDir).start();
  process.stdout.write(banner(shownDir(dataDir)).map((line) => `${line}\n`).join(''));
  return async () => {
    await mosquitto.stop();
    rmSync(mosquitto.dir, { recursive: true, force: true });
  };
}

/** Starts a private NATS, RabbitMQ or ejabberd node or cluster, says where its nodes listen, and returns how to stop it. */
async function serveCluster(options: BrokerOptions): Promise<() => Promise<void>> {
  const size = options.cluster ?? 1;
  const nodes = `${size} node${size === 1 ? '' : 's'}`;
  let cluster: BrokerCluster;
  let protocol: string;
  if (options.rabbitmq) {
    const { findRabbitmqServer, RabbitCluster } = await import('./rabbitmq.js');
    if (findRabbitmqServer() === undefined) throw new CliError('--rabbitmq needs RabbitMQ (Debian, Ubuntu: sudo apt-get install rabbitmq-server)');
    process.stdout.write(`Starting RabbitMQ, ${nodes} (about 10 s on a first start)...\n`);
    cluster = await new RabbitCluster({ size, queueType: options.quorum ? 'quorum' : options.mirrored ? 'mirrored' : 'classic' }).start();
    protocol = 'It speaks MQTT 3.1.1 only (RabbitMQ 3.10). Try:';
  } else if (options.ejabberd) {
    const { EjabberdCluster, ejabberdMissing } = await import('./ejabberd.js');
    const missing = ejabberdMissing();
    if (missing) throw new CliError(`--ejabberd: ${missing}`);
    process.stdout.write(`Starting ejabberd, ${nodes}...\n`);
    cluster = await new EjabberdCluster({ size }).start();
    protocol = 'It speaks MQTT 5 and 3.1.1; its anonymous login wants some user name and password, given in the URLs. Try:';
  } else {
    const { findNatsServer, NatsCluster } = await import('./nats.js');
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
      `  ${commandLine('consumer', `${version}--id my-consumer --url ${cluster.urls.join(',')}`)}`,
      `  ${commandLine('producer', `${version}--url ${[...cluster.urls.slice(1), cluster.urls[0]].join(',')}`)}`,
      '',
    ].join('\n'),
  );
  return () => cluster.dispose();
}

/** Starts the broker the options ask for, on localhost or, for a cluster, on free ports of 127.0.0.1. */
export async function serveBroker(options: BrokerOptions): Promise<ServedBroker> {
  if (options.cluster !== undefined || options.nats || options.rabbitmq || options.ejabberd) {
    return { what: 'Cluster', close: await serveCluster(options) };
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
    close = await serveMosquitto('mosquitto-protected', (dataDir) => protectedMosquitto({ password, port: options.port, listenHost: 'localhost', dataDir }), (dir) => [
      `Protected Mosquitto on localhost:${options.port}, with scripts/mosquitto-protected.conf (data in ${dir}): users ${protectedUsers.producer} and ${protectedUsers.consumer}, password from MQTT_PASSWORD. Ctrl+C stops it.`,
    ]);
  } else if (useMosquitto) {
    close = await serveMosquitto(
      'mosquitto',
      (dataDir) => new PrivateMosquitto({ port: options.port, config: projectConfig('mosquitto.conf'), listenHost: 'localhost', persistenceLocation: dataDir }),
      (dir) => [
        `Mosquitto on localhost:${options.port}, with scripts/mosquitto.conf (persistence in ${dir}). Ctrl+C stops it.`,
        `For the embedded broker instead: ${commandLine('broker', '--embedded')}`,
      ],
    );
  } else {
    // Aedes is loaded only when it is the broker chosen.
    const { startEmbeddedBroker } = await import('./embedded.js');
    const embedded = await startEmbeddedBroker(options.port, 'localhost');
    process.stdout.write(`The embedded broker (Aedes) on localhost:${options.port}; sessions live in memory, until it stops. Ctrl+C stops it.\n`);
    process.stdout.write(
      findMosquitto() === undefined
        ? `For Mosquitto instead: sudo apt-get install mosquitto, then ${commandLine('broker', '')}\n`
        : `For Mosquitto instead (sessions kept on disk): ${commandLine('broker', '')}, without --embedded\n`,
    );
    close = () => embedded.close();
  }
  return { what: 'Broker', close };
}
