/** A checkpoint of an older version: the consumer refuses it in one line, and leaves it as it was. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { commandArgs } from '../src/cli/package.js';

const dir = mkdtempSync(join(tmpdir(), 'mqtt-ps-checkpoint-version-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('checkpoint versions', () => {
  it('a checkpoint of version 2 (one sequence per topic) is refused by the consumer in one line, exit 1, and left as it was', () => {
    const state = join(dir, 'c.json');
    const tracker = {
      version: 1,
      totals: { received: 3, unique: 3, missing: 1, duplicates: 0, outOfOrder: 0, queued: 0, restarts: 0, invalid: 0, longestWaitMs: null },
      topics: [{ topic: 't', runId: null, first: 1, highest: 4, segments: [{ kind: 'live', from: 1, to: 2 }, { kind: 'missing', from: 3, to: 3 }, { kind: 'live', from: 4, to: 4 }] }],
      earlierMissing: [],
    };
    const saved = JSON.stringify({ version: 2, clientId: 'c', topic: 't', hadSession: true, savedAt: '2026-11-01T00:00:00.000Z', tracker });
    writeFileSync(state, saved);
    // Refused before any connection is tried: the broker address leads nowhere.
    const result = spawnSync(process.execPath, [...commandArgs('consumer'), '-i', 'c', '-t', 't', '--state', state, '--connect-timeout', '1'], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', MQTT_URL: 'mqtt://127.0.0.1:1' },
      timeout: 20_000,
    });
    assert.equal(result.status, 1, result.stderr);
    assert.deepEqual(result.stderr.trim().split('\n'), [
      `consumer: the state file ${state} is not a valid consumer checkpoint (version: this consumer reads checkpoints of version 3 only); move it away or pass another --state`,
    ]);
    assert.equal(readFileSync(state, 'utf8'), saved, 'the file is left as it was');
  });
});
