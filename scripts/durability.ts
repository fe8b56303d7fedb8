/**
 * What durability costs, and what it buys: for each set-up, in one run, the producer's publish rate to a
 * waiting persistent session, the end-to-end latency of values sent one by one, and how many of the
 * values queued for the session were lost when its node was SIGKILLed right after they were acknowledged.
 *   npm run bench -- --durability [--values N] [--only WORD]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PrivateMosquitto } from '../src/brokers/mosquitto.js';
import { NatsCluster } from '../src/brokers/nats.js';
import { RabbitCluster, type RabbitQueueType } from '../src/brokers/rabbitmq.js';
import { commandArgs } from '../src/cli/package.js';
import { ChildCommand, messageValues } from '../src/demo/processes.js';
import { fail, loadAverage, machine, option, percentile } from './measuring.js';

const values = option('--values', 2000);
const latencyValues = 100;
const latencyIntervalMs = 20;
/** Only the set-ups whose name holds this word (e.g. Mosquitto, NATS, RabbitMQ). */
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;

/** A running set-up: where the session lives (node 1), where the producer publishes, and the crash of node 1. */
interface Running {
  sessionUrl: string;
  publishUrl: string;
  /** Where the consumer returns after the crash: node 1 started again (Mosquitto), or the other nodes. */
  returnUrl: string;
  protocolVersion: 4 | 5;
  crash(): Promise<void>;
  close(): Promise<void>;
}

interface SetUp {
  name: string;
  start(): Promise<Running>;
}

function mosquitto(name: string, persistence: boolean, config: string[]): SetUp {
  return {
    name,
    start: async () => {
      const broker = await new PrivateMosquitto({ persistence, config: ['max_queued_messages 0', ...config] }).start();
      return {
        sessionUrl: broker.url,
        publishUrl: broker.url,
        returnUrl: broker.url,
        protocolVersion: 5,
        crash: async () => {
          await broker.kill();
          await broker.start();
        },
        close: () => broker.dispose(),
      };
    },
  };
}

/** Three nodes: the session on node 1, the producer on node 2, node 1 killed, the return through 2 and 3. */
function cluster(name: string, make: () => NatsCluster | RabbitCluster): SetUp {
  return {
    name,
    start: async () => {
      const nodes = await make().start();
      return {
        sessionUrl: nodes.node(1).url,
        publishUrl: nodes.node(2).url,
        returnUrl: [nodes.node(2).url, nodes.node(3).url].join(','),
        protocolVersion: 4,
        crash: () => nodes.node(1).kill(),
        close: () => nodes.dispose(),
      };
    },
  };
}

const rabbit = (queueType: RabbitQueueType) => () => new RabbitCluster({ size: 3, queueType });

const setUps: SetUp[] = [
  mosquitto('Mosquitto, persistence off', false, []),
  mosquitto('Mosquitto, persistence on, autosave_interval 1800 (its default)', true, ['autosave_interval 1800']),
  mosquitto('Mosquitto, persistence on, autosave_interval 1', true, ['autosave_interval 1']),
  mosquitto('Mosquitto, persistence on, autosave_on_changes true, autosave_interval 100', true, ['autosave_on_changes true', 'autosave_interval 100']),
  cluster('NATS, 3 nodes, stream_replicas 1', () => new NatsCluster({ size: 3, streamReplicas: 1 })),
  cluster('NATS, 3 nodes, stream_replicas 3', () => new NatsCluster({ size: 3, streamReplicas: 3 })),
  cluster('RabbitMQ 3.10, 3 nodes, classic queues', rabbit('classic')),
  cluster('RabbitMQ 3.10, 3 nodes, quorum queues', rabbit('quorum')),
];

interface Row {
  name: string;
  load: number;
  perSecond: number;
  latency: number[];
  lost: number;
  resumed: boolean;
}

const versionArgs = (running: Running): string[] => (running.protocolVersion === 4 ? ['-V', '4'] : []);

/** A command of the package, each JSON line it prints handed over with the moment it arrived. */
function linesOf(name: 'producer' | 'consumer', args: string[], onEvent: (event: { event: string; value?: number }, at: number) => void): Promise<void> {
  const child = spawn(process.execPath, [...commandArgs(name), ...args, '--json'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const at = Date.now();
    if (line.startsWith('{')) onEvent(JSON.parse(line) as { event: string; value?: number }, at);
  });
  const timeout = setTimeout(() => child.kill(), 120_000);
  return new Promise((resolve) =>
    child.once('exit', () => {
      clearTimeout(timeout);
      resolve();
    }),
  );
}

/**
 * The latency of each value, the consumer online: from the producer's line saying it sent it to the
 * consumer's line saying it received it, both read by this script as they come (MQTT 3.1.1 has no user
 * property to carry the send time).
 */
