/**
 * A private network for the nodes of a cluster, so that links between them can be cut: each node in a
 * network namespace of its own, joined by a bridge the project creates on a private range
 * (10.213.N.0/24, N free on this machine), with an address of this namespace on the bridge so that the
 * clients, run normally, reach every node. A link is cut with routes inside the nodes' namespaces (no
 * packet filter needed), both ways, and healed by deleting them. Every name carries a fixed prefix and
 * the owner's pid: what a killed run left is found and removed at the next start, once its owner is dead.
 * Traffic only ever goes to addresses inside these namespaces.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Every namespace and bridge the project creates starts with this. */
const prefix = 'mqps';
const namespacePattern = new RegExp(`^${prefix}-(\\d+)-\\d+-\\d+$`);
const bridgePattern = new RegExp(`^${prefix}(\\d+)n\\d+$`);

/** Networks made by this process so far: a second one gets other names. */
let made = 0;

/** The first two bytes of every address: 10.213.0.0/16 is private (RFC 1918) and unlikely to be routed here. */
const range = '10.213';

/** Why this machine cannot make a private network, or undefined when it can. */
export function privateNetworkMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'cutting links puts each node in a network namespace, which needs root';
  if (spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status !== 0) return "cutting links needs the 'ip' command (iproute2) with network namespaces";
  return undefined;
}

/** Runs `ip` with these arguments; its stderr in the error when it fails. */
async function ip(...args: string[]): Promise<string> {
  try {
    return (await run('ip', args, { timeout: 10_000 })).stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`ip ${args.join(' ')} failed: ${stderr || (error as Error).message}`);
  }
}

function ipSync(...args: string[]): string {
  return spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
}

