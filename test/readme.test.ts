/**
 * The README's tutorial, run as it is written: its five steps against Mosquitto with the project's
 * config, each command through npm in its own process group, Ctrl+C as a terminal sends it; the
 * output of steps 3 and 5 compared with the README's captured blocks, line by line.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { projectConfig } from '../src/brokers/mosquitto.js';
import { packageRoot } from '../src/cli/package.js';
import { mosquittoSkip, TestMosquitto } from './support/mosquitto.js';
import { waitFor } from './support/wait.js';

/** The fenced blocks of the README's tutorial section, in order. */
function tutorialBlocks(): string[][] {
  const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
  const section = readme.split('## The tutorial in five steps')[1]!.split('\n## ')[0]!;
  const blocks: string[][] = [];
  for (const match of section.matchAll(/^( *)```\n([\s\S]*?)^\1```$/gm)) {
    const indent = match[1]!.length;
    blocks.push(match[2]!.split('\n').filter((line) => line.trim() !== '').map((line) => line.slice(indent)));
  }
  return blocks;
}

/**
 * What may differ from one run to the next is masked: the port, the state folder, ids, times, the
 * timeline's bar and every number but the counts of trouble (missing, duplicates, out of order,
 * producer restarts), which the README states as they must be.
 */
function masked(line: string): string {
  return line
    .replace(/mqtt:\/\/localhost:\d+/g, 'mqtt://localhost:PORT')
    .replace(/\S*\/mqtt-persistent-sessions\//g, 'STATE/')
    .replace(/producer-[0-9a-f]+/g, 'producer-ID')
    .replace(/run [0-9a-f]{8}/g, 'run ID')
    .replace(/\d+(\.\d+)? (ms|s)\b/g, 'TIME')
    .replace(/\[[#=. ]*\]/g, '[BAR]')
    .replace(/\d+(?! (missing|duplicates|out of order|producer restarts)\b)/g, 'N');
}

/**
 * Whether the captured block matches the output: line for line after masking, where a line "..."
 * stands for any number of lines (a trailing one, for the rest of the output).
 */
function mismatch(block: string[], output: string[]): string | undefined {
  const expected = block.map(masked);
  const actual = output.map(masked);
  const match = (i: number, j: number): boolean => {
    if (i === expected.length) return j === actual.length;
    if (expected[i] === '...') {
      for (let k = j; k <= actual.length; k++) if (match(i + 1, k)) return true;
      return false;
    }
    return j < actual.length && expected[i] === actual[j] && match(i + 1, j + 1);
  };
  if (match(0, 0)) return undefined;
  return `README:\n${block.join('\n')}\n\nreal run:\n${output.join('\n')}`;
}

/** A command line run through bash in its own process group, as a terminal runs it. */
class Terminal {
  private readonly child: ChildProcess;
  output = '';
  private readonly ended: Promise<void>;

  constructor(command: string, env: Record<string, string>) {
    this.child = spawn('bash', ['-c', command], { cwd: packageRoot, detached: true, env: { ...process.env, NO_COLOR: '1', ...env } });
    this.child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.ended = new Promise((resolve) => this.child.once('close', () => resolve()));
  }

  /** The command's own lines, without npm's banner ("> name@version script" and the command). */
  get lines(): string[] {
    return this.output.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('> '));
  }

  async until(what: string, check: (lines: string[]) => boolean, timeoutMs = 30_000): Promise<void> {
    await waitFor(what, () => check(this.lines), { timeoutMs, detail: () => this.output });
  }

  /** Ctrl+C to the whole process group, then the end of the command. */
  async interrupt(): Promise<void> {
    process.kill(-this.child.pid!, 'SIGINT');
    await this.ended;
  }

  kill(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

const received = (lines: string[]): number => lines.filter((line) => line.startsWith('Received message: ')).length;
const sent = (lines: string[]): number => lines.filter((line) => line.startsWith('Sent: ')).length;

describe("the README's tutorial", { skip: mosquittoSkip() }, () => {
  let broker: TestMosquitto;
  let dir: string;
  const terminals: Terminal[] = [];
  const open = (command: string): Terminal => {
    const terminal = new Terminal(command, { MQTT_URL: broker.url.replace('127.0.0.1', 'localhost'), XDG_STATE_HOME: dir });
    terminals.push(terminal);
    return terminal;
  };
  before(async () => {
    // Step 1: what `npm run broker` starts, on a free port with its data in a folder of its own.
    broker = await new TestMosquitto({ config: projectConfig('mosquitto.conf'), listenHost: 'localhost' }).start();
    dir = mkdtempSync(join(tmpdir(), 'mqtt-ps-readme-'));
  });
  after(async () => {
    for (const terminal of terminals) terminal.kill();
    await broker.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('steps 3 and 5 print what the README shows', async () => {
    const blocks = tutorialBlocks();
    assert.equal(blocks.length, 2, 'the README captures the output of steps 3 and 5');
    const [joined, resumed] = blocks as [string[], string[]];

    // Step 2: the producer, once a second.
    const producer = open('npm run producer');
    await producer.until('the first value', (lines) => sent(lines) >= 1);
    // Step 3: the consumer joins late and receives as many values as the README shows.
    const first = open('npm run consumer -- --id my-consumer');
    const shown = joined.filter((line) => line.startsWith('Received message: ')).length;
    await first.until(`${shown} values`, (lines) => received(lines) >= shown);
    const beforeStop = first.lines.slice(0, joined.length);
    // Step 4: Ctrl+C; the producer goes on while the consumer is away.
    await first.interrupt();
    const away = sent(producer.lines);
    await producer.until('values sent while the consumer is away', (lines) => sent(lines) >= away + 3);
    // Step 5: the same id again; the backlog, then one value live, then Ctrl+C.
    const second = open('npm run consumer -- --id my-consumer');
    await second.until('the backlog and a live value', (lines) => lines.some((line) => line.startsWith('Backlog:')) && lines.at(-1)!.startsWith('Received message: ') && !lines.at(-1)!.includes('(queued'));
    await second.interrupt();
    await producer.interrupt();

    assert.equal(mismatch(joined, beforeStop), undefined, mismatch(joined, beforeStop));
    assert.equal(mismatch(resumed, second.lines), undefined, mismatch(resumed, second.lines));
  });
});
