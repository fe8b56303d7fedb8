/**
 * The speed benchmark: the package as installed from its tarball against Mosquitto's own C clients and
 * the subscriber MQTT.js's README shows (scripts/bare-subscriber.mjs), on the same work, one process per
 * measurement timed from its start to its exit, rounds alternating the order, medians and ratios.
 * Whatever the C client publishes is counted at a subscriber.
 *   npm run bench [-- --rounds N --max-load L --max-wait S]
 *   npm run bench -- --durability: what durability costs (scripts/durability.ts)
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/package-root.js';
import { PrivateMosquitto } from '../src/brokers/mosquitto.js';
import {
  binEnv,
  checkValues,
  fail,
  installPackage,
  machine,
  median,
  needMosquittoClients,
  option,
  outputLines,
  percentile,
  timed,
  whenQuiet,
  type Timed,
} from './measuring.js';

const rounds = option('--rounds', 3);
const maxLoad = option('--max-load', 0.7);
const maxWaitS = option('--max-wait', 600);
const drainSize = 200_000;
/** mosquitto_pub -l delivered only part of 100,000 lines here (Mosquitto 2.0.11): compared at 50,000. */
const publishSize = 50_000;
const latencyValues = 100;
const latencyIntervalMs = 100;
/** A start-up is a tenth of a second, which a busy machine moves by as much: many rounds, alternated. */
const startupRounds = 31;

/** The drain: the consumer, mosquitto_sub, and the bare MQTT.js subscriber. */
const drainers = ['ours', 'c', 'bare'] as const;
type Drainer = (typeof drainers)[number];
/** The publish: the producer, the producer with its crash-proof outbox (--state), one mosquitto_pub -l. */
const publishers = ['ours', 'state', 'c'] as const;
type Publisher = (typeof publishers)[number];
const bareSubscriber = join(packageRoot, 'scripts', 'bare-subscriber.mjs');
/** Each round starts the list at another place, so that no client always goes first. */
const rotated = <T>(list: readonly T[], round: number): T[] => list.map((_, i) => list[(i + round) % list.length]!);

const receivedValue = (line: string): number | undefined => (line.startsWith('Received message: ') ? Number.parseInt(line.slice(18), 10) : undefined);
const bareValue = (line: string): number | undefined => (line === '' ? undefined : Number(line));

function mustSucceed(what: string, run: Timed): Timed {
  if (run.status !== 0) fail(`${what} exited with status ${run.status}`);
  return run;
}

