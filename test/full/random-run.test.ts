/**
 * A random fault run replayed: two runs of 60 s with the same seed on a NATS cluster the demo starts,
 * each node in a network namespace of its own, give the same schedule of faults (partitions among
 * them), printed and recorded in their histories, whatever the load of the machine; the history of a
 * run, checked again, gives the figures the run printed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { privateNetworkMissing } from '../../src/brokers/private-network.js';
import { parseHistory } from '../../src/core/history.js';
import { randomFaultKinds, randomSchedule } from '../../src/demo/random-run.js';
import { CliProcess } from '../support/cli.js';
import { natsSkip } from '../support/nats.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mqtt-ps-random-'));
});
after(async () => {
  await CliProcess.killAll();
  rmSync(dir, { recursive: true, force: true });
});

interface RandomRun {
  lines: string[];
  /** The faults as the history recorded them (not the heals of every node at the start and the end): type, kind, node, planned time. */
  faults: string[];
  /** The verdict and the checkers' figures as printed at the end. */
  figures: string[];
  file: string;
}

async function randomRun(seed: number, name: string, extra: string[] = []): Promise<RandomRun> {
  const file = join(dir, `${name}.jsonl`);
  const demo = CliProcess.demo(['--cluster', '--random', '--time-limit', '60', '--seed', String(seed), '--history', file, ...extra]);
  const exit = await demo.exitWithin(300_000);
  // A run that lost acknowledged values says so and exits 1: a finding about the broker, not a failure of the replay.
  if (exit.code !== 0) assert.match(demo.stderr, /^demo: (1 acknowledged value was|\d+ acknowledged values were) lost\n$/, `${demo.stdout}\n${demo.stderr}`);
  const parsed = parseHistory(readFileSync(file, 'utf8'));
  assert.ok('operations' in parsed, JSON.stringify(parsed));
  const faults = parsed.operations.flatMap((op) => (op.f === 'fault' && op.node !== null ? [`${op.type} ${op.kind} ${String(op.node)} planned ${String(op.planned)}`] : []));
  const from = demo.lines.findIndex((line) => line.startsWith('Observed: '));
  return { lines: demo.lines, faults, figures: demo.lines.slice(from), file };
}

/** Why partitions cannot be drawn here (no root), or false; under CI their absence is a failure. */
function partitionSkip(): string | false {
  const missing = privateNetworkMissing();
  if (!missing) return false;
  if (process.env.CI) throw new Error(`${missing}; under CI that is a failure`);
  return missing;
}

/** What the nemesis does and then undoes for each kind of fault: the history's kinds and the lines that say them. */
const undone = {
  kill: { undo: 'start', said: (node: number) => [`The nemesis kills node ${node} (SIGKILL).`, `The nemesis starts node ${node} again`] },
  pause: { undo: 'resume', said: (node: number) => [`The nemesis pauses node ${node} (SIGSTOP).`, `The nemesis resumes node ${node} (SIGCONT).`] },
  isolate: { undo: 'heal', said: (node: number) => [`The nemesis cuts node ${node} off from the other nodes; the clients still reach it.`, `The nemesis heals node ${node}'s links.`] },
  disconnect: { undo: 'heal', said: (node: number) => [`The nemesis cuts node ${node} off from the other nodes and from the clients.`, `The nemesis heals node ${node}'s links.`] },
};