async function latency(running: Running): Promise<number[]> {
  const sentAt = new Map<number, number>();
  const receivedAt = new Map<number, number>();
  let subscribed = (): void => {};
  const ready = new Promise<void>((resolve) => (subscribed = resolve));
  const consumer = linesOf('consumer', ['-L', running.sessionUrl, '-i', 'latency', '-t', 'latency', '--no-state', '-C', String(latencyValues), ...versionArgs(running)], (event, at) => {
    if (event.event === 'subscribed') subscribed();
    if (event.event === 'message' && !receivedAt.has(event.value!)) receivedAt.set(event.value!, at);
  });
  await Promise.race([ready, consumer]);
  const producer = linesOf('producer', ['-L', running.publishUrl, '-t', 'latency', '--interval', String(latencyIntervalMs), '-C', String(latencyValues), ...versionArgs(running)], (event, at) => {
    if (event.event === 'sent' && !sentAt.has(event.value!)) sentAt.set(event.value!, at);
  });
  await Promise.all([consumer, producer]);
  const waits = [...receivedAt].filter(([value]) => sentAt.has(value)).map(([value, at]) => at - sentAt.get(value)!);
  if (waits.length !== latencyValues) fail(`latency: the consumer printed ${waits.length} of ${latencyValues} values`);
  return waits;
}

/** The producer's rate, from its connection to its exit, to a persistent session that waits offline; then node 1 crashes and the session returns. */
async function publishAndCrash(running: Running, dir: string): Promise<{ perSecond: number; lost: number; resumed: boolean }> {
  const state = join(dir, 'away.json');
  const session = ['-i', 'away', '-t', 'away', '--state', state, '--json', ...versionArgs(running)];
  const first = ChildCommand.consumer(['-L', running.sessionUrl, ...session]);
  await first.waitForEvent('subscribed', () => true, 60_000);
  await first.interrupt();
  const producer = ChildCommand.producer(['-L', running.publishUrl, '-t', 'away', '--interval', '0', '-C', String(values), '--json', ...versionArgs(running)]);
  await producer.waitForEvent('connected', () => true, 60_000);
  const from = Date.now();
  const exit = await producer.exitWithin(300_000);
  const ms = Date.now() - from;
  if (exit.code !== 0) fail(`the producer exited with status ${String(exit.code)}: ${producer.stderr.trim().split('\n').at(-1) ?? ''}`);
  await running.crash();
  const back = ChildCommand.consumer(['-L', running.returnUrl, ...session]);
  const connected = await back.waitForEvent('connected', () => true, 120_000).catch(() => undefined);
  // Every value, or no new one for 5 s: what has not come by then is lost.
  let seen = 0;
  let lastProgress = Date.now();
  await back
    .waitUntil('every value', () => {
      const count = new Set(messageValues(back.events)).size;
      if (count > seen) [seen, lastProgress] = [count, Date.now()];
      return count >= values || Date.now() - lastProgress > 5000;
    }, 180_000)
    .catch(() => {});
  await back.interrupt();
  const received = new Set(messageValues(back.events).filter((value) => value >= 1 && value <= values));
  return { perSecond: (values / ms) * 1000, lost: values - received.size, resumed: connected?.sessionPresent === true };
}

async function measure(setUp: SetUp): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'mqtt-persistent-sessions-durability-'));
  process.stderr.write(`${setUp.name}...\n`);
  const load = loadAverage();
  const running = await setUp.start();
  try {
    const waits = await latency(running);
    const { perSecond, lost, resumed } = await publishAndCrash(running, dir);
    return { name: setUp.name, load, perSecond, latency: waits, lost, resumed };
  } finally {
    await ChildCommand.killAll();
    await running.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(): Promise<void> {
  const started = Date.now();
  const rows: Row[] = [];
  const chosen = setUps.filter((setUp) => only === undefined || setUp.name.toLowerCase().includes(only.toLowerCase()));
  if (chosen.length === 0) fail(`--only ${String(only)}: no set-up has that word in its name`);
  for (const setUp of chosen) rows.push(await measure(setUp));
  const print = (line = ''): void => void process.stdout.write(`${line}\n`);
  print(`Durability benchmark of ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine()}, ${Math.round((Date.now() - started) / 1000)} s`);
  print();
  print(`| set-up | publish, ${values.toLocaleString('en')} QoS 1 values to a waiting session | latency p50 / p99 | after a SIGKILL of the session's node | 1-minute load |`);
  print('|---|---|---|---|---|');
  for (const row of rows) {
    const crash = `${row.resumed ? 'session resumed' : 'session gone'}, ${row.lost.toLocaleString('en')} of ${values.toLocaleString('en')} lost`;
    print(`| ${row.name} | ${Math.round(row.perSecond).toLocaleString('en')} values/s | ${percentile(row.latency, 50)} / ${percentile(row.latency, 99)} ms | ${crash} | ${row.load.toFixed(2)} |`);
  }
  print();
  print(`- publish: \`producer --interval 0 -C ${values}\` (QoS 1), timed from its connection to its exit (every value acknowledged), to a persistent session that subscribed and left: the values are queued for it, which is what persistence writes.`);
  print(`- latency: ${latencyValues} values, one every ${latencyIntervalMs} ms, the consumer online: from the producer's JSON line saying it sent a value to the consumer's saying it received it, as this script reads them.`);
  print('- SIGKILL: right after the producer exited, the node that holds the session (node 1; Mosquitto is then started again with its data) is killed; the session returns (through nodes 2 and 3 for a cluster) and receives until every value came or none for 5 s.');
  print('- Mosquitto: max_queued_messages 0 (no limit), max_inflight_messages 1000; the clusters: 3 nodes, the session made on node 1, the producer on node 2, MQTT 3.1.1.');
}
