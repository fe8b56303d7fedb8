/**
 * A private RabbitMQ (Debian's rabbitmq-server, with its MQTT plugin) on 127.0.0.1: one node, or a
 * cluster whose nodes join the first at their first boot, each with its own config, data, logs and
 * ports in a temporary folder; never the package's default instance. RabbitMQ 3.10 speaks MQTT 3.1.1.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { control, ErlangCluster, ErlangNode, stopEpmd, writeCookie } from './erlang.js';
import { freePort } from './ports.js';

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
}

/** First start: about 9 s to accept MQTT on a quiet 2-core machine, more when it is busy. */
const readyTimeoutMs = 90_000;

export class RabbitCluster extends ErlangCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'mqtt-persistent-sessions-rabbitmq-'));

  constructor(private readonly options: RabbitClusterOptions) {
    super(readyTimeoutMs);
  }

  get queueType(): RabbitQueueType {
    return this.options.queueType ?? 'classic';
  }

  get description(): string {
    const queues = this.queueType === 'quorum' ? ', quorum queues' : this.queueType === 'mirrored' ? ', mirrored classic queues' : '';
    return this.options.size === 1 ? `one RabbitMQ node${queues}` : `a RabbitMQ cluster of ${this.options.size} nodes${queues}`;
  }

  /** Starts node 1, then the others one by one, each joining the cluster as it boots; waits until every node accepts MQTT. */
  async start(): Promise<this> {
    const script = findRabbitmqServer();
    if (!script) throw new Error('RabbitMQ is not installed (Debian, Ubuntu: sudo apt-get install rabbitmq-server)');
    this.epmdPort = await freePort();
    writeCookie(this.dir);
    const names = Array.from({ length: this.options.size }, (_, i) => `n${i + 1}@localhost`);
    for (const [i, name] of names.entries()) {
      const index = i + 1;
      const ports = { amqp: await freePort(), dist: await freePort(), mqtt: await freePort() };
      const own = join(this.dir, `node${index}`);
      mkdirSync(own, { recursive: true });
      writeFileSync(join(own, 'rabbitmq.conf'), this.config(ports, names));
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
      };
      this.nodes.push(new ErlangNode(index, 'RabbitMQ', ports.mqtt, { command: script, args: [], env, cwd: own }));
    }
    try {
      await this.boot(this.nodes.slice(0, 1));
      // One at a time: two nodes booting together may each try to join the other rather than node 1,
      // and wait for each other's tables (a 3-node start once stalled for 90 s that way).
      for (const node of this.nodes.slice(1)) await this.boot([node]);
      if (this.queueType === 'mirrored') await this.mirrorSessionQueues(script);
    } catch (error) {
      await this.dispose();
      throw error;
    }
    return this;
  }

  /** The policy that mirrors every MQTT subscription queue on all nodes, set through node 1 (kept in the cluster's data). */
  private async mirrorSessionQueues(serverScript: string): Promise<void> {
    const policy = JSON.stringify({ 'ha-mode': 'all', 'ha-sync-mode': 'automatic' });
    await control(
      {
        command: join(dirname(serverScript), 'rabbitmqctl'),
        args: ['-n', 'n1@localhost', 'set_policy', 'mqtt-mirrored', '^mqtt-subscription-', policy, '--apply-to', 'queues'],
        env: { HOME: this.dir, ERL_EPMD_PORT: String(this.epmdPort), RABBITMQ_CONF_ENV_FILE: join(this.dir, 'node1', 'rabbitmq-env.conf') },
      },
      60_000,
    );
  }

  private config(ports: { amqp: number; mqtt: number }, names: string[]): string {
    const lines = [
      `listeners.tcp.default = 127.0.0.1:${ports.amqp}`,
      `mqtt.listeners.tcp.default = 127.0.0.1:${ports.mqtt}`,
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
    if (this.epmdPort) stopEpmd(this.epmdPort);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
