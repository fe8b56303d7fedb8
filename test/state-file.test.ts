import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Checkpoint, defaultCheckpointPath } from '../src/state/checkpoint.js';
import { CliError } from '../src/core/errors.js';
import { fromRanges, ProducerStateFile, toRanges } from '../src/state/producer-state.js';
import { SequenceTracker } from '../src/core/tracker.js';
import type { StateFileWait } from '../src/core/events.js';
import { ownerRunning, parseLockText, parseProcessStat } from '../src/state/lock-file.js';
import { waitFor } from './support/wait.js';

const linuxOnly = process.platform === 'linux' ? false : 'reads /proc';

/** The state letter of /proc/PID/stat (R, S, Z...), or undefined when there is no such process. */
function stateOf(pid: number): string | undefined {
  try {
    return parseProcessStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.state;
  } catch {
    return undefined;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'mqtt-ps-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('state files', () => {
  it('a checkpoint written and read back continues the same accounting', async () => {
    const tracker = new SequenceTracker();
    tracker.accept({ topic: 't', value: 1, receivedAt: 0, queued: false, qos: 1, context: { clean: false, sessionPresent: false, hadSession: false, afterReturn: false, queuedOnReturn: 0, queueLimit: null, takeoverSuspected: false } });
    const checkpoint = new Checkpoint(join(dir, 'nested', 'c.json'));
    await checkpoint.open();
    await checkpoint.save({ version: 3, clientId: 'c', topic: 't', hadSession: true, savedAt: 'now', tracker: tracker.snapshot() });
    const loaded = checkpoint.loadFor('c', 't');
    assert.equal(loaded?.hadSession, true);
    assert.deepEqual(loaded?.tracker, tracker.snapshot());
    assert.deepEqual(readdirSync(join(dir, 'nested')).sort(), ['c.json', 'c.json.lock'], 'no temporary file is left behind, only the lock of the running process');
  });

  it('a save is on disk when save() returns, without waiting for a turn of the event loop (a busy one delays nothing)', async () => {
    const path = join(dir, 'at-once.json');
    const checkpoint = new Checkpoint(path);
    const record = { version: 3 as const, clientId: 'c', topic: 't', hadSession: true, savedAt: 'now', tracker: new SequenceTracker().snapshot() };
    for (let round = 0; round < 3; round++) {
      const saving = checkpoint.save({ ...record, savedAt: `round ${round}` });
      assert.equal((JSON.parse(readFileSync(path, 'utf8')) as { savedAt: string }).savedAt, `round ${round}`);
      await saving;
    }
    assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('at-once.json')), ['at-once.json'], 'no temporary file left');
  });

  it('no file yet means no state, not an error', () => {
    assert.equal(new Checkpoint(join(dir, 'absent.json')).load(), undefined);
  });

  it('a damaged file is an error naming the file, never a silent fresh start', () => {
    const path = join(dir, 'damaged.json');
    writeFileSync(path, '{"version": 1, "trac');
    assert.throws(() => new Checkpoint(path).load(), (error: unknown) => error instanceof CliError && error.message.includes(path));
    writeFileSync(path, '{"something": "else"}');
    assert.throws(() => new ProducerStateFile(path).load(), /not a valid producer state file/);
  });

  it('a malformed field is an error naming the file and the field, not a NaN carried on', async () => {
    const path = join(dir, 'malformed.json');
    const tracker = new SequenceTracker();
    tracker.accept({ topic: 't', value: 1, receivedAt: 0, queued: false, qos: 1, context: { clean: false, sessionPresent: false, hadSession: false, afterReturn: false, queuedOnReturn: 0, queueLimit: null, takeoverSuspected: false } });
    const good = { version: 3, clientId: 'c', topic: 't', hadSession: true, savedAt: 'now', tracker: tracker.snapshot() };
    const cases: Array<[string, (data: typeof good) => void, RegExp]> = [
      ['a count that is not a number', (data) => void ((data.tracker.totals as unknown as Record<string, unknown>).missing = 'three'), /tracker\.totals\.missing/],
      ['a segment end that is not a whole number', (data) => void ((data.tracker.topics[0]!.segments[0] as unknown as Record<string, unknown>).to = 1.5), /tracker\.topics\[0\]\.segments\[0\]\.to/],
      ['a segment kind nobody knows', (data) => void ((data.tracker.topics[0]!.segments[0] as unknown as Record<string, unknown>).kind = 'lost'), /segments\[0\]\.kind/],
      ['a session flag that is not true or false', (data) => void ((data as unknown as Record<string, unknown>).hadSession = 'yes'), /hadSession/],
    ];
    for (const [what, spoil, field] of cases) {
      const data = structuredClone(good);
      spoil(data);
      writeFileSync(path, JSON.stringify(data));
      assert.throws(
        () => new Checkpoint(path).load(),
        (error: unknown) => error instanceof CliError && error.message.includes(path) && field.test(error.message),
        what,
      );
    }
  });

  it('a checkpoint of an older version (1 or 2: one sequence per topic) is refused in one line naming the file, never guessed at', () => {
    const path = join(dir, 'version-2.json');
    const tracker = {
      version: 1,
      totals: { received: 5, unique: 4, missing: 2, duplicates: 1, outOfOrder: 0, queued: 1, restarts: 0, invalid: 0, longestWaitMs: 12 },
      topics: [{ topic: 't', runId: 'old-run', first: 1, highest: 6, segments: [{ kind: 'live', from: 1, to: 2 }, { kind: 'missing', from: 3, to: 4 }] }],
      earlierMissing: [{ topic: 't', from: 100, to: 100 }],
    };
    for (const old of [{ version: 2, clientId: 'c', topic: 't', hadSession: true, savedAt: 'then', tracker }, { version: 1, clientId: 'c', hadSession: true, savedAt: 'then', tracker }]) {
      writeFileSync(path, JSON.stringify(old));
      assert.throws(
        () => new Checkpoint(path).loadFor('c', 't'),
        (error: unknown) =>
          error instanceof CliError &&
          error.message === `the state file ${path} is not a valid consumer checkpoint (version: this consumer reads checkpoints of version 3 only); move it away or pass another --state`,
        `version ${old.version}`,
      );
    }
  });

  it('a checkpoint of version 3 written before the totals were summed when asked is read as it was, and continued', () => {
    const path = join(dir, 'version-3.json');
    // As a consumer wrote it: a producer with a restart, a late value, a duplicate and a gap, and a topic shared by unnamed publishers.
    const written = {
      version: 3, clientId: 'c', topic: 't/#', hadSession: true,
      broker: { urls: ['mqtt://127.0.0.1:1883'], protocolVersion: 5 }, sessionExpiry: 3600, savedAt: '2026-11-29T20:00:00.000Z',
      tracker: {
        version: 2,
        totals: { received: 52, unique: 9, missing: 3, duplicates: 1, outOfOrder: 1, queued: 2, restarts: 1, invalid: 1, retained: 1, unjudged: 40, longestWaitMs: 900 },
        topics: [
          {
            topic: 't/a', producerId: 'p', runId: 'run-2', first: 1, highest: 6, received: 12, unique: 9, missing: 3, duplicates: 1, outOfOrder: 1, queued: 2, restarts: 1, longestQueuedWaitMs: 900, shared: false,
            segments: [{ kind: 'live', from: 1, to: 2 }, { kind: 'missing', from: 3, to: 3 }, { kind: 'queued', from: 4, to: 5 }, { kind: 'live', from: 6, to: 6 }], stepsBack: 3,
          },
          { topic: 't/b', producerId: null, runId: null, first: 1, highest: 120, received: 40, unique: 0, missing: 0, duplicates: 0, outOfOrder: 0, queued: 0, restarts: 0, longestQueuedWaitMs: null, shared: true, segments: [], stepsBack: 4 },
        ],
        earlierMissing: [{ topic: 't/a', producerId: 'p', from: 7, to: 8 }],
      },
    };
    writeFileSync(path, JSON.stringify(written));
    const loaded = new Checkpoint(path).loadFor('c', 't/#')!;
    // Written before bad paths and non-integer values were counted: none of them.
    const none = { badPaths: { count: 0, example: null }, nonIntegers: { count: 0, example: null } };
    const read = { ...written, tracker: { ...written.tracker, totals: { ...written.tracker.totals, ...none } } };
    assert.equal(JSON.stringify(loaded), JSON.stringify(read), 'read as written, field for field');
    const tracker = new SequenceTracker();
    tracker.restore(loaded.tracker);
    assert.equal(JSON.stringify(tracker.snapshot()), JSON.stringify(read.tracker), 'written again unchanged');
    const context = { clean: false, sessionPresent: true, hadSession: true, afterReturn: true, queuedOnReturn: 0, queueLimit: null, takeoverSuspected: false };
    const events = [...tracker.accept({ topic: 't/a', value: 9, producerId: 'p', runId: 'run-2', receivedAt: 0, queued: false, qos: 1, context }), ...tracker.accept({ topic: 't/b', value: 3, receivedAt: 0, queued: false, qos: 1, context })];
    assert.deepEqual(events.map((e) => e.event), ['resume', 'gap', 'message', 'message']);
    const summary = tracker.summary();
    assert.deepEqual(
      [summary.received, summary.unique, summary.missing, summary.duplicates, summary.unjudged, summary.invalid, summary.retained, summary.longestWaitMs],
      [54, 10, 5, 1, 41, 1, 1, 900],
    );
  });

  it("another client id's or topic filter's checkpoint is refused with exit 2, never adopted", async () => {
    const path = join(dir, 'owned.json');
    await new Checkpoint(path).save({ version: 3, clientId: 'first', topic: 'a/b', hadSession: true, savedAt: 'now', tracker: new SequenceTracker().snapshot() });
    assert.throws(() => new Checkpoint(path).loadFor('second', 'a/b'), (error: unknown) => error instanceof CliError && error.exitCode === 2 && /belongs to the client id first, not second/.test(error.message));
    assert.throws(() => new Checkpoint(path).loadFor('first', 'a/#'), (error: unknown) => error instanceof CliError && error.exitCode === 2 && /belongs to the topic filter a\/b, not a\/#/.test(error.message));
    assert.equal(new Checkpoint(path).loadFor('first', 'a/b')?.clientId, 'first');
  });

  it('one process at a time: a live owner is waited for, said once, then refused with exit 2', async () => {
    const path = join(dir, 'locked', 'c.json');
    const held = new Checkpoint(path);
    await held.open();
    const parent = process.ppid;
    writeFileSync(held.lockPath, `${parent}\n`);
    const waits: StateFileWait[] = [];
    const started = Date.now();
    await assert.rejects(new Checkpoint(path).open((wait) => waits.push(wait), 600), (error: unknown) => error instanceof CliError && error.exitCode === 2 && error.message.includes(`in use by another process (${parent})`));
    assert.ok(Date.now() - started >= 600, 'refused only after the wait');
    assert.deepEqual(waits, [{ path, pid: parent, waitMs: 600 }]);
  });

  it("a dead owner's lock, or one naming nobody, is taken over at once, and the temporary file a killed write left is removed", async () => {
    const path = join(dir, 'dead', 'c.json');
    const held = new Checkpoint(path);
    await held.open();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(held.lockPath, `${gone.stdout}\n`);
    writeFileSync(`${path}.123456789`, '{"half": ');
    const waits: StateFileWait[] = [];
    await new Checkpoint(path).open((wait) => waits.push(wait));
    assert.equal(readFileSync(held.lockPath, 'utf8').split(' ')[0], String(process.pid), 'the lock of a process that is gone is taken over');
    assert.deepEqual(readdirSync(join(dir, 'dead')), ['c.json.lock'], 'the temporary file a killed write left behind is removed');
    for (const damaged of ['', 'not a pid\n']) {
      writeFileSync(held.lockPath, damaged);
      await new Checkpoint(path).open((wait) => waits.push(wait));
      assert.equal(readFileSync(held.lockPath, 'utf8').split(' ')[0], String(process.pid), `a lock naming nobody (${JSON.stringify(damaged)}) is taken over`);
    }
    assert.deepEqual(waits, [], 'none of them waited for');
  });

  it('a zombie owner (killed, never reaped by its parent) holds nothing: its lock is taken at once', { skip: linuxOnly }, async () => {
    // The shell's child outlives the exec: sleep becomes its parent and never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number((await once(parent.stdout, 'data'))[0]);
      await waitFor(`process ${zombie} a zombie`, () => stateOf(zombie) === 'Z', { detail: () => `its state: ${stateOf(zombie)}` });
      const path = join(dir, 'zombie', 'c.json');
      const held = new Checkpoint(path);
      await held.open();
      writeFileSync(held.lockPath, `${zombie}\n`);
      assert.doesNotThrow(() => process.kill(zombie, 0), 'kill(0) still answers for a zombie');
      const waits: StateFileWait[] = [];
      await new Checkpoint(path).open((wait) => waits.push(wait));
      assert.deepEqual(waits, [], 'no wait for a zombie');
      assert.equal(readFileSync(held.lockPath, 'utf8').split(' ')[0], String(process.pid));
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('another process under the PID the lock names (reused) is not its owner: the lock is taken at once', { skip: linuxOnly }, async () => {
    const path = join(dir, 'reused', 'c.json');
    const held = new Checkpoint(path);
    await held.open();
    const [, startTime] = readFileSync(held.lockPath, 'utf8').trim().split(' ');
    assert.match(startTime ?? '', /^\d+$/, 'the lock records its owner\'s start time');
    const waits: StateFileWait[] = [];
    for (const owner of [`${process.ppid} ${Number(startTime) + 1}`, `${process.pid} ${Number(startTime) + 1}`]) {
      // The second: an earlier process had this very PID (a container's first process always does).
      writeFileSync(held.lockPath, `${owner}\n`);
      await new Checkpoint(path).open((wait) => waits.push(wait));
      assert.equal(readFileSync(held.lockPath, 'utf8').trim(), `${process.pid} ${startTime}`, owner);
    }
    assert.deepEqual(waits, []);
  });

  it('an owner that ends while it is waited for leaves the lock to the one waiting', async () => {
    const owner = spawn('sleep', ['60'], { stdio: 'ignore' });
    const path = join(dir, 'ending', 'c.json');
    const held = new Checkpoint(path);
    await held.open();
    writeFileSync(held.lockPath, `${owner.pid}\n`);
    const waits: StateFileWait[] = [];
    // The owner ends once the waiting has begun (and said so).
    await new Checkpoint(path).open((wait) => {
      waits.push(wait);
      owner.kill();
    }, 10_000);
    assert.deepEqual(waits, [{ path, pid: owner.pid, waitMs: 10_000 }]);
    // Ended: a zombie not yet reaped, or gone (Node may not have handled its exit yet, so exitCode can still be null).
    assert.ok([undefined, 'Z'].includes(stateOf(owner.pid!)), 'taken once the owner had ended');
    assert.equal(readFileSync(held.lockPath, 'utf8').split(' ')[0], String(process.pid));
  });

  it("reads a process's state and start time from /proc/PID/stat, whatever its name holds, and tells a running owner from one that is not", () => {
    const stat = '4242 (a) b (c) R 1 4242 4242 0 -1 4194304 100 0 0 0 3 1 0 0 20 0 1 0 987654 1000 100 18446744073709551615';
    assert.deepEqual(parseProcessStat(stat), { state: 'R', startTime: '987654' });
    assert.equal(parseProcessStat('4242 (cut'), undefined);
    assert.deepEqual(parseLockText('4242 987654\n'), { pid: 4242, startTime: '987654' });
    assert.deepEqual(parseLockText('4242\n'), { pid: 4242 }, 'a lock written without a start time');
    for (const damaged of ['', 'x', '-3', '0', '12x']) assert.equal(parseLockText(damaged), undefined, damaged);
    const owner = { pid: 4242, startTime: '987654' };
    assert.equal(ownerRunning(owner, true, { state: 'S', startTime: '987654' }), true);
    assert.equal(ownerRunning(owner, true, { state: 'D', startTime: '987654' }), true, 'in an uninterruptible wait (fsync): still running');
    assert.equal(ownerRunning(owner, true, { state: 'Z', startTime: '987654' }), false, 'a zombie');
    assert.equal(ownerRunning(owner, true, { state: 'X', startTime: '987654' }), false, 'dead');
    assert.equal(ownerRunning(owner, true, { state: 'S', startTime: '5' }), false, 'another process under the same PID');
    assert.equal(ownerRunning(owner, false, undefined), false, 'gone');
    assert.equal(ownerRunning(owner, true, undefined), true, 'no /proc: kill(0) is all there is');
    assert.equal(ownerRunning({ pid: 4242 }, true, { state: 'S', startTime: '5' }), true, 'an old lock without a start time');
  });

  it('a folder that cannot be made is an error naming the file, not a hang', async () => {
    const path = join('/proc', 'mqtt-ps', 'deeper', 'c.json');
    await assert.rejects(new Checkpoint(path).open(), (error: unknown) => error instanceof CliError && error.message.includes(path));
  });

  it('an unwritable path is an error naming the file', async () => {
    const path = join('/proc', 'mqtt-ps', 'c.json');
    await assert.rejects(new Checkpoint(path).save({ version: 3, clientId: 'c', topic: 't', hadSession: false, savedAt: '', tracker: new SequenceTracker().snapshot() }), (error: unknown) => error instanceof CliError && error.message.includes(path));
  });

  it('keeps unacknowledged values as ranges', () => {
    assert.deepEqual(toRanges([1, 2, 3, 7, 9, 10]), [[1, 3], [7, 7], [9, 10]]);
    assert.deepEqual(fromRanges([[1, 3], [7, 7]]), [1, 2, 3, 7]);
  });

  it('names the default checkpoint after the client id, safely', () => {
    assert.equal(defaultCheckpointPath('my-consumer', { XDG_STATE_HOME: '/s' }), '/s/mqtt-persistent-sessions/my-consumer.json');
    assert.equal(defaultCheckpointPath('a/../b', { XDG_STATE_HOME: '/s' }), '/s/mqtt-persistent-sessions/a%2f..%2fb.json');
  });
});
