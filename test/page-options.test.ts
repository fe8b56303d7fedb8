/** --html asked for where there is nothing to draw, or a page that cannot be written: one clear line on stderr, a documented exit status. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { commandArgs } from '../src/cli/package.js';
import { historyLines } from '../src/core/history.js';

function run(name: 'report' | 'demo', args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [...commandArgs(name), ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function assertOneLine(result: { status: number | null; stderr: string }, status: number, pattern: RegExp): void {
  assert.equal(result.status, status, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${result.stderr}`);
  assert.match(lines[0]!, pattern);
}

describe('--html where there is nothing to draw', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mqtt-persistent-sessions-page-options-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('report --html without --history is invalid usage (exit 2)', () => {
    assertOneLine(run('report', ['--html', join(dir, 'page.html')]), 2, /--html draws a saved history: give it with --history FILE/);
  });

  it("the report card (demo --url alone) has no scenario to draw: exit 2", () => {
    assertOneLine(run('demo', ['--url', 'mqtt://127.0.0.1:1', '--html', join(dir, 'card.html')]), 2, /--html draws the scenarios the demo runs/);
  });

  it('a page that cannot be written is said in one line (exit 1), after the report', () => {
    const history = join(dir, 'history.jsonl');
    writeFileSync(history, historyLines([{ scenario: 'random', process: 'nemesis', time: 0, f: 'fault', type: 'invoke', kind: 'kill', node: 1 }]));
    const result = run('report', ['--history', history, '--html', join(dir, 'missing-folder', 'page.html')]);
    assertOneLine(result, 1, /cannot write the page .*missing-folder\/page\.html: ENOENT/);
    assert.match(result.stdout, /== random/);
  });
});
