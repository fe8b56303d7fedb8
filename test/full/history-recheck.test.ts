/**
 * A saved history checked again: the demo writes the history of a real fault scenario (on a NATS cluster
 * it starts, or an article's on the embedded broker) with --history FILE, and the report command reads
 * it back and gives the same verdict and figures from the operations alone; a history that cannot be
 * read is refused with the line named.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { historyLines, parseHistory } from '../../src/core/history.js';
import { CliProcess } from '../support/cli.js';
import { natsSkip } from '../support/nats.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mqtt-ps-history-'));
});
after(async () => {
  await CliProcess.killAll();
  rmSync(dir, { recursive: true, force: true });
});

/** The lines of a command's output from its "Observed:" line on, without colour. */
function observed(lines: string[]): string {
  const line = lines.find((text) => text.startsWith('Observed: '));
  assert.ok(line, `an Observed line in:\n${lines.join('\n')}`);
  return line;
}

describe('a saved history checked again', () => {
  it('kill-consumer-node on a 3-node NATS cluster: the report of its history gives the verdict and figures the demo gave', { skip: natsSkip() }, async () => {
    const file = join(dir, 'kill-consumer-node.jsonl');
    const demo = CliProcess.demo(['--scenario', 'kill-consumer-node', '--history', file]);
    const exit = await demo.exitWithin(240_000);
    const story = `${demo.stdout}\n${demo.stderr}`;
    const verdict = demo.lines.find((line) => line === 'PASS' || line === 'FAIL');
    assert.equal(verdict, 'PASS', story);
    assert.equal(exit.code, 0, story);
    const parsed = parseHistory(readFileSync(file, 'utf8'));
    assert.ok('operations' in parsed, JSON.stringify(parsed));
    const ops = parsed.operations;
    assert.ok(ops.every((op) => op.scenario === 'kill-consumer-node'), 'the scenario named on each operation');
    assert.deepEqual(
      ops.filter((op) => op.f === 'fault').map((op) => [op.type, op.kind, op.node]),
      [
        ['invoke', 'heal', null],
        ['ok', 'heal', null],
        ['invoke', 'kill', 1],
        ['ok', 'kill', 1],
      ],
      'the nemesis healed the cluster, then killed node 1',
    );
    assert.equal(new Set(ops.flatMap((op) => (op.f === 'publish' && op.type === 'ok' ? [op.value] : []))).size, 5000, 'every value acknowledged, one ok each');
    assert.ok(ops.some((op) => op.f === 'deliver' && op.node !== 1), 'values delivered through another node');
    assert.ok(ops.every((op, i) => i === 0 || op.time >= ops[i - 1]!.time), 'one time line, in order');

    const report = CliProcess.report(['--history', file]);
    const reportExit = await report.exitWithin(60_000);
    assert.equal(reportExit.code, 0, report.stderr);
    assert.equal(observed(report.lines), observed(demo.lines), 'the same figures, failover included');
    assert.ok(report.lines.includes('PASS'), report.stdout);
    assert.match(report.stdout, /Acknowledged lost: 0\n/);
  });

  it("offline-producer on the embedded broker: the nemesis's cut and restore of the producer's link are in its history, the report gives the demo's verdict, and the same history with one value lost fails", async () => {
    const file = join(dir, 'offline-producer.jsonl');
    const demo = CliProcess.demo(['--scenario', 'offline-producer', '--history', file]);
    const exit = await demo.exitWithin(120_000);
    const story = `${demo.stdout}\n${demo.stderr}`;
    assert.equal(demo.lines.find((line) => line === 'PASS' || line === 'FAIL'), 'PASS', story);
    assert.equal(exit.code, 0, story);
    const parsed = parseHistory(readFileSync(file, 'utf8'));
    assert.ok('operations' in parsed, JSON.stringify(parsed));
    const ops = parsed.operations;
    assert.deepEqual(
      ops.filter((op) => op.f === 'fault').map((op) => [op.type, op.kind, op.node, op.f === 'fault' ? op.target : undefined]),
      [
        ['invoke', 'cut', null, 'producer-1'],
        ['ok', 'cut', null, 'producer-1'],
        ['invoke', 'restore', null, 'producer-1'],
        ['ok', 'restore', null, 'producer-1'],
      ],
      'the nemesis cut the producer\'s link, then restored it',
    );
    const [cut, restore] = ops.filter((op) => op.f === 'fault' && op.type === 'invoke');
    const keptAt = new Map<number, number>();
    for (const op of ops) if (op.f === 'publish' && op.type === 'invoke' && !keptAt.has(op.value)) keptAt.set(op.value, op.time);
    const counted = [...keptAt].filter(([, time]) => time >= cut!.time && time < restore!.time).map(([value]) => value);
    assert.ok(counted.length >= 5, `about 15 values counted while cut, ${counted.length} in the history`);
    assert.ok(counted.every((value) => ops.some((op) => op.f === 'deliver' && op.value === value)), 'each delivered');

    const report = CliProcess.report(['--history', file]);
    assert.equal((await report.exitWithin(60_000)).code, 0, report.stderr);
    assert.equal(observed(report.lines), observed(demo.lines), 'the same figures, the values counted while cut and the failover included');
    assert.match(observed(report.lines), /^Observed: \d+ values counted while the producer's link was cut \(1\.5 s\); /);
    assert.ok(report.lines.includes('PASS'), report.stdout);

    // The same run, had the consumer never received one value counted while the link was cut.
    const missing = counted[1]!;
    const lostFile = join(dir, 'offline-producer-lost.jsonl');
    writeFileSync(lostFile, historyLines(ops.filter((op) => !(op.f === 'deliver' && op.value === missing))));
    const again = CliProcess.report(['--history', lostFile]);
    assert.equal((await again.exitWithin(60_000)).code, 3, again.stderr);
    assert.ok(again.lines.includes('FAIL'), again.stdout);
    assert.match(observed(again.lines), new RegExp(`, 1 acknowledged lost \\(${missing}\\);`));
  });

  it('a history where an acknowledged value was never delivered fails again, exit 3, the value named', async () => {
    const scenario = 'kill-while-away';
    const op = (fields: Record<string, unknown>): string => JSON.stringify({ scenario, ...fields });
    const lines = [
      op({ process: 'consumer-1', time: 0, f: 'connect', type: 'ok', role: 'consumer', session: 'c', node: 1, sessionPresent: false }),
      ...[1, 2, 3].flatMap((value) => [op({ process: 'producer-1', time: value, f: 'publish', type: 'invoke', stream: 't', value }), op({ process: 'producer-1', time: value + 0.5, f: 'publish', type: 'ok', stream: 't', value })]),
      op({ process: 'nemesis', time: 10, f: 'fault', type: 'invoke', kind: 'kill', node: 1 }),
      op({ process: 'consumer-2', time: 12, f: 'connect', type: 'ok', role: 'consumer', session: 'c', node: 2, sessionPresent: true }),
      op({ process: 'consumer-2', time: 13, f: 'deliver', type: 'ok', stream: 't', value: 1, session: 'c', node: 2 }),
      op({ process: 'consumer-2', time: 14, f: 'deliver', type: 'ok', stream: 't', value: 3, session: 'c', node: 2 }),
    ];
    const file = join(dir, 'lost.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const report = CliProcess.report(['--history', file]);
    assert.equal((await report.exitWithin(30_000)).code, 3, report.stderr);
    assert.equal(observed(report.lines), 'Observed: 3 acknowledged, 2 delivered, 1 acknowledged lost (2); 0 duplicates, 0 out of order; failover 0.0 s from the kill of node 1 (SIGKILL) to the first value after it');
    assert.ok(report.lines.includes('FAIL'), report.stdout);
  });

  it('a bad line: one line on stderr naming the file and the line, exit 1; --history with member records is a usage error', async () => {
    const file = join(dir, 'bad.jsonl');
    const good = JSON.stringify({ scenario: 'random', process: 'nemesis', time: 1, f: 'fault', type: 'invoke', kind: 'kill', node: 2 });
    writeFileSync(file, `${good}\n${good.replace('"kill"', '"flood"')}\n`);
    const report = CliProcess.report(['--history', file]);
    assert.equal((await report.exitWithin(30_000)).code, 1);
    assert.equal(report.stderr, `report: ${file} line 2 is not an operation of a history: kind: Invalid option: expected one of "kill"|"start"|"pause"|"resume"|"restart-all"|"isolate"|"disconnect"|"heal"|"cut"|"stall"|"restore"|"restart"|"stop"\n`);
    assert.equal(report.stdout, '');
    const missing = CliProcess.report(['--history', join(dir, 'none.jsonl')]);
    assert.equal((await missing.exitWithin(30_000)).code, 1);
    assert.match(missing.stderr, /^report: cannot read the history .*none\.jsonl: ENOENT\n$/);
    const both = CliProcess.report(['--history', file, 'member.json']);
    assert.equal((await both.exitWithin(30_000)).code, 2);
    assert.match(both.stderr, /^report: --history checks a saved history alone/);
  });
});