async function main(): Promise<void> {
  needMosquittoClients();
  const { dir, bin } = installPackage();
  const loads: number[] = [];
  const fresh = (queued: number): Promise<PrivateMosquitto> =>
    new PrivateMosquitto({ persistence: false, config: ['max_inflight_messages 1000', `max_queued_messages ${queued + 1000}`] }).start();
  const host = (broker: PrivateMosquitto): string[] => ['-h', '127.0.0.1', '-p', String(broker.port), '-V', '5', '-q', '1'];

  // Start-up: the installed consumer's --help against node doing nothing.
  const startup = { ours: [] as number[], node: [] as number[] };
  loads.push(await whenQuiet(maxLoad, maxWaitS));
  for (let round = 0; round < Math.max(rounds, startupRounds); round++) {
    for (const which of round % 2 === 0 ? (['node', 'ours'] as const) : (['ours', 'node'] as const)) {
      const run = which === 'node' ? timed(process.execPath, ['-e', '0']) : timed(bin('mqtt-ps-consumer'), ['--help'], { stdout: '/dev/null' });
      startup[which].push(mustSucceed(which, run).ms);
    }
  }

  // Drain: a session holding a backlog of queued QoS 1 values (put there by the producer), then the client returns.
  const drain: Record<Drainer, number[]> = { ours: [], c: [], bare: [] };
  // Publish: the values queued for a subscriber's session, counted by it afterwards.
  const publish: Record<Publisher, number[]> = { ours: [], state: [], c: [] };
  const lines = join(dir, 'values.txt');
  writeFileSync(lines, Array.from({ length: publishSize }, (_, i) => `${i + 1}\n`).join(''));

  for (let round = 0; round < rounds; round++) {
    loads.push(await whenQuiet(maxLoad, maxWaitS));
    const size = drainSize;
    for (const client of rotated(drainers, round)) {
      const broker = await fresh(size);
      try {
        const id = `drain-${client}`;
        const out = join(dir, `${id}.out`);
        mustSucceed('opening the session', timed('mosquitto_sub', [...host(broker), '-c', '-i', id, '-t', 'drain', '-x', '3600', '-E']));
        mustSucceed('filling the backlog', timed(bin('mqtt-ps-producer'), ['-L', broker.url, '-t', 'drain', '--interval', '0', '-C', String(size)], { stdout: '/dev/null' }));
        const run =
          client === 'ours'
            ? timed(bin('mqtt-ps-consumer'), ['-L', broker.url, '-i', id, '-t', 'drain', '--state', join(dir, `${id}.json`), '-C', String(size)], { stdout: out })
            : client === 'bare'
              ? timed(process.execPath, [bareSubscriber, broker.url, id, 'drain', String(size)], { stdout: out })
              : timed('mosquitto_sub', [...host(broker), '-c', '-i', id, '-t', 'drain', '-x', '3600', '-C', String(size)], { stdout: out });
        mustSucceed(`draining ${size}`, run);
        const problem = checkValues(outputLines(out), size, client === 'ours' ? receivedValue : bareValue);
        if (problem) fail(`${drainerName[client]} draining ${size}: ${problem}`);
        drain[client].push(run.ms);
        rmSync(join(dir, `${id}.json`), { force: true });
      } finally {
        await broker.dispose();
      }
    }
    for (const client of rotated(publishers, round)) {
      const broker = await fresh(publishSize);
      try {
        const verifier = ['-c', '-i', 'verifier', '-t', 'burst', '-x', '3600'];
        mustSucceed('opening the subscriber session', timed('mosquitto_sub', [...host(broker), ...verifier, '-E']));
        const producerArgs = ['-L', broker.url, '-t', 'burst', '--interval', '0', '-C', String(publishSize)];
        const outbox = join(dir, 'producer-state.json');
        rmSync(outbox, { force: true });
        const run =
          client === 'c'
            ? timed('mosquitto_pub', [...host(broker), '-t', 'burst', '-l'], { stdin: lines })
            : timed(bin('mqtt-ps-producer'), client === 'state' ? [...producerArgs, '--state', outbox] : producerArgs, { stdout: '/dev/null' });
        mustSucceed(`publishing ${publishSize}`, run);
        const out = join(dir, 'verifier.out');
        mustSucceed('counting at the subscriber', timed('mosquitto_sub', [...host(broker), ...verifier, '-C', String(publishSize), '-W', '30'], { stdout: out }));
        const problem = checkValues(outputLines(out), publishSize, bareValue);
        if (problem) fail(`${publisherName[client]} publishing ${publishSize}, at the subscriber: ${problem}`);
        publish[client].push(run.ms);
      } finally {
        await broker.dispose();
      }
    }
  }

  loads.push(await whenQuiet(maxLoad, maxWaitS));
  const latencyBroker = await fresh(latencyValues);
  const waits = { ours: await latencyOurs(bin, latencyBroker.url), c: await latencyC(latencyBroker.port) };
  await latencyBroker.dispose();
  rmSync(dir, { recursive: true, force: true });

  const print = (line = ''): void => void process.stdout.write(`${line}\n`);
  const ms = (value: number): string => `${Math.round(value)} ms`;
  const row = (what: string, ours: number[], peer: number[], peerName: string, target: number): string => {
    const ratio = median(ours) / median(peer);
    return `| ${what} | ${ms(median(ours))} | ${ms(median(peer))} (${peerName}) | ${ratio.toFixed(2)} | at most ${target.toFixed(1)}: ${ratio <= target ? 'met' : 'SHORT'} |`;
  };
  const startupGap = median(startup.ours) - median(startup.node);
  const drained = `drain ${drainSize.toLocaleString('en')} queued: consumer`;
  const published = `publish ${publishSize.toLocaleString('en')}: \`producer --interval 0 -C\``;
  print(`Benchmark of ${new Date().toISOString().slice(0, 10)} on ${machine()}`);
  print(`1-minute load when each round began: ${loads.map((load) => load.toFixed(2)).join(', ')} (measured only below ${maxLoad})`);
  print();
  print('| measurement | this project | the peer | ratio | target |');
  print('|---|---|---|---|---|');
  print(`| start-up: \`mqtt-ps-consumer --help\` vs \`node -e 0\` | ${ms(median(startup.ours))} | ${ms(median(startup.node))} (node) | ${startupGap >= 0 ? '+' : ''}${ms(startupGap)} | within 60 ms: ${startupGap <= 60 ? 'met' : 'SHORT'} |`);
  print(row(`${drained} vs \`mosquitto_sub -c -C\``, drain.ours, drain.c, 'mosquitto_sub', 1.5));
  print(row(`${drained} vs bare MQTT.js`, drain.ours, drain.bare, 'MQTT.js', 0.8));
  print(row(`${published} vs one \`mosquitto_pub -l\``, publish.ours, publish.c, 'mosquitto_pub', 1.5));
  print(row(`publish ${publishSize.toLocaleString('en')}: \`producer --interval 0 -C --state\` vs one \`mosquitto_pub -l\``, publish.state, publish.c, 'mosquitto_pub', 2.0));
  print(`| latency at output, one value per ${latencyIntervalMs} ms (p50 / p99 of ${latencyValues}) | ${ms(percentile(waits.ours, 50))} / ${ms(percentile(waits.ours, 99))} | ${ms(percentile(waits.c, 50))} / ${ms(percentile(waits.c, 99))} (mosquitto_sub) | | |`);
  print();
  print(`Each figure is one process of the installed package (npm pack, installed offline into a temporary prefix), of a C client, or of node running the bare MQTT.js subscriber, from its start to its exit, start-up included; medians of ${rounds} rounds, each starting the clients at another place in their order (start-up: ${Math.max(rounds, startupRounds)} rounds).`);
  print('Every drain and publish has a fresh private Mosquitto 127.0.0.1 (persistence off, max_inflight_messages 1000), the same for every client.');
  print('- start-up: the consumer printing its help and exiting, against node starting and exiting with nothing to do.');
  print('- drain: a persistent session (MQTT 5, QoS 1) holding N values the producer queued; the client connects with it and exits after N. The consumer as shipped: accounting, checkpoint file (group commit), a line per value to a file; mosquitto_sub, and bare MQTT.js (scripts/bare-subscriber.mjs: connect, subscribe, console.log each payload, as MQTT.js\'s README shows), print each payload to a file. Every output is checked for every value 1..N.');
  print(`- publish: ${publishSize.toLocaleString('en')} QoS 1 values, MQTT 5; the producer counts them itself (with --state, each value is in its outbox file before it is sent), mosquitto_pub -l reads them from a file (one run); a subscriber's session receives them all and is counted afterwards for every value.`);
  print('- latency: send to the line appearing on the subscriber\'s output (read by this script): the producer\'s send time (its user property) to the consumer\'s JSON line, and the moment this script hands mosquitto_pub -l a line (the payload) to mosquitto_sub printing it.');
  print();
  print(`start-up rounds (ms): consumer --help ${startup.ours.map(Math.round).join(' ')}; node -e 0 ${startup.node.map(Math.round).join(' ')}`);
  print(`drain ${drainSize} rounds (ms): consumer ${drain.ours.map(Math.round).join(' ')}; mosquitto_sub ${drain.c.map(Math.round).join(' ')}; bare MQTT.js ${drain.bare.map(Math.round).join(' ')}`);
  print(`publish ${publishSize} rounds (ms): producer ${publish.ours.map(Math.round).join(' ')}; producer --state ${publish.state.map(Math.round).join(' ')}; mosquitto_pub ${publish.c.map(Math.round).join(' ')}`);
}

