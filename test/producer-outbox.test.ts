/**
 * The producer's crash-proof outbox (--state) kept ahead of the broker: while one window of values is
 * in flight, the next ones are written to the file, so the broker never waits for a save; and still no value
 * leaves before the file holds it. Against a real Mosquitto behind a relay that passes the CONNACK and
 * then nothing, so the first window stays in flight.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CliProcess, sentValues } from './support/cli.js';
import { mosquittoSkip, withMosquitto } from './support/mosquitto.js';
import { withRelay } from './support/relay.js';
import { waitFor } from './support/wait.js';

interface Outbox {
  nextValue: number;
  unacknowledged: Array<[number, number]>;
}

const valuesIn = (outbox: Outbox): number[] => outbox.unacknowledged.flatMap(([from, to]) => Array.from({ length: to - from + 1 }, (_, i) => from + i));

describe("the producer's outbox", { skip: mosquittoSkip() }, () => {
  const mosquitto = withMosquitto('producer-outbox');
  const link = withRelay(() => mosquitto.broker.port);

  it('holds the next windows while the first is in flight unacknowledged, and sends none of them before an acknowledgement makes room', async () => {
    link.relay.mode = 'connack-only';
    const path = join(mosquitto.dir, 'outbox.json');
    const producer = CliProcess.producer(['--url', link.relay.url, '-t', 'outbox', '--interval', '0', '-C', '100000', '--state', path, '--json']);
    const read = (): Outbox | undefined => (existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Outbox) : undefined);
    const detail = (): string => `outbox: ${existsSync(path) ? readFileSync(path, 'utf8') : '(none)'}\nproducer:\n${producer.stdout}${producer.stderr}`;
    // Mosquitto allows more in flight than the producer's own bound, 1000: that is the window.
    const window = 1000;
    await waitFor('a window of values sent', () => sentValues(producer).length >= window, { detail });
    await waitFor('the next values written to the outbox', () => {
      const outbox = read();
      return outbox !== undefined && valuesIn(outbox).length > window;
    }, { detail });
    const sent = sentValues(producer);
    const outbox = read()!;
    assert.deepEqual(sent, Array.from({ length: window }, (_, i) => i + 1), 'the first window, in order');
    assert.ok(outbox.nextValue - 1 >= 2 * window, `at least the next window written ahead (the outbox ends at ${outbox.nextValue - 1})`);
    assert.deepEqual(valuesIn(outbox), Array.from({ length: outbox.nextValue - 1 }, (_, i) => i + 1), 'the window in flight and those after it, all unacknowledged');
    assert.deepEqual(sentValues(producer), sent, 'nothing beyond the window was sent without an acknowledgement');
    await producer.kill();
  });
});
