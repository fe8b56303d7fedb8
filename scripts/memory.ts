/**
 * The memory benchmark: the installed consumer's peak resident memory while it drains a backlog of
 * 200,000 queued values, and of 1,000,000: at most 80 MiB for both, not growing with the backlog. mosquitto_sub's, on the
 * same work, for scale. One process per measurement, its peak read from the kernel (VmHWM).
 *   npm run bench:memory [-- --values N --max-load L --max-wait S]
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PrivateMosquitto } from '../src/brokers/mosquitto.js';
import { binEnv, checkValues, fail, installPackage, machine, needMosquittoClients, option, outputLines, timed, whenQuiet } from './measuring.js';

const large = option('--values', 1_000_000);
const small = Math.min(200_000, large);
const maxLoad = option('--max-load', 0.7);
const maxWaitS = option('--max-wait', 600);

const receivedValue = (line: string): number | undefined => (line.startsWith('Received message: ') ? Number.parseInt(line.slice(18), 10) : undefined);
const bareValue = (line: string): number | undefined => (line === '' ? undefined : Number(line));

/** Runs a process to its end with stdout to a file, reading its peak resident memory (KiB) until it exits. */
async function peakResident(command: string, args: string[], stdout: string): Promise<{ kib: number; ms: number; status: number | null }> {
  const fd = openSync(stdout, 'w');
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { env: binEnv, stdio: ['ignore', fd, 'inherit'] });
  closeSync(fd);
  let kib = 0;
  let running = true;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running = false;
      resolve(code);
    }),
  );
  while (running) {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      kib = Math.max(kib, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      // gone between the check and the read
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const status = await exited;
  return { kib, ms: Number(process.hrtime.bigint() - started) / 1e6, status };
}

async function main(): Promise<void> {
  needMosquittoClients();
  const { dir, bin } = installPackage();
  const results: Array<{ size: number; client: string; kib: number; ms: number; load: number }> = [];
  for (const size of [small, large]) {
    for (const client of ['consumer', 'mosquitto_sub']) {
      const broker = await new PrivateMosquitto({ persistence: false, config: ['max_inflight_messages 1000', `max_queued_messages ${size + 1000}`] }).start();
      try {
        const host = ['-h', '127.0.0.1', '-p', String(broker.port), '-V', '5', '-q', '1'];
        const id = `memory-${client}`;
        if (timed('mosquitto_sub', [...host, '-c', '-i', id, '-t', 'memory', '-x', '3600', '-E']).status !== 0) fail('opening the session failed');
        if (timed(bin('mqtt-ps-producer'), ['-L', broker.url, '-t', 'memory', '--interval', '0', '-C', String(size)], { stdout: '/dev/null' }).status !== 0) fail('filling the backlog failed');
        const load = await whenQuiet(maxLoad, maxWaitS);
        const out = join(dir, `${id}.out`);
        const run =
          client === 'consumer'
            ? await peakResident(bin('mqtt-ps-consumer'), ['-L', broker.url, '-i', id, '-t', 'memory', '--state', join(dir, `${id}.json`), '-C', String(size)], out)
            : await peakResident('mosquitto_sub', [...host, '-c', '-i', id, '-t', 'memory', '-x', '3600', '-C', String(size)], out);
        if (run.status !== 0) fail(`${client} draining ${size} exited with status ${run.status}`);
        const problem = checkValues(outputLines(out), size, client === 'consumer' ? receivedValue : bareValue);
        if (problem) fail(`${client} draining ${size}: ${problem}`);
        rmSync(out, { force: true });
        results.push({ size, client, kib: run.kib, ms: run.ms, load });
      } finally {
        await broker.dispose();
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const find = (size: number, client: string) => results.find((r) => r.size === size && r.client === client)!;
  const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;
  const print = (line = ''): void => void process.stdout.write(`${line}\n`);
  const consumerSmall = find(small, 'consumer').kib;
  const consumerLarge = find(large, 'consumer').kib;
  const ratio = consumerLarge / consumerSmall;
  print(`Memory benchmark of ${new Date().toISOString().slice(0, 10)} on ${machine()}`);
  print(`1-minute load when each drain began: ${results.map((r) => r.load.toFixed(2)).join(', ')} (measured only below ${maxLoad})`);
  print();
  print(`| peak resident memory | draining ${small.toLocaleString('en')} | draining ${large.toLocaleString('en')} | ratio | target |`);
  print('|---|---|---|---|---|');
  print(`| the consumer as shipped (checkpoint, a line per value) | ${mib(consumerSmall)} (${Math.round(find(small, 'consumer').ms)} ms) | ${mib(consumerLarge)} (${Math.round(find(large, 'consumer').ms)} ms) | ${ratio.toFixed(2)} | at most 80 MiB both: ${Math.max(consumerSmall, consumerLarge) <= 80 * 1024 ? 'met' : 'SHORT'}; flat, at most 1.10: ${ratio <= 1.1 ? 'met' : 'SHORT'} |`);
  print(`| \`mosquitto_sub -c -C\`, for scale | ${mib(find(small, 'mosquitto_sub').kib)} (${Math.round(find(small, 'mosquitto_sub').ms)} ms) | ${mib(find(large, 'mosquitto_sub').kib)} (${Math.round(find(large, 'mosquitto_sub').ms)} ms) | | |`);
  print();
  print('Each: a fresh private Mosquitto (persistence off, max_inflight_messages 1000), a persistent session holding N values the producer queued, then one process drains it and exits; its peak resident memory (VmHWM) read until it exits, and its output checked for every value 1..N.');
}

void main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
