/**
 * What RabbitMQ and ejabberd share as brokers the project starts: each node is an Erlang VM started by
 * a shell script, so it runs in a process group of its own (the script, the VM, its helpers) that is
 * signalled as a whole; the nodes of one cluster find each other through a private epmd on a port of
 * their own, never the machine's 4369, which is stopped with them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrokerCluster, ClusterNode } from './cluster.js';
import { waitForMqttSession } from './ready.js';

/** Output kept per node: enough to say why it stopped, bounded however long it runs. */
const keptLogChars = 64 * 1024;

/** How long a clean stop may take before the node is killed. */
const stopTimeoutMs = 20_000;

export interface ErlangLaunch {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}

export class ErlangNode implements ClusterNode {
  private process: ChildProcess | undefined;
  log = '';

  constructor(
    readonly index: number,
    /** The broker's name, for messages ("RabbitMQ"). */
    readonly broker: string,
    readonly mqttPort: number,
    private readonly launch: ErlangLaunch,
    /** user:password@ when the broker wants some credentials (ejabberd's anonymous login). */
    private readonly credentials = '',
    /** Its address: 127.0.0.1, or its own in a network namespace. */
    private readonly host = '127.0.0.1',
  ) {}

  get url(): string {
    return `mqtt://${this.credentials}${this.host}:${this.mqttPort}`;
  }

  get running(): boolean {
    const child = this.process;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** The process group: `kill -KILL -- -PGID` kills the node by hand. */
  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** Starts the node's script; resolves once it runs (readiness is the cluster's to wait for). */
  start(): void {
    if (this.running) return;
    const child = spawn(this.launch.command, this.launch.args, {
      cwd: this.launch.cwd,
      env: { ...process.env, ...this.launch.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that a signal reaches the VM and not only the script that started it.
      detached: true,
    });
    const keep = (d: Buffer): void => {
      this.log = (this.log + d.toString()).slice(-keptLogChars);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.process = child;
  }

  /** Rejects if the node's script ends (a node that cannot start); for racing against a readiness wait. */
  stoppedAtOnce(): Promise<never> {
    const child = this.process;
    const stopped = new Promise<never>((_, reject) => {
      if (!child) return reject(new Error(`${this.broker} node ${this.index} is not running`));
      child.once('exit', () => reject(new Error(`${this.broker} node ${this.index} stopped at once: ${this.lastLines()}`)));
    });
    stopped.catch(() => {});
    return stopped;
  }

  lastLines(): string {
    return this.log.trim().split('\n').slice(-3).join(' / ');
  }

  /** A crash: every process of the node ends at once, without a word to its peers or clients. */
  async kill(): Promise<void> {
    await this.signalAndWait('SIGKILL');
  }

  /** A clean stop (SIGTERM: the VM shuts down in order), killed if it takes longer than 20 s. */
  async stop(): Promise<void> {
    await this.signalAndWait('SIGTERM');
  }

  /** Freezes the node: its sockets stay open, nothing answers. */
  pause(): void {
    this.signalGroup('SIGSTOP');
  }

  resume(): void {
    this.signalGroup('SIGCONT');
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.process?.pid;
    if (pid === undefined || !this.running) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is already gone
    }
  }

  private async signalAndWait(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (signal !== 'SIGKILL') this.signalGroup('SIGCONT');
    this.signalGroup(signal);
    if (signal === 'SIGKILL') {
      await exited;
    } else if ((await Promise.race([exited.then(() => true), sleep(stopTimeoutMs).then(() => false)])) === false) {
      this.signalGroup('SIGKILL');
      await exited;
    }
    // The script may end before the VM it started: the group is gone when no process of it is left.
    await this.groupGone(child.pid!, signal === 'SIGKILL' ? 5000 : stopTimeoutMs);
    this.process = undefined;
  }

  private async groupGone(pgid: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        process.kill(-pgid, 0);
      } catch {
        return;
      }
      if (Date.now() > deadline) {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          return;
        }
      }
      await sleep(50);
    }
  }
}

/**
 * What a RabbitMQ or an ejabberd cluster does the same way: its numbered nodes, their URLs, starting
 * nodes and waiting, bounded, until each takes sessions (or its script ends), and its private epmd.
 */
export abstract class ErlangCluster implements BrokerCluster {
  readonly nodes: ErlangNode[] = [];
  protected epmdPort = 0;
  abstract readonly dir: string;
  abstract readonly description: string;

  constructor(
    /** How long a node may take to accept MQTT after it is started. */
    protected readonly readyTimeoutMs: number,
  ) {}

  get urls(): string[] {
    return this.nodes.map((node) => node.url);
  }

  node(index: number): ErlangNode {
    const node = this.nodes[index - 1];
    if (!node) throw new Error(`there is no node ${index} in a cluster of ${this.nodes.length}`);
    return node;
  }

  async restart(index: number, timeoutMs = this.readyTimeoutMs): Promise<void> {
    await this.boot([this.node(index)], timeoutMs);
  }

  async waitUntilReady(timeoutMs = this.readyTimeoutMs): Promise<void> {
    await this.waitForNodes(this.nodes.filter((node) => node.running), timeoutMs);
  }

  /** Starts the nodes and waits until each accepts MQTT, or fails as soon as one's script ends. */
  protected async boot(nodes: ErlangNode[], timeoutMs = this.readyTimeoutMs): Promise<void> {
    for (const node of nodes) node.start();
    await Promise.all(nodes.map((node) => Promise.race([this.waitForNodes([node], timeoutMs), node.stoppedAtOnce()])));
  }

  protected async waitForNodes(nodes: ErlangNode[], timeoutMs = this.readyTimeoutMs): Promise<void> {
    await Promise.all(nodes.map((node) => waitForMqttSession(node.url, `ready-probe-${node.index}`, timeoutMs, `${node.broker} node ${node.index}`)));
  }

  abstract dispose(): Promise<void>;
}

/**
 * Writes the Erlang cookie the nodes of a cluster share, in their HOME, before any starts: nodes that
 * start together would otherwise race to create it, and one may read it empty ("Too short cookie string").
 */
export function writeCookie(home: string): void {
  writeFileSync(join(home, '.erlang.cookie'), randomBytes(15).toString('hex').toUpperCase(), { mode: 0o400 });
}

/** Stops the private epmd on this port (the one the cluster's nodes registered with), if it runs. */
export function stopEpmd(port: number, user?: string): void {
  const command = user ? ['runuser', '-u', user, '--', 'epmd', '-kill'] : ['epmd', '-kill'];
  spawnSync(command[0]!, command.slice(1), { env: { ...process.env, ERL_EPMD_PORT: String(port) }, stdio: 'ignore', timeout: 5000 });
}

/** Runs a control command (rabbitmqctl, ejabberdctl) with a bound; its output, or an error naming it. */
export async function control(launch: ErlangLaunch, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(launch.command, launch.args, { cwd: launch.cwd, env: { ...process.env, ...launch.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const what = `${launch.args.slice(-3).join(' ')}`;
      if (code === 0) resolve(output);
      else reject(new Error(signal ? `${what} took longer than ${timeoutMs / 1000} s` : `${what} failed (status ${String(code)}): ${output.trim().split('\n').slice(-2).join(' / ')}`));
    });
  });
}
