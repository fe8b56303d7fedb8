/**
 * A private ejabberd (Debian's package, its mod_mqtt) on 127.0.0.1: one node, or a cluster whose nodes
 * join the first with `ejabberdctl join_cluster`, each with its own config, spool and logs in a
 * temporary folder owned by the ejabberd user, which the nodes run as; never the package's default
 * instance. Its anonymous login lets anyone in who gives some user name and password: the URLs carry one.
 * Partitionable, each node runs in a network namespace of its own (private-network.ts), named by its
 * address (a name with dots: ejabberdctl then uses long names), with its own epmd there.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ClusterLinks } from './cluster.js';
import { control, ErlangCluster, ErlangNode, stopEpmd, writeCookie, type ErlangLaunch } from './erlang.js';
import { freePort } from './ports.js';
import { PrivateNetwork } from './private-network.js';

const user = 'ejabberd';
/** Any user name and password pass ejabberd's anonymous login; without one it refuses (not authorised). */
export const ejabberdCredentials = 'demo:demo@';

export function findEjabberdctl(): string | undefined {
  for (const candidate of ['/usr/sbin/ejabberdctl', '/usr/local/sbin/ejabberdctl', '/opt/ejabberd/bin/ejabberdctl']) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Why this machine cannot run a private ejabberd, or undefined when it can. */
export function ejabberdMissing(): string | undefined {
  if (!findEjabberdctl()) return 'ejabberd is not installed (Debian, Ubuntu: sudo apt-get install ejabberd)';
  if (process.getuid?.() !== 0) return 'a private ejabberd runs as the ejabberd user, which needs root to switch to';
  if (ids() === undefined) return 'the ejabberd user does not exist (it comes with the ejabberd package)';
  return undefined;
}

function ids(): { uid: number; gid: number } | undefined {
  const uid = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * A temporary folder the ejabberd user can reach: ejabberd runs as that user, so every folder above its
 * own must let others through (a TMPDIR of mode 0700 does not).
 */
function folderOthersCanReach(): string {
  const reachable = (folder: string): boolean => {
    for (let dir = folder; ; dir = dirname(dir)) {
      try {
        if ((statSync(dir).mode & 0o001) === 0) return false;
      } catch {
        return false;
      }
      if (dirname(dir) === dir) return true;
    }
  };
  return [tmpdir(), '/tmp', '/var/tmp'].find(reachable) ?? tmpdir();
}

function chownTree(path: string, owner: { uid: number; gid: number }): void {
  chownSync(path, owner.uid, owner.gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const inside = join(path, entry.name);
    if (entry.isDirectory()) chownTree(inside, owner);
    else chownSync(inside, owner.uid, owner.gid);
  }
}

const readyTimeoutMs = 60_000;

/** The ports of a node in a namespace of its own, free there: MQTT's and epmd's usual ones. */
const namespacePorts = { mqtt: 1883, epmd: 4369 };

export interface EjabberdClusterOptions {
  size: number;
  /** Each node in a network namespace of its own, so that its links can be cut (needs root). */
  partitionable?: boolean;
}

export class EjabberdCluster extends ErlangCluster {
  readonly dir = mkdtempSync(join(folderOthersCanReach(), 'mqtt-persistent-sessions-ejabberd-'));
  private readonly controls: ErlangLaunch[] = [];
  private network: PrivateNetwork | undefined;

  constructor(private readonly options: EjabberdClusterOptions) {
    super(readyTimeoutMs);
  }

  get description(): string {
    const where = this.network ? ', each node in a network namespace of its own' : '';
    return this.options.size === 1 ? `one ejabberd node${where}` : `an ejabberd cluster of ${this.options.size} nodes${where}`;
  }

  get links(): ClusterLinks | undefined {
    const network = this.network;
    return network && { cut: (index, clientsToo) => network.cut(index, clientsToo), heal: (index) => network.heal(index) };
  }

  /** Starts every node, joins the others to node 1, and waits until every node accepts MQTT. */
  async start(): Promise<this> {
    const missing = ejabberdMissing();
    if (missing) throw new Error(missing);
    const ctl = findEjabberdctl()!;
    const owner = ids()!;
    if (this.options.partitionable) this.network = await PrivateNetwork.create(this.options.size);
    const network = this.network;
    this.epmdPort = network ? namespacePorts.epmd : await freePort();
    const name = (index: number): string => `e${index}@${network?.address(index) ?? 'localhost'}`;
    for (let index = 1; index <= this.options.size; index++) {
      const own = join(this.dir, `node${index}`);
      mkdirSync(join(own, 'logs'), { recursive: true });
      mkdirSync(join(own, 'spool'), { recursive: true });
      const mqttPort = network ? namespacePorts.mqtt : await freePort();
      const address = network?.address(index) ?? '127.0.0.1';
      writeFileSync(join(own, 'ejabberd.yml'), config(mqttPort, address));
      // One scheduler, no busy waiting: several nodes share a small machine with other work.
      writeFileSync(join(own, 'ejabberdctl.cfg'), 'ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0 +S 1:1 +sbwt none +sbwtdcpu none +sbwtdio none"\n');
      const runuserArgs = [
        '-u', user, '--', 'env', `HOME=${this.dir}`, `ERL_EPMD_PORT=${this.epmdPort}`, ctl,
        '--config-dir', own, '--config', join(own, 'ejabberd.yml'), '--ctl-config', join(own, 'ejabberdctl.cfg'),
        '--logs', join(own, 'logs'), '--spool', join(own, 'spool'), '--node', name(index),
      ];
      const args = (...command: string[]): ErlangLaunch => ({
        ...(network ? network.inside(index, 'runuser', [...runuserArgs, ...command]) : { command: 'runuser', args: [...runuserArgs, ...command] }),
        env: {},
        cwd: own,
      });
      this.nodes.push(new ErlangNode(index, 'ejabberd', mqttPort, args('foreground'), ejabberdCredentials, address));
      this.controls.push(args());
    }
    writeCookie(this.dir);
    chownTree(this.dir, owner);
    try {
      await this.boot(this.nodes);
      for (const node of this.nodes.slice(1)) {
        const launch = this.controls[node.index - 1]!;
        await control({ ...launch, args: [...launch.args, 'join_cluster', name(1)] }, 60_000);
      }
      await this.waitForNodes(this.nodes);
    } catch (error) {
      await this.dispose();
      throw error;
    }
    return this;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill()));
    // In namespaces each epmd is there, ended with them (never the machine's on 4369).
    if (this.network) await this.network.dispose();
    else if (this.epmdPort) stopEpmd(this.epmdPort, user);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function config(mqttPort: number, address: string): string {
  return [
    'hosts:',
    '  - localhost',
    'loglevel: info',
    'listen:',
    '  -',
    `    port: ${mqttPort}`,
    `    ip: "${address}"`,
    '    module: mod_mqtt',
    'auth_method: [anonymous]',
    'anonymous_protocol: login_anon',
    'modules:',
    '  mod_mqtt: {}',
    '',
  ].join('\n');
}
