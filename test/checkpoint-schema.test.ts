/** A damaged checkpoint is refused naming the field and what is wrong with it, in zod's English words. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Checkpoint, type CheckpointData } from '../src/state/checkpoint.js';

const dir = mkdtempSync(join(tmpdir(), 'mqtt-ps-checkpoint-schema-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const counts = { received: 4, unique: 4, missing: 1, duplicates: 0, outOfOrder: 0, queued: 0, restarts: 0 };
const valid = (): CheckpointData => ({
  version: 3,
  clientId: 'c',
  topic: 't',
  hadSession: true,
  broker: { urls: ['mqtt://127.0.0.1:1883'], protocolVersion: 5 },
  sessionExpiry: 3600,
  savedAt: '2026-11-30T00:00:00.000Z',
  tracker: {
    version: 2,
    totals: { ...counts, invalid: 0, retained: 0, unjudged: 0, longestWaitMs: null, badPaths: { count: 0, example: null }, nonIntegers: { count: 0, example: null } },
    topics: [
      {
        topic: 't',
        producerId: 'p',
        runId: null,
        first: 1,
        highest: 5,
        ...counts,
        longestQueuedWaitMs: null,
        shared: false,
        segments: [
          { kind: 'live', from: 1, to: 2 },
          { kind: 'missing', from: 3, to: 3 },
          { kind: 'queued', from: 4, to: 5 },
        ],
        stepsBack: 0,
      },
    ],
    earlierMissing: [],
  },
});

/** What the consumer says of a checkpoint changed by `damage`, or 'read' when it takes it. */
function refusal(name: string, damage: (data: CheckpointData & Record<string, unknown>) => void): string {
  const path = join(dir, `${name}.json`);
  const data = valid();
  damage(data);
  writeFileSync(path, JSON.stringify(data));
  try {
    new Checkpoint(path).load();
    return 'read';
  } catch (error) {
    const message = (error as Error).message;
    return message.slice(message.indexOf('(') + 1, message.lastIndexOf(')'));
  }
}

describe('a checkpoint read back', () => {
  it('is read when every field is valid, and the counts absent from older checkpoints are taken as none', () => {
    assert.equal(refusal('valid', () => {}), 'read');
    const path = join(dir, 'older.json');
    const older = valid();
    writeFileSync(path, JSON.stringify(older, (key, value: unknown) => (key === 'retained' || key === 'badPaths' ? undefined : value)));
    const totals = new Checkpoint(path).load()!.tracker.totals;
    assert.equal(totals.retained, 0);
    assert.deepEqual(totals.badPaths, { count: 0, example: null });
  });

  it('is refused naming the field and what is wrong with it', () => {
    const t = (data: CheckpointData) => data.tracker.topics[0]!;
    assert.deepEqual(
      {
        version: refusal('version', (d) => void (d.version = 2 as 3)),
        clientId: refusal('client-id', (d) => void delete (d as Record<string, unknown>).clientId),
        hadSession: refusal('had-session', (d) => void ((d as Record<string, unknown>).hadSession = 'yes')),
        urls: refusal('urls', (d) => void (d.broker!.urls = [])),
        protocol: refusal('protocol', (d) => void (d.broker!.protocolVersion = 3 as 5)),
        expiry: refusal('expiry', (d) => void (d.sessionExpiry = -1)),
        count: refusal('count', (d) => void (d.tracker.totals.received = -1)),
        fraction: refusal('fraction', (d) => void (t(d).highest = 1.5)),
        huge: refusal('huge', (d) => void (t(d).highest = 2 ** 60)),
        kind: refusal('kind', (d) => void ((t(d).segments[0] as Record<string, unknown>).kind = 'late')),
        backwards: refusal('backwards', (d) => void (t(d).segments[2]!.to = 3)),
        overlap: refusal('overlap', (d) => void (t(d).segments[1]!.from = 2)),
        empty: refusal('empty', (d) => void (t(d).segments = [])),
        missingRange: refusal('missing-range', (d) => void d.tracker.earlierMissing.push({ topic: 't', producerId: null, from: 9, to: 8 })),
      },
      {
        version: 'version: this consumer reads checkpoints of version 3 only',
        clientId: 'clientId: Invalid input: expected string, received undefined',
        hadSession: 'hadSession: Invalid input: expected boolean, received string',
        urls: 'broker.urls: Too small: expected array to have >=1 items',
        protocol: 'broker.protocolVersion: Invalid input',
        expiry: 'sessionExpiry: Too small: expected number to be >=0',
        count: 'tracker.totals.received: Too small: expected number to be >=0',
        fraction: 'tracker.topics[0].highest: Invalid input: expected int, received number',
        huge: 'tracker.topics[0].highest: Too big: expected int to be <=9007199254740991',
        kind: 'tracker.topics[0].segments[0].kind: Invalid option: expected one of "live"|"queued"|"live-or-queued"|"missing"',
        backwards: 'tracker.topics[0].segments[2]: from is after to',
        overlap: 'tracker.topics[0]: segments out of order or overlapping',
        empty: 'tracker.topics[0]: no segments',
        missingRange: 'tracker.earlierMissing[0]: from is after to',
      },
    );
  });
});
