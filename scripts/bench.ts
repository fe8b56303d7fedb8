/**
 * Benchmarks, measured side by side in one run against Mosquitto's own C clients, as ratios:
 * draining a backlog (the consumer as shipped vs mosquitto_sub), a publish burst (the producer vs
 * mosquitto_pub -l), and latency at a steady rate. Memory: npm run bench:memory.
 *   npm run bench [-- --messages N --rounds N]
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { findMosquitto, PrivateMosquitto } from '../src/brokers/mosquitto.js';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

const messages = option('--messages', 100_000);
const rounds = option('--rounds', 5);
/** Longer inputs to one mosquitto_pub -l reach subscribers only in part (see the README). */
const chunkLines = 10_000;

function run(command: string): { seconds: number; status: number | null } {
  const started = process.hrtime.bigint();
  const result = spawnSync('sh', ['-c', command], { stdio: ['ignore', 'ignore', 'inherit'] });
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, status: result.status };
}

function lineCount(file: string, prefix = ''): number {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0 && line.startsWith(prefix)).length;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

async function main(): Promise<void> {
  if (!findMosquitto() || spawnSync('sh', ['-c', 'command -v mosquitto_sub && command -v mosquitto_pub']).status !== 0) {
    process.stderr.write('bench: needs Mosquitto and its clients (Debian, Ubuntu: sudo apt-get install mosquitto mosquitto-clients)\n');
    process.exit(1);
  }
  if (!existsSync('dist/src/consumer.js') || spawnSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' }).status !== 0) {
    if (!existsSync('dist/src/consumer.js')) {
      process.stderr.write('bench: npm run build failed\n');
      process.exit(1);
    }
  }
  const node = process.execPath;
  // A fresh broker for each measurement: a long-lived one was seen to stop reading its sockets
  // after a few rounds of 100,000 queued messages (Mosquitto 2.0.11).
  const fresh = (): Promise<PrivateMosquitto> => new PrivateMosquitto({ persistence: false, config: [`max_queued_messages ${messages * 2}`] }).start();
  let broker = await fresh();
  const dir = mkdtempSync(join(tmpdir(), 'mqtt-persistent-sessions-bench-'));
  let host = `-h 127.0.0.1 -p ${broker.port}`;
  const renew = async (): Promise<void> => {
    await broker.dispose();
    broker = await fresh();
    host = `-h 127.0.0.1 -p ${broker.port}`;
  };
  const chunks: string[] = [];
  for (let start = 1; start <= messages; start += chunkLines) {
    const file = join(dir, `lines-${chunks.length}.txt`);
    const lines = [];
    for (let value = start; value < start + chunkLines && value <= messages; value++) lines.push(String(value));
    writeFileSync(file, `${lines.join('\n')}\n`);
    chunks.push(file);
  }
  const fill = (topic: string): string => chunks.map((file) => `mosquitto_pub ${host} -q 1 -t ${topic} -l < '${file}'`).join(' && ');

  // Drain: a persistent session with a backlog of queued QoS 1 messages, then the client returns.
  const drain = { ours: [] as number[], mosquitto_sub: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['mosquitto_sub', 'ours'] as const) : (['ours', 'mosquitto_sub'] as const);
    for (const client of order) {
      await renew();
      const id = `drain-${client}-${round}`;
      const topic = `drain/${round}/${client}`;
      const out = join(dir, `${id}.out`);
      run(`mosquitto_sub ${host} -c -i ${id} -q 1 -t ${topic} -V 5 -x 3600 -E`);
      if (run(fill(topic)).status !== 0) throw new Error('filling the backlog failed');
      const command =
        client === 'ours'
          ? `'${node}' dist/src/consumer.js -L mqtt://127.0.0.1:${broker.port} -i ${id} -t ${topic} --state '${join(dir, `${id}.json`)}' -C ${messages} > '${out}'`
          : `mosquitto_sub ${host} -c -i ${id} -q 1 -t ${topic} -V 5 -x 3600 -C ${messages} > '${out}'`;
      const timed = run(command);
      const got = client === 'ours' ? lineCount(out, 'Received message: ') : lineCount(out);
      if (got !== messages) throw new Error(`${client} drained ${got} of ${messages} messages`);
      drain[client].push(timed.seconds);
    }
  }

  // Publish burst: the same number of QoS 1 values to a topic nobody subscribes to.
  const publish = { ours: [] as number[], mosquitto_pub: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['mosquitto_pub', 'ours'] as const) : (['ours', 'mosquitto_pub'] as const);
    for (const client of order) {
      await renew();
      const command =
        client === 'ours'
          ? `'${node}' dist/src/producer.js -L mqtt://127.0.0.1:${broker.port} -t burst --interval 0 -C ${messages} > /dev/null`
          : fill('burst');
      publish[client].push(run(command).seconds);
    }
  }

  // Latency: the producer at a steady rate, the consumer's wait from the producer's send time to its output.
  const waits = await latency(node, broker.port, 100, 100);

  const startup = median([0, 1, 2].map(() => run(`'${node}' -e 0`).seconds));
  await broker.dispose();
  rmSync(dir, { recursive: true, force: true });

  const mosquittoVersion = spawnSync(findMosquitto()!, ['-h'], { encoding: 'utf8' }).stdout.split('\n')[0]?.trim() ?? '';
  const print = (line: string): void => void process.stdout.write(`${line}\n`);
  const seconds = (value: number): string => `${value.toFixed(2)} s`;
  const verdict = (ratio: number, target: number): string => (ratio <= target ? 'OK' : 'SHORT');
  print(`Benchmark, ${new Date().toISOString().slice(0, 10)}: ${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${mosquittoVersion}`);
  print(`${messages.toLocaleString('en')} QoS 1 messages, ${rounds} rounds alternating, medians; node's own start-up (node -e 0): ${seconds(startup)}`);
  print('');
  print('| measurement | this project | Mosquitto client | ratio | target |');
  print('|---|---|---|---|---|');
  const drainRatio = median(drain.ours) / median(drain.mosquitto_sub);
  print(`| drain a backlog (consumer with checkpoint and output to a file, vs mosquitto_sub -c -C) | ${seconds(median(drain.ours))} | ${seconds(median(drain.mosquitto_sub))} | ${drainRatio.toFixed(2)} | <= 1.0 ${verdict(drainRatio, 1.0)} |`);
  const publishRatio = median(publish.ours) / median(publish.mosquitto_pub);
  print(`| publish burst (producer --interval 0, vs mosquitto_pub -l in ${chunkLines.toLocaleString('en')}-line runs) | ${seconds(median(publish.ours))} | ${seconds(median(publish.mosquitto_pub))} | ${publishRatio.toFixed(2)} | <= 1.2 ${verdict(publishRatio, 1.2)} |`);
  print(`| latency at one value per 100 ms, send to output (${waits.length} values) | p50 ${percentile(waits, 50)} ms, p99 ${percentile(waits, 99)} ms | | | |`);
  print('');
  print(`drain rounds (s): ours ${drain.ours.map((v) => v.toFixed(2)).join(' ')}; mosquitto_sub ${drain.mosquitto_sub.map((v) => v.toFixed(2)).join(' ')}`);
  print(`publish rounds (s): ours ${publish.ours.map((v) => v.toFixed(2)).join(' ')}; mosquitto_pub ${publish.mosquitto_pub.map((v) => v.toFixed(2)).join(' ')}`);
}

/** Runs the producer at a fixed interval and reads the consumer's waitedMs for each value. */
async function latency(node: string, port: number, intervalMs: number, count: number): Promise<number[]> {
  const url = `mqtt://127.0.0.1:${port}`;
  const consumer = spawn(node, ['dist/src/consumer.js', '-L', url, '-i', 'latency', '-t', 'latency', '--no-state', '--json', '-C', String(count)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  consumer.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => consumer.once('exit', () => resolve()));
  while (!output.includes('"subscribed"')) await new Promise((resolve) => setTimeout(resolve, 50));
  run(`'${node}' dist/src/producer.js -L ${url} -t latency --interval ${intervalMs} -C ${count} > /dev/null`);
  await exited;
  return output
    .split('\n')
    .filter((line) => line.includes('"event":"message"'))
    .map((line) => (JSON.parse(line) as { waitedMs: number }).waitedMs);
}

void main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
