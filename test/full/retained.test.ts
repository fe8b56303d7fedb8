/**
 * Retained messages against a real Mosquitto: the broker hands a topic's retained value again at every
 * subscribe (RETAIN=1), so a consumer restarted several times gets it each time; it is the broker's stored
 * copy, not a redelivery, and is counted apart from the sequence.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Checkpoint } from '../../src/state/checkpoint.js';
import { CliProcess, messageValues } from '../support/cli.js';
import { mosquittoRetain, mosquittoSkip, TestMosquitto } from '../support/mosquitto.js';

const dir = mkdtempSync(join(tmpdir(), 'mqtt-ps-retained-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('retained messages', () => {
  it('a checkpoint written before retained copies were counted is read with none retained', () => {
    const path = join(dir, 'before-retained.json');
    const totals = { received: 3, unique: 3, missing: 0, duplicates: 0, outOfOrder: 0, queued: 0, restarts: 0, invalid: 0, unjudged: 0, longestWaitMs: null };
    const topics = [{ topic: 't', producerId: 'p', runId: 'r', first: 1, highest: 3, received: 3, unique: 3, missing: 0, duplicates: 0, outOfOrder: 0, queued: 0, restarts: 0, longestQueuedWaitMs: null, shared: false, segments: [{ kind: 'live', from: 1, to: 3 }], stepsBack: 0 }];
    writeFileSync(path, JSON.stringify({ version: 3, clientId: 'c', topic: 't', hadSession: true, savedAt: 'then', tracker: { version: 2, totals, topics, earlierMissing: [] } }));
    const loaded = new Checkpoint(path).loadFor('c', 't');
    assert.equal(loaded?.tracker.totals.retained, 0);
    assert.equal(loaded?.tracker.totals.received, 3);
  });
});

describe('retained messages against Mosquitto', { skip: mosquittoSkip() }, () => {
  let broker: TestMosquitto;
  before(async () => {
    broker = await new TestMosquitto().start();
  });
  after(async () => {
    await CliProcess.killAll();
    await broker.dispose();
  });

  for (const version of ['5', '4'] as const) {
    it(`MQTT ${version === '5' ? '5' : '3.1.1'}: a consumer restarted four times gets the retained value each time, and counts no duplicate`, async () => {
      const topic = `retained-${version}`;
      const state = join(dir, `${topic}.json`);
      const consumer = (count: number, output: string[]): CliProcess =>
        CliProcess.consumer(['--url', broker.url, '-V', version, '-i', `keeper-${version}`, '-t', topic, '--state', state, '-C', String(count), ...output]);
      mosquittoRetain(broker.port, topic, '7');

      // Each value is published retained, as a publisher of the last known state does: the value published
      // while the consumer is away comes from its queue (RETAIN=0), and again as the retained copy (RETAIN=1).
      const runs = 4;
      for (let run = 1; run <= runs; run++) {
        const started = consumer(run === 1 ? 1 : 2, ['--json']);
        const exit = await started.exitWithin(30_000);
        assert.equal(exit.code, 0, started.stderr);
        const messages = started.eventsOf('message');
        const copies = messages.filter((m) => m.retained === true);
        assert.deepEqual(copies.map((m) => m.value), [7 + run - 1], `run ${run}: the retained value, marked (${started.stdout})`);
        assert.deepEqual(messages.filter((m) => m.duplicate === true), [], `run ${run}: no duplicate`);
        assert.deepEqual(started.eventsOf('gap'), [], `run ${run}: no gap`);
        const summary = started.eventsOf('summary').at(-1)!;
        assert.deepEqual([summary.retained, summary.duplicates, summary.missing], [run, 0, 0], `run ${run}: the summary`);
        if (run > 1) assert.deepEqual(messageValues(messages.filter((m) => m.retained !== true)), [7 + run - 1], `run ${run}: the value published while away`);
        if (run < runs) mosquittoRetain(broker.port, topic, String(7 + run));
      }

      // Once more, for a person: the summary says how many were retained.
      mosquittoRetain(broker.port, topic, String(7 + runs));
      const last = consumer(2, []);
      assert.equal((await last.exitWithin(30_000)).code, 0, last.stderr);
      assert.match(last.stdout, /^Received message: 11\n/m);
      assert.match(last.stdout, /^Received message: 11 {2}\(retained/m);
      assert.match(last.stdout, /^Summary: 4 received, 4 unique, 0 missing, 0 duplicates/m);
      assert.match(last.stdout, /^Retained: 5 copies of a retained message/m);
      assert.doesNotMatch(last.stdout, /DUPLICATE/);
    });
  }
});
