/** The broker launcher: a private Mosquitto with its own config and data in a temporary folder. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import { freePort, waitForPort } from './ports.js';


/**
 * The settings of one of the project's Mosquitto configs (scripts/NAME), without comments and without
 * the lines naming places (listener, folders, files), which a running broker chooses for itself.
 */
export function projectConfig(name: string): string[] {
  const placeKeys = /^(listener|persistence_location|plugin|plugin_opt_config_file)\b/;
  return readFileSync(join(packageRoot, 'scripts', name), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#') && !placeKeys.test(line));
}

/** Mosquitto's dynamic security plugin, wherever this machine's architecture puts it. */
export function findDynamicSecurityPlugin(): string | undefined {
  const name = 'mosquitto_dynamic_security.so';
  const folders = ['/usr/lib', '/usr/local/lib', '/usr/lib64'];
  for (const folder of folders) {
    if (existsSync(join(folder, name))) return join(folder, name);
    if (!existsSync(folder)) continue;
    for (const entry of readdirSync(folder)) {
      const candidate = join(folder, entry, name);
      if (existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

export function findMosquitto(): string | undefined {
  for (const candidate of ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/bin/mosquitto']) {
    if (existsSync(candidate)) return candidate;
  }
  const found = spawnSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

export interface MosquittoOptions {
  /** Extra lines for mosquitto.conf (e.g. "max_queued_messages 100"), or made from the broker's own folder. */
  config?: string[] | ((dir: string) => string[]);
  persistence?: boolean;
  /** A fixed port; by default a free one is picked at the first start. */
  port?: number;
  /** The listener's address (default 127.0.0.1). */
  listenHost?: string;
  /** Where persistence writes (default: this broker's temporary folder). */
  persistenceLocation?: string;
}

export class PrivateMosquitto {
  readonly dir = mkdtempSync(join(tmpdir(), 'mqtt-persistent-sessions-mosquitto-'));
  port = 0;
  private process: ChildProcess | undefined;
  log = '';

  constructor(private readonly options: MosquittoOptions = {}) {
    this.port = options.port ?? 0;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  configText(): string {
    return [
      `listener ${this.port} ${this.options.listenHost ?? '127.0.0.1'}`,
      'allow_anonymous true',
      // Started as root, Mosquitto would switch to the mosquitto user and lose access to this folder.
      'user root',
      'max_inflight_messages 1000',
      'max_queued_messages 200000',
      `persistence ${this.options.persistence === false ? 'false' : 'true'}`,
      `persistence_location ${this.options.persistenceLocation ?? this.dir}/`,
      'autosave_interval 1',
      // Later lines win: the caller's settings override the defaults above.
      ...(typeof this.options.config === 'function' ? this.options.config(this.dir) : (this.options.config ?? [])),
      '',
    ].join('\n');
  }

  async start(): Promise<this> {
    if (this.port === 0) this.port = await freePort();
    const configPath = join(this.dir, 'mosquitto.conf');
    writeFileSync(configPath, this.configText());
    const binary = findMosquitto();
    if (!binary) throw new Error('Mosquitto is not installed (Debian, Ubuntu: sudo apt-get install mosquitto)');
    const child = spawn(binary, ['-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.process = child;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', () => reject(new Error(`Mosquitto stopped at once: ${this.log.trim().split('\n').at(-1) ?? ''}`))),
    );
    await Promise.race([waitForPort(this.port), exited]);
    return this;
  }

  /** A clean stop: with persistence on, sessions and queued messages are saved. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** A crash: nothing is saved beyond the last autosave. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
    this.process = undefined;
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
