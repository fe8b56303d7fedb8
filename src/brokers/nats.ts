/**
 * A private NATS server cluster (MQTT 3.1.1 on top of JetStream) on 127.0.0.1, with its data in a
 * temporary folder: one node, or several that route to each other, each of which can be killed,
 * paused, resumed and started again; or, partitionable, each node in a network namespace of its own
 * (private-network.ts), whose links can be cut.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrokerCluster, ClusterLinks, ClusterNode } from './cluster.js';
import { freePort, waitForPort } from './ports.js';
import { PrivateNetwork } from './private-network.js';
import { waitForMqttSession } from './ready.js';

export function findNatsServer(): string | undefined {
  for (const candidate of ['/usr/sbin/nats-server', '/usr/local/bin/nats-server', '/usr/bin/nats-server']) {
    if (existsSync(candidate)) return candidate;
  }
  const found = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

interface NodePorts {
  /** The address it listens on: 127.0.0.1, or its own in its namespace. */
  host: string;
  client: number;
  route: number;
  mqtt: number;
}

/** Output kept per node: enough to say why it stopped, bounded however long it runs. */
const keptLogChars = 64 * 1024;

export class NatsNode implements ClusterNode {
  private process: ChildProcess | undefined;
  log = '';

  constructor(
    /** 1-based, as people count nodes. */
    readonly index: number,
    readonly ports: NodePorts,
    private readonly configPath: string,
    /** Its namespace, when it runs in one. */
    private readonly network?: PrivateNetwork,
  ) {}

  get url(): string {
    return `mqtt://${this.ports.host}:${this.ports.mqtt}`;
  }

  get running(): boolean {
    const child = this.process;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  async start(binary: string): Promise<void> {
    if (this.running) return;
    // One OS thread for Go code per node: three nodes stay within a small machine's share.
    // `ip netns exec` becomes the server (exec), so the pid and the signals are the server's.
    const line = this.network ? this.network.inside(this.index, binary, ['-c', this.configPath]) : { command: binary, args: ['-c', this.configPath] };
    const child = spawn(line.command, line.args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GOMAXPROCS: '1' } });
    const keep = (d: Buffer): void => {
      this.log = (this.log + d.toString()).slice(-keptLogChars);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.process = child;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', () => reject(new Error(`nats-server node ${this.index} stopped at once: ${this.log.trim().split('\n').at(-1) ?? ''}`))),
    );
    exited.catch(() => {});
    await Promise.race([waitForPort(this.ports.mqtt, 10_000, this.ports.host), exited]);
  }

  /** A crash: the process ends without a word to its peers or clients. */
  async kill(): Promise<void> {
    await this.signalAndWait('SIGKILL');
  }

  /** A clean stop. */
  async stop(): Promise<void> {
    await this.signalAndWait('SIGTERM');
  }

  /** Freezes the node: its sockets stay open, nothing answers (a stalled machine, a long GC pause). */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  resume(): void {
    this.process?.kill('SIGCONT');
  }

  private async signalAndWait(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // A paused process must be woken to act on SIGTERM; SIGKILL works regardless.
    if (signal !== 'SIGKILL') child.kill('SIGCONT');
    child.kill(signal);
    await exited;
    this.process = undefined;
  }
}

export interface NatsClusterOptions {
  /** Number of nodes: 1 (a single server) or more (a cluster routed on 127.0.0.1). */
  size: number;
  /** Where the nodes keep their config and JetStream data (default: a new temporary folder, removed by dispose). */
  dir?: string;
  /** How many nodes keep each MQTT stream (stream_replicas; default: every node). */
  streamReplicas?: number;
  /** Each node in a network namespace of its own, so that its links can be cut (needs root). */
  partitionable?: boolean;
}

/** The ports of a node in a namespace of its own: the address is its own, so NATS's usual ports are free. */
const namespacePorts = { client: 4222, route: 6222, mqtt: 1883 };

export class NatsCluster implements BrokerCluster {
  readonly dir: string;
  readonly nodes: NatsNode[] = [];
  private readonly ownDir: boolean;
  private binary = '';
  private network: PrivateNetwork | undefined;

  constructor(private readonly options: NatsClusterOptions) {
    this.ownDir = options.dir === undefined;
    this.dir = options.dir ?? mkdtempSync(join(tmpdir(), 'mqtt-persistent-sessions-nats-'));
  }

  get urls(): string[] {
    return this.nodes.map((node) => node.url);
  }

