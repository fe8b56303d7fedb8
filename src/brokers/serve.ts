/**
 * The brokers the broker command serves on this machine: Mosquitto with the tutorial's config, the
 * protected Mosquitto, the embedded broker on a chosen port, or any kind of the catalogue with N nodes.
 * Returns what it started, as data; the command says it.
 */
import { accessSync, constants, mkdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import { CliError } from '../core/errors.js';
import type { Served, ServedBridge, ServedNodes } from '../core/events.js';
import { edgeMosquitto } from './bridge.js';
import { brokerEntry, type BrokerKind } from './catalogue.js';
import { findMosquitto, PrivateMosquitto, projectConfig } from './mosquitto.js';
import { freePort, portTaken } from './ports.js';
import { protectedMosquitto } from './protected.js';

export type { Served, ServedBridge, ServedLocal, ServedNodes } from '../core/events.js';

export interface BrokerRequest {
  kind: BrokerKind;
  nodes: number;
  /** Mosquitto and the embedded broker listen on localhost:port. */
  port: number;
  /** The protected Mosquitto, with this password for its users. */
  protectedPassword?: string;
  /** An edge Mosquitto bridged to this central broker's URL, or to a private central Mosquitto the command starts (true). */
  bridgeTo?: string | true;
}

export interface ServedBroker {
  served: Served;
  close: () => Promise<void>;
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

/** Starts a Mosquitto whose data lives in brokerDataDir(FOLDER); returns where, and how to stop it. */
async function serveMosquitto(folder: string, make: (dataDir: string) => PrivateMosquitto): Promise<{ dataDir: string; close: () => Promise<void> }> {
  const dataDir = brokerDataDir(folder);
  const mosquitto = await make(dataDir).start();
  const close = async (): Promise<void> => {
    await mosquitto.stop();
    rmSync(mosquitto.dir, { recursive: true, force: true });
  };
  return { dataDir, close };
}

/**
 * An edge Mosquitto on localhost:port, with the tutorial's config, forwarding every topic at QoS 1 with a
 * persistent session to the central broker: one at a URL, or a private central Mosquitto on a free port.
 */
async function serveBridge(port: number, bridgeTo: string | true): Promise<{ dataDir: string; bridge: ServedBridge; close: () => Promise<void> }> {
  let centre: { url: string; dataDir: string; close: () => Promise<void> } | undefined;
  if (bridgeTo === true) {
    const centrePort = await freePort();
    const started = await serveMosquitto('mosquitto-centre', (dir) => new PrivateMosquitto({ port: centrePort, config: projectConfig('mosquitto.conf'), persistenceLocation: dir }));
    centre = { url: `mqtt://127.0.0.1:${centrePort}`, ...started };
  }
  const bridge: ServedBridge = { name: 'mqtt-ps-edge', centre: centre?.url ?? (bridgeTo as string), centreDataDir: centre?.dataDir, topic: '#', qos: 1, cleanSession: false };
  try {
    const edge = await serveMosquitto('mosquitto-edge', (dir) =>
      edgeMosquitto({ bridge, persistence: true, port, listenHost: 'localhost', persistenceLocation: dir, config: projectConfig('mosquitto.conf') }),
    );
    const close = async (): Promise<void> => {
      await edge.close();
      await centre?.close();
    };
    return { dataDir: edge.dataDir, bridge, close };
  } catch (error) {
    await centre?.close();
    throw error;
  }
}

/** Starts the nodes of a kind of the catalogue; starting() is called once they are about to start. */
async function serveNodes(request: BrokerRequest, starting: () => void): Promise<ServedBroker> {
  const entry = brokerEntry(request.kind);
  const missing = entry.missing();
  if (missing) throw new CliError(`--broker ${request.kind}: ${missing}`);
  starting();
  const started = await entry.start(request.nodes);
  const cluster = started.cluster!;
  const served: ServedNodes & { started: 'nodes' } = {
    started: 'nodes',
    kind: request.kind,
    description: cluster.description,
    protocolVersions: entry.protocolVersions,
    dir: cluster.dir,
    nodes: cluster.nodes.map((node) => ({ index: node.index, url: node.url, pid: node.pid })),
    urls: cluster.urls,
  };
  return { served, close: () => started.close() };
}

/**
 * Starts the broker asked for: Mosquitto or the embedded broker on localhost:port, or the nodes of
 * another kind on free ports of 127.0.0.1. starting() is called before a start that takes a while.
 */
export async function serveBroker(request: BrokerRequest, starting: () => void = () => {}): Promise<ServedBroker> {
  if (brokerEntry(request.kind).startsNodes) return serveNodes(request, starting);
  if (await portTaken(request.port)) {
    throw new CliError(
      `port ${request.port} is already taken: often the system's Mosquitto service, which works for the tutorial as it is (it keeps only 1000 messages per offline client); or choose --port`,
    );
  }
  const mosquittoInstalled = findMosquitto() !== undefined;
  const local = { port: request.port, mosquittoInstalled };
  const password = request.protectedPassword;
  if (request.kind === 'mosquitto') {
    if (!mosquittoInstalled) {
      throw new CliError(password === undefined ? `--broker mosquitto: ${brokerEntry('mosquitto').missing()}` : 'the protected broker needs Mosquitto (Debian, Ubuntu: sudo apt-get install mosquitto)');
    }
    if (request.bridgeTo !== undefined) {
      const { dataDir, bridge, close } = await serveBridge(request.port, request.bridgeTo);
      return { served: { started: 'local', kind: 'mosquitto', protected: false, dataDir, bridge, ...local }, close };
    }
    const { dataDir, close } =
      password === undefined
        ? await serveMosquitto('mosquitto', (dir) => new PrivateMosquitto({ port: request.port, config: projectConfig('mosquitto.conf'), listenHost: 'localhost', persistenceLocation: dir }))
        : await serveMosquitto('mosquitto-protected', (dir) => protectedMosquitto({ password, port: request.port, listenHost: 'localhost', dataDir: dir }));
    return { served: { started: 'local', kind: 'mosquitto', protected: password !== undefined, dataDir, ...local }, close };
  }
  const { startEmbeddedBroker } = await import('./embedded.js');
  const embedded = await startEmbeddedBroker(request.port, 'localhost');
  return { served: { started: 'local', kind: 'embedded', protected: false, ...local }, close: () => embedded.close() };
}