const drainerName: Record<Drainer, string> = { ours: 'the consumer', c: 'mosquitto_sub', bare: 'bare MQTT.js' };
const publisherName: Record<Publisher, string> = { ours: 'the producer', state: 'the producer with --state', c: 'mosquitto_pub -l' };

/** Lines of a child's stdout as they arrive, each with the time it arrived. */
function arrivals(child: ReturnType<typeof spawn>, onLine: (line: string, at: number) => void): void {
  let rest = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const at = Date.now();
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop()!;
    for (const line of parts) onLine(line, at);
  });
}

async function latencyOurs(bin: (name: string) => string, url: string): Promise<number[]> {
  const waits: number[] = [];
  let subscribed = false;
  const consumer = spawn(bin('mqtt-ps-consumer'), ['-L', url, '-i', 'latency', '-t', 'latency', '--no-state', '--json', '-C', String(latencyValues)], { env: binEnv, stdio: ['ignore', 'pipe', 'inherit'] });
  arrivals(consumer, (line, at) => {
    if (line.includes('"subscribed"')) subscribed = true;
    if (!line.includes('"event":"message"')) return;
    const sentAt = (JSON.parse(line) as { sentAt: number | null }).sentAt;
    if (sentAt !== null) waits.push(at - sentAt);
  });
  const exited = new Promise<void>((resolve) => consumer.once('exit', () => resolve()));
  while (!subscribed) await new Promise((resolve) => setTimeout(resolve, 20));
  const producer = spawn(bin('mqtt-ps-producer'), ['-L', url, '-t', 'latency', '--interval', String(latencyIntervalMs), '-C', String(latencyValues)], { env: binEnv, stdio: 'ignore' });
  await Promise.all([exited, new Promise((resolve) => producer.once('exit', resolve))]);
  if (waits.length !== latencyValues) fail(`latency: the consumer printed ${waits.length} of ${latencyValues} values`);
  return waits;
}

async function latencyC(port: number): Promise<number[]> {
  const waits: number[] = [];
  const args = ['-h', '127.0.0.1', '-p', String(port), '-V', '5', '-q', '1', '-t', 'latency-c'];
  const subscriber = spawn('mosquitto_sub', [...args, '-C', String(latencyValues)], { stdio: ['ignore', 'pipe', 'inherit'] });
  arrivals(subscriber, (line, at) => waits.push(at - Number(line)));
  const exited = new Promise<void>((resolve) => subscriber.once('exit', () => resolve()));
  // mosquitto_sub says nothing when subscribed: give it time, then check that no value went unseen.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const publisher = spawn('mosquitto_pub', [...args, '-l'], { stdio: ['pipe', 'ignore', 'inherit'] });
  for (let i = 0; i < latencyValues; i++) {
    publisher.stdin.write(`${Date.now()}\n`);
    await new Promise((resolve) => setTimeout(resolve, latencyIntervalMs));
  }
  publisher.stdin.end();
  await exited;
  if (waits.length !== latencyValues) fail(`latency: mosquitto_sub printed ${waits.length} of ${latencyValues} values`);
  return waits;
}

// --durability is a benchmark of its own: scripts/durability.ts.
const run = process.argv.includes('--durability') ? () => import('./durability.js').then((durability) => durability.main()) : main;
void run().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