describe('a random fault run replayed from its seed', { skip: natsSkip() || partitionSkip() }, () => {
  it('seed 42 twice, 60 s each on a 3-node NATS cluster in namespaces: the same faults, partitions among them, at the same planned times, each said by the nemesis as it happens', async () => {
    const first = await randomRun(42, 'first');
    const page = join(dir, 'second.html');
    const second = await randomRun(42, 'second', ['--html', page]);
    const planned = randomSchedule(42, 60_000, 3);
    assert.ok(['isolate', 'disconnect'].every((kind) => planned.some((fault) => fault.kind === kind)), 'seed 42 draws both partitions');
    const expected = planned.flatMap((fault) => {
      const undo = undone[fault.kind].undo;
      const end = fault.at + fault.durationMs;
      return [`invoke ${fault.kind} ${fault.node} planned ${fault.at}`, `ok ${fault.kind} ${fault.node} planned ${fault.at}`, `invoke ${undo} ${fault.node} planned ${end}`, `ok ${undo} ${fault.node} planned ${end}`];
    });
    assert.deepEqual(first.faults, expected, 'the first run did the schedule of seed 42');
    assert.deepEqual(second.faults, first.faults, 'the second run did the same');
    for (const run of [first, second]) {
      assert.match(run.lines[0]!, /^Seed: 42 \(.* --cluster --random --time-limit 60 --seed 42 replays this schedule\)$/);
      assert.match(run.lines[1]!, /^Cluster: a NATS cluster of 3 nodes, each node in a network namespace of its own /);
      assert.equal(run.lines[2], `The nemesis's repertoire on this cluster: ${randomFaultKinds.join(', ')}.`);
      const plannedLine = run.lines.find((line) => line.startsWith('The nemesis plans'));
      assert.equal(plannedLine, first.lines.find((line) => line.startsWith('The nemesis plans')), 'the same plan printed');
      assert.match(plannedLine!, /disconnect node 2 at 8\.8 s for 5\.3 s/);
      const said = run.lines.filter((line) => /\] The nemesis (kills|pauses|starts|resumes|cuts|heals) node/.test(line)).map((line) => line.replace(/^ *\[[\d.]+ s\] /, '').replace(/: it takes sessions after .*$/, ''));
      assert.deepEqual(said, planned.flatMap((fault) => undone[fault.kind].said(fault.node)), 'each fault said as it happens, naming the nemesis and the fault');
      assert.ok(run.figures.some((line) => /^ {2}Acknowledged lost: \d+/.test(line)), run.figures.join('\n'));
      assert.equal(run.figures[1], run.figures.includes('  Acknowledged lost: 0') ? 'PASS' : 'FAIL', 'PASS exactly when nothing acknowledged was lost');
      assert.ok(run.figures.some((line) => line.startsWith('  Failover after the cut of node 2 from the other nodes and the clients at ')), run.figures.join('\n'));
    }
    // The second run's page draws each fault of the schedule as a window on the node it struck.
    const html = readFileSync(page, 'utf8');
    const windows = [...html.matchAll(/<g class="fault" data-fault="(\w+)" data-node="(\d*)"/g)].map((match) => `${match[1]} ${match[2]}`);
    assert.deepEqual(windows, planned.map((fault) => `${fault.kind} ${fault.node}`), 'a fault window for each planned fault');
    assert.match(html, /seed 42/);
    const report = CliProcess.report(['--history', first.file]);
    assert.equal((await report.exitWithin(60_000)).code, first.figures[1] === 'PASS' ? 0 : 3, report.stderr);
    assert.deepEqual(
      report.lines,
      ['== random', ...first.figures],
      'the saved history checked again gives the figures the run printed',
    );
  });
});

describe('the options of a random run', () => {
  it('refuses what does not go together, one line and exit 2: --seed without --random, a time limit out of range, --random with --url, on too few nodes, on a broker whose nodes it cannot kill', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--seed', '7'], /^demo: --time-limit and --seed shape a random run: add --random\n$/],
      [['--random', '--time-limit', '5'], /^demo: .*the time limit must be from 20 to 3600\.\n$/],
      [['--random', '--seed', '-1'], /^demo: .*the seed must be from 0 to 2147483647\.\n$/],
      [['--random', '--url', 'mqtt://127.0.0.1:1'], /^demo: .*'--random' cannot be used with option '-L, --url <url>'\n$/],
      [['--random', '--nodes', '2'], /^demo: --random kills and pauses nodes: it needs --nodes 3 or more\n$/],
      [['--random', '--broker', 'mosquitto'], /^demo: --random kills and pauses nodes of a cluster the demo starts/],
    ];
    for (const [args, message] of cases) {
      const demo = CliProcess.demo(args);
      const exit = await demo.exitWithin(30_000);
      assert.equal(exit.code, 2, `${args.join(' ')}: ${demo.stderr}`);
      assert.match(demo.stderr, message, args.join(' '));
    }
  });
});
