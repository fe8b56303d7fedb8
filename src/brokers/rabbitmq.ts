/**
 * A private RabbitMQ (Debian's rabbitmq-server, with its MQTT plugin) on 127.0.0.1: one node, or a
 * cluster whose nodes join the first at their first boot, each with its own config, data, logs and
 * ports in a temporary folder; never the package's default instance. RabbitMQ 3.10 speaks MQTT 3.1.1.
 * Partitionable, each node runs in a network namespace of its own (private-network.ts), named by its
 * address (long names), with its own epmd there.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ClusterLinks } from './cluster.js';
import { control, ErlangCluster, ErlangNode, stopEpmd, writeCookie } from './erlang.js';
import { freePort } from './ports.js';
import { PrivateNetwork } from './private-network.js';

/**
 * The server script that runs as the calling user: /usr/sbin/rabbitmq-server switches to the rabbitmq
 * user, which could not write to a private folder.
 */
export function findRabbitmqServer(): string | undefined {
  const base = '/usr/lib/rabbitmq/lib';
  if (!existsSync(base)) return undefined;
  const release = readdirSync(base).filter((name) => name.startsWith('rabbitmq_server-')).sort().at(-1);
  const script = release && join(base, release, 'sbin', 'rabbitmq-server');
  return script && existsSync(script) ? script : undefined;
}

/**
 * Where MQTT subscriptions of persistent sessions live: RabbitMQ's default classic queues (on one node),
 * classic queues mirrored on every node by a policy (ha-mode all, synchronised automatically), or
 * quorum queues replicated on every node.
 */
export type RabbitQueueType = 'classic' | 'mirrored' | 'quorum';

export interface RabbitClusterOptions {
  size: number;
  queueType?: RabbitQueueType;
  /**
   * Each node in a network namespace of its own, so that its links can be cut (needs root): the nodes
   * are named by their addresses (long names), each namespace has its own epmd on the usual port.
   */
  partitionable?: boolean;
}

/** The ports of a node in a namespace of its own, free there: RabbitMQ's usual ones. */
const namespacePorts = { amqp: 5672, dist: 25672, mqtt: 1883, epmd: 4369 };

/** First start: about 9 s to accept MQTT on a quiet 2-core machine, more when it is busy. */
const readyTimeoutMs = 90_000;

