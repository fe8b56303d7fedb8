/**
 * What the benchmarks share: the package as a user gets it (packed, installed offline into a
 * temporary prefix), a quiet machine before each round, one process per measurement timed from its
 * start to its exit, the machine described, medians.
 */
import { spawnSync, type StdioOptions } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { findMosquitto } from '../src/brokers/mosquitto.js';
import { packageRoot } from '../src/cli/package.js';

export function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  if (index < 0) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isFinite(value) || value < 0) fail(`${name} needs a number`);
  return value;
}

export function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(1);
}

export function needMosquittoClients(): void {
  if (!findMosquitto() || spawnSync('sh', ['-c', 'command -v mosquitto_sub && command -v mosquitto_pub']).status !== 0) {
    fail('needs Mosquitto and its clients (Debian, Ubuntu: sudo apt-get install mosquitto mosquitto-clients)');
  }
}

/** The environment the installed bins run in: their "#!/usr/bin/env node" finds this node first. */
export const binEnv = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, NO_COLOR: '1', npm_lifecycle_event: undefined };

/** Packs the package (which builds it) and installs the tarball offline into a fresh prefix: the bins as a user runs them. */
export function installPackage(): { dir: string; bin: (name: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'mqtt-persistent-sessions-bench-'));
  const pack = spawnSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: packageRoot, encoding: 'utf8', env: binEnv });
  if (pack.status !== 0) fail(`npm pack failed: ${pack.stderr.trim().split('\n').at(-1)}`);
  const tarball = join(dir, (JSON.parse(pack.stdout) as Array<{ filename: string }>)[0]!.filename);
  const prefix = join(dir, 'prefix');
  const install = spawnSync('npm', ['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball], { encoding: 'utf8', env: binEnv });
  if (install.status !== 0) fail(`installing the tarball failed: ${install.stderr.trim().split('\n').at(-1)}`);
  return { dir, bin: (name) => join(prefix, 'bin', name) };
}

export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/**
 * Waits until the machine is quiet (1-minute load below maxLoad), checking every 5 s, for at most
 * maxWaitS; a busy machine is not measured. Returns the load measured at.
 */
export async function whenQuiet(maxLoad: number, maxWaitS: number): Promise<number> {
  const deadline = Date.now() + maxWaitS * 1000;
  let load = loadAverage();
  while (load >= maxLoad) {
    if (Date.now() > deadline) fail(`the machine stayed busy (1-minute load ${load.toFixed(2)}, wanted below ${maxLoad}) for ${maxWaitS} s: not measured; try again later, or raise --max-wait`);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    load = loadAverage();
  }
  return load;
}

export interface Timed {
  ms: number;
  status: number | null;
}

/** Runs one process to its end, stdin and stdout from and to files (or ignored), and times it from spawn to exit. */
export function timed(command: string, args: string[], io: { stdin?: string; stdout?: string } = {}): Timed {
  const stdin = io.stdin === undefined ? 'ignore' : openSync(io.stdin, 'r');
  const stdout = io.stdout === undefined ? 'ignore' : openSync(io.stdout, 'w');
  const stdio: StdioOptions = [stdin, stdout, 'pipe'];
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { stdio, env: binEnv, encoding: 'utf8', timeout: 300_000 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  for (const fd of [stdin, stdout]) if (typeof fd === 'number') closeSync(fd);
  if (result.status !== 0) process.stderr.write(`${command.split('/').at(-1)} ${args.join(' ')}: status ${result.status}: ${result.stderr.trim().split('\n').at(-1) ?? ''}\n`);
  return { ms, status: result.status };
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};

/** The machine, for the header: CPU, cores, memory, kernel, Node, Mosquitto. */
export function machine(): string {
  const mosquitto = spawnSync(findMosquitto()!, ['-h'], { encoding: 'utf8' }).stdout.split('\n')[0]?.trim() ?? 'mosquitto';
  return `${cpus()[0]?.model.trim() ?? 'cpu'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}, ${mosquitto}`;
}

/** The values 1..count, one a line, read back from a client's output: which of them are missing or repeated. */
export function checkValues(lines: string[], count: number, parse: (line: string) => number | undefined): string | undefined {
  const seen = new Uint8Array(count + 1);
  let extra = 0;
  for (const line of lines) {
    const value = parse(line);
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 1 || value > count || seen[value]) extra++;
    else seen[value] = 1;
  }
  let missing = 0;
  for (let value = 1; value <= count; value++) if (!seen[value]) missing++;
  return missing === 0 && extra === 0 ? undefined : `${missing} of ${count} values missing, ${extra} unexpected or repeated`;
}

export function outputLines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n');
}