function alive(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

/**
 * Removes the namespaces and bridges of runs whose owner is dead, and the processes still running in
 * those namespaces (a killed run leaves its brokers behind); returns their names.
 */
export function removeLeftovers(): string[] {
  const removed: string[] = [];
  for (const line of ipSync('netns', 'list').split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const owner = namespacePattern.exec(name)?.[1];
    if (owner === undefined || alive(Number(owner))) continue;
    killProcessesIn(name);
    ipSync('netns', 'delete', name);
    removed.push(name);
  }
  for (const name of bridges()) {
    const owner = bridgePattern.exec(name)?.[1];
    if (owner === undefined || alive(Number(owner))) continue;
    ipSync('link', 'delete', name);
    removed.push(name);
  }
  return removed;
}

function killProcessesIn(namespace: string): void {
  for (const pid of ipSync('netns', 'pids', namespace).split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function bridges(): string[] {
  return ipSync('-o', 'link', 'show', 'type', 'bridge')
    .split('\n')
    .map((line) => /^\d+: ([^:@]+)/.exec(line)?.[1] ?? '')
    .filter((name) => name.startsWith(prefix));
}

/** The third byte of a 10.213.N.0/24 that no address or route of this namespace uses. */
function freeSubnet(): number {
  const used = ipSync('-4', 'addr') + ipSync('-4', 'route');
  const start = (process.pid + made * 37) % 254;
  for (let i = 0; i < 254; i++) {
    const n = ((start + i) % 254) + 1;
    if (!used.includes(`${range}.${n}.`)) return n;
  }
  throw new Error(`no free /24 left in ${range}.0.0/16 on this machine`);
}

export class PrivateNetwork {
  /** The routes that cut each node's links, as `ip -n NS route` takes them, to delete when healed. */
  private readonly cuts = new Map<number, Array<{ namespace: string | undefined; address: string }>>();
  private disposed = false;
  private readonly onExit = (): void => this.removeNow();

  /** This network's number in its process, in every name it makes (below 10: interface names have 15 characters). */
  private readonly serial = made++ % 10;

  private constructor(
    private readonly size: number,
    private readonly subnet: number,
  ) {}

  /** Removes what dead runs left, then creates the bridge and one namespace per node. */
  static async create(size: number): Promise<PrivateNetwork> {
    const missing = privateNetworkMissing();
    if (missing) throw new Error(missing);
    removeLeftovers();
    const network = new PrivateNetwork(size, freeSubnet());
    // Removed even when the process ends without disposing of it (an uncaught error, process.exit).
    process.once('exit', network.onExit);
    try {
      await network.build();
    } catch (error) {
      network.removeNow();
      throw error;
    }
    return network;
  }

  /** The address of this namespace on the bridge: where the clients' connections come from. */
  get hostAddress(): string {
    return `${range}.${this.subnet}.1`;
  }

  get bridge(): string {
    return `${prefix}${process.pid}n${this.serial}`;
  }

  /** The namespaces and the bridge, as `ip netns list` and `ip link` name them. */
  get names(): string[] {
    return [...Array.from({ length: this.size }, (_, i) => this.namespace(i + 1)), this.bridge];
  }

  namespace(index: number): string {
    return `${prefix}-${process.pid}-${this.serial}-${index}`;
  }

  address(index: number): string {
    return `${range}.${this.subnet}.${10 + index}`;
  }

  /** A command line that runs inside the node's namespace. */
  inside(index: number, command: string, args: string[]): { command: string; args: string[] } {
    return { command: 'ip', args: ['netns', 'exec', this.namespace(index), command, ...args] };
  }

  /** Cuts node index off from the other nodes (both ways), and from the clients too when asked. */
  async cut(index: number, clientsToo: boolean): Promise<void> {
    const routes = this.cuts.get(index) ?? [];
    this.cuts.set(index, routes);
    const add = async (namespace: string | undefined, address: string): Promise<void> => {
      if (routes.some((route) => route.namespace === namespace && route.address === address)) return;
      // blackhole: packets are dropped without a word, as on a cable pulled out, not refused.
      await ip(...(namespace ? ['-n', namespace] : []), 'route', 'add', 'blackhole', `${address}/32`);
      routes.push({ namespace, address });
    };
    for (let other = 1; other <= this.size; other++) {
      if (other === index) continue;
      await add(this.namespace(index), this.address(other));
      await add(this.namespace(other), this.address(index));
    }
    if (clientsToo) {
      await add(this.namespace(index), this.hostAddress);
      await add(undefined, this.address(index));
    }
  }

  /** Deletes every route that cuts node index. */
  async heal(index: number): Promise<void> {
    const routes = this.cuts.get(index) ?? [];
    while (routes.length > 0) {
      const route = routes.pop()!;
      await ip(...(route.namespace ? ['-n', route.namespace] : []), 'route', 'delete', 'blackhole', `${route.address}/32`);
    }
  }

  /** Removes the namespaces, the bridge and the routes this namespace got; the nodes must be stopped first. */
  async dispose(): Promise<void> {
    this.removeNow();
  }

  private async build(): Promise<void> {
    await ip('link', 'add', this.bridge, 'type', 'bridge');
    await ip('addr', 'add', `${this.hostAddress}/24`, 'dev', this.bridge);
    await ip('link', 'set', this.bridge, 'up');
    for (let index = 1; index <= this.size; index++) {
      const namespace = this.namespace(index);
      const veth = `${this.bridge}v${index}`;
      await ip('netns', 'add', namespace);
      await ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace);
      await ip('link', 'set', veth, 'master', this.bridge, 'up');
      await ip('-n', namespace, 'addr', 'add', `${this.address(index)}/24`, 'dev', 'eth0');
      await ip('-n', namespace, 'link', 'set', 'eth0', 'up');
      await ip('-n', namespace, 'link', 'set', 'lo', 'up');
    }
  }

  /** Synchronous, so that it also runs in an exit handler. */
  private removeNow(): void {
    if (this.disposed) return;
    this.disposed = true;
    process.removeListener('exit', this.onExit);
    for (const routes of this.cuts.values()) for (const route of routes) if (!route.namespace) ipSync('route', 'delete', 'blackhole', `${route.address}/32`);
    for (let index = 1; index <= this.size; index++) {
      // What the nodes left running there (an Erlang node's epmd) would keep the namespace alive.
      killProcessesIn(this.namespace(index));
      ipSync('netns', 'delete', this.namespace(index));
    }
    ipSync('link', 'delete', this.bridge);
  }
}
