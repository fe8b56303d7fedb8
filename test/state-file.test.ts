import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Checkpoint, defaultCheckpointPath } from '../src/state/checkpoint.js';
import { CliError } from '../src/core/errors.js';
import { fromRanges, ProducerStateFile, toRanges } from '../src/state/producer-state.js';
import { SequenceTracker } from '../src/core/tracker.js';

const dir = mkdtempSync(join(tmpdir(), 'mqtt-ps-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('state files', () => {
  it('a checkpoint written and read back continues the same accounting', async () => {
    const tracker = new SequenceTracker();
    tracker.accept({ topic: 't', value: 1, receivedAt: 0, queued: false, qos: 1, context: { clean: false, sessionPresent: false, hadSession: false, afterReturn: false } });
    const checkpoint = new Checkpoint(join(dir, 'nested', 'c.json'));
    checkpoint.prepare();
    await checkpoint.save({ version: 1, clientId: 'c', hadSession: true, savedAt: 'now', tracker: tracker.snapshot() });
    const loaded = checkpoint.load();
    assert.equal(loaded?.hadSession, true);
    assert.deepEqual(loaded?.tracker, tracker.snapshot());
    assert.deepEqual(readdirSync(join(dir, 'nested')), ['c.json'], 'no temporary file is left behind');
  });

  it('no file yet means no state, not an error', () => {
    assert.equal(new Checkpoint(join(dir, 'absent.json')).load(), undefined);
  });

  it('a damaged file is an error naming the file, never a silent fresh start', () => {
    const path = join(dir, 'damaged.json');
    writeFileSync(path, '{"version": 1, "trac');
    assert.throws(() => new Checkpoint(path).load(), (error: unknown) => error instanceof CliError && error.message.includes(path));
    writeFileSync(path, '{"something": "else"}');
    assert.throws(() => new ProducerStateFile(path).load(), /not a producer state file/);
  });

  it('a folder that cannot be made is an error naming the file, not a hang', () => {
    const path = join('/proc', 'mqtt-ps', 'deeper', 'c.json');
    assert.throws(() => new Checkpoint(path).prepare(), (error: unknown) => error instanceof CliError && error.message.includes(path));
  });

  it('an unwritable path is an error naming the file', async () => {
    const path = join('/proc', 'mqtt-ps', 'c.json');
    await assert.rejects(new Checkpoint(path).save({ version: 1, clientId: 'c', hadSession: false, savedAt: '', tracker: new SequenceTracker().snapshot() }), (error: unknown) => error instanceof CliError && error.message.includes(path));
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