export class RabbitCluster extends ErlangCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'mqtt-persistent-sessions-rabbitmq-'));
  private network: PrivateNetwork | undefined;

  constructor(private readonly options: RabbitClusterOptions) {
    super(readyTimeoutMs);
  }

  get queueType(): RabbitQueueType {
    return this.options.queueType ?? 'classic';
  }

  get description(): string {
    const queues = this.queueType === 'quorum' ? ', quorum queues' : this.queueType === 'mirrored' ? ', mirrored classic queues' : '';
    const where = this.network ? ', each node in a network namespace of its own' : '';
    return this.options.size === 1 ? `one RabbitMQ node${queues}${where}` : `a RabbitMQ cluster of ${this.options.size} nodes${queues}${where}`;
  }

  get links(): ClusterLinks | undefined {
    const network = this.network;
    return network && { cut: (index, clientsToo) => network.cut(index, clientsToo), heal: (index) => network.heal(index) };
  }

  /** Starts node 1, then the others one by one, each joining the cluster as it boots; waits until every node accepts MQTT. */
  async start(): Promise<this> {
    const script = findRabbitmqServer();
    if (!script) throw new Error('RabbitMQ is not installed (Debian, Ubuntu: sudo apt-get install rabbitmq-server)');
    if (this.options.partitionable) this.network = await PrivateNetwork.create(this.options.size);
    const network = this.network;
    this.epmdPort = network ? namespacePorts.epmd : await freePort();
    writeCookie(this.dir);
    const host = (index: number): string => network?.address(index) ?? 'localhost';
    const names = Array.from({ length: this.options.size }, (_, i) => `n${i + 1}@${host(i + 1)}`);
    for (const [i, name] of names.entries()) {
      const index = i + 1;
      const ports = network ? namespacePorts : { amqp: await freePort(), dist: await freePort(), mqtt: await freePort() };
      const address = network?.address(index) ?? '127.0.0.1';
      const own = join(this.dir, `node${index}`);
      mkdirSync(own, { recursive: true });
      writeFileSync(join(own, 'rabbitmq.conf'), this.config(ports, names, address));
      writeFileSync(join(own, 'enabled_plugins'), '[rabbitmq_mqtt].\n');
      writeFileSync(join(own, 'rabbitmq-env.conf'), '');
      const env = {
        // Shared by the nodes of the cluster: the Erlang cookie lives there.
        HOME: this.dir,
        RABBITMQ_NODENAME: name,
        RABBITMQ_CONFIG_FILE: join(own, 'rabbitmq.conf'),
        RABBITMQ_ADVANCED_CONFIG_FILE: join(own, 'advanced.config'),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(own, 'enabled_plugins'),
        RABBITMQ_CONF_ENV_FILE: join(own, 'rabbitmq-env.conf'),
        RABBITMQ_MNESIA_BASE: join(own, 'mnesia'),
        RABBITMQ_LOG_BASE: join(own, 'log'),
        RABBITMQ_PID_FILE: join(own, 'rabbitmq.pid'),
        RABBITMQ_NODE_PORT: String(ports.amqp),
        RABBITMQ_DIST_PORT: String(ports.dist),
        ERL_EPMD_PORT: String(this.epmdPort),
        // One scheduler, no busy waiting: several nodes share a small machine with other work.
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '+S 1:1 +sbwt none +sbwtdcpu none +sbwtdio none',
        ...(network ? { RABBITMQ_USE_LONGNAME: 'true' } : {}),
      };
      const launch = network ? network.inside(index, script, []) : { command: script, args: [] };
      this.nodes.push(new ErlangNode(index, 'RabbitMQ', ports.mqtt, { ...launch, env, cwd: own }, '', address));
    }
    try {
      await this.boot(this.nodes.slice(0, 1));
      // One at a time: two nodes booting together may each try to join the other rather than node 1,
      // and wait for each other's tables (a 3-node start once stalled for 90 s that way).
      for (const node of this.nodes.slice(1)) await this.boot([node]);
      if (this.queueType === 'mirrored') await this.mirrorSessionQueues(script, names[0]!);
    } catch (error) {
      await this.dispose();
      throw error;
    }
    return this;
  }

  /**
   * The policy that mirrors every MQTT subscription queue on all nodes, set through node 1 (kept in the
   * cluster's data); in a namespace, from inside it (its epmd is there) and by its long name.
   */
  private async mirrorSessionQueues(serverScript: string, node: string): Promise<void> {
    const policy = JSON.stringify({ 'ha-mode': 'all', 'ha-sync-mode': 'automatic' });
    const ctl = join(dirname(serverScript), 'rabbitmqctl');
    const args = [...(this.network ? ['--longnames'] : []), '-n', node, 'set_policy', 'mqtt-mirrored', '^mqtt-subscription-', policy, '--apply-to', 'queues'];
    const launch = this.network ? this.network.inside(1, ctl, args) : { command: ctl, args };
    const env = { HOME: this.dir, ERL_EPMD_PORT: String(this.epmdPort), RABBITMQ_CONF_ENV_FILE: join(this.dir, 'node1', 'rabbitmq-env.conf') };
    await control({ ...launch, env }, 60_000);
  }

  private config(ports: { amqp: number; mqtt: number }, names: string[], address: string): string {
    const lines = [
      `listeners.tcp.default = ${address}:${ports.amqp}`,
      `mqtt.listeners.tcp.default = ${address}:${ports.mqtt}`,
      'mqtt.allow_anonymous = true',
      'loopback_users = none',
      `mqtt.durable_queue_type = ${this.queueType === 'quorum' ? 'quorum' : 'classic'}`,
    ];
    if (names.length > 1) {
      lines.push('cluster_formation.peer_discovery_backend = classic_config');
      names.forEach((name, i) => lines.push(`cluster_formation.classic_config.nodes.${i + 1} = ${name}`));
    }
    return `${lines.join('\n')}\n`;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill()));
    // In namespaces each epmd is there, ended with them (never the machine's on 4369).
    if (this.network) await this.network.dispose();
    else if (this.epmdPort) stopEpmd(this.epmdPort);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