  get description(): string {
    const where = this.network ? `, each node in a network namespace of its own` : '';
    return this.options.size === 1 ? `one NATS node${where}` : `a NATS cluster of ${this.options.size} nodes${where}`;
  }

  /** The names of its namespaces and bridge, when it has them. */
  get networkNames(): string[] {
    return this.network?.names ?? [];
  }

  get links(): ClusterLinks | undefined {
    const network = this.network;
    return network && { cut: (index, clientsToo) => network.cut(index, clientsToo), heal: (index) => network.heal(index) };
  }

  node(index: number): NatsNode {
    const node = this.nodes[index - 1];
    if (!node) throw new Error(`there is no node ${index} in a cluster of ${this.nodes.length}`);
    return node;
  }

  /** Starts every node and waits until each accepts an MQTT session (JetStream has its leaders). */
  async start(readyTimeoutMs = 60_000): Promise<this> {
    const binary = findNatsServer();
    if (!binary) throw new Error('nats-server is not installed (Debian, Ubuntu: sudo apt-get install nats-server)');
    this.binary = binary;
    if (this.options.partitionable) this.network = await PrivateNetwork.create(this.options.size);
    const network = this.network;
    const ports: NodePorts[] = [];
    for (let i = 0; i < this.options.size; i++) {
      ports.push(network ? { host: network.address(i + 1), ...namespacePorts } : { host: '127.0.0.1', client: await freePort(), route: await freePort(), mqtt: await freePort() });
    }
    ports.forEach((own, i) => {
      const index = i + 1;
      const configPath = join(this.dir, `node${index}.conf`);
      mkdirSync(join(this.dir, `node${index}`), { recursive: true });
      writeFileSync(configPath, nodeConfig(index, own, ports, join(this.dir, `node${index}`), this.options.streamReplicas));
      this.nodes.push(new NatsNode(index, own, configPath, network));
    });
    try {
      await Promise.all(this.nodes.map((node) => node.start(binary)));
      await this.waitUntilReady(readyTimeoutMs);
    } catch (error) {
      await this.dispose();
      throw error;
    }
    return this;
  }

  /** Starts a node that was killed or stopped, with its data as it left it, and waits until it takes sessions. */
  async restart(index: number, readyTimeoutMs = 30_000): Promise<void> {
    const node = this.node(index);
    await node.start(this.binary);
    await acceptsSessions(node.url, `ready-probe-${index}`, readyTimeoutMs);
  }

  async waitUntilReady(timeoutMs = 60_000): Promise<void> {
    await Promise.all(this.nodes.filter((node) => node.running).map((node) => acceptsSessions(node.url, `ready-probe-${node.index}`, timeoutMs)));
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill()));
    await this.network?.dispose();
    if (this.ownDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * One node's configuration. A cluster needs, per node, its own server_name and JetStream store_dir,
 * and routes to the others; `stream_replicas` is by default the cluster size so that the MQTT streams are
 * replicated on every node however many had joined when the first client connected. NATS 2.9 sends a
 * message again only once its `ack_wait` has passed (30 s by default), also when the session resumes on
 * another node, so values in flight at a node's death would come 30 s late, behind newer ones; 1 s
 * makes them come first after a failover.
 */
export function nodeConfig(index: number, own: NodePorts, all: NodePorts[], storeDir: string, streamReplicas = all.length): string {
  const lines = [
    `server_name: node${index}`,
    `listen: ${own.host}:${own.client}`,
    // Bounded: a test or a demo never needs more than this.
    `jetstream { store_dir: "${storeDir}", max_memory_store: 64MB, max_file_store: 1GB }`,
  ];
  if (all.length > 1) {
    const routes = all.filter((p) => p !== own).map((p) => `nats-route://${p.host}:${p.route}`);
    lines.push(`cluster { name: mqtt-persistent-sessions, listen: ${own.host}:${own.route}, routes: [${routes.join(', ')}] }`);
  }
  lines.push(`mqtt { listen: ${own.host}:${own.mqtt}, stream_replicas: ${streamReplicas}, ack_wait: "1s" }`, '');
  return lines.join('\n');
}

/** Waits until the node accepts an MQTT 3.1.1 connection with a session (the first ones fail while JetStream elects leaders). */
function acceptsSessions(url: string, clientId: string, timeoutMs: number): Promise<void> {
  return waitForMqttSession(url, clientId, timeoutMs, 'the NATS node');
}
