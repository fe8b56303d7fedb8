/**
 * The final read of the fault scenarios, against a real Mosquitto: a consumer whose link stalls (open,
 * carrying nothing, its keep-alive too long to notice) has not received values the broker holds for its
 * session; before they are called lost, the consumer returns with its session and reads them. What the
 * broker never had stays missing, and is named.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { finishDelivery, upTo } from '../src/demo/checker.js';
import { CliProcess, messageValues } from './support/cli.js';
import { mosquittoPub, mosquittoSkip, withMosquitto } from './support/mosquitto.js';
import { withRelay } from './support/relay.js';

const hand = { 'producer-id': 'hand', 'run-id': 'hand-1' };

describe('the final read before a value is called lost', { skip: mosquittoSkip() }, () => {
  const mosquitto = withMosquitto('final-read');
  const link = withRelay(() => mosquitto.broker.port);

  /** A consumer of the session `id` on url, with its checkpoint in the test's folder. */
  const consumerOf = (url: string, id: string): CliProcess =>
    CliProcess.consumer(['--url', url, '--id', id, '-t', `final-read/${id}`, '--state', join(mosquitto.dir, `${id}.json`), '--json', '-k', '60']);

  /** A consumer of the session `id` subscribed through the relay, whose link then stalls before `published` are published. */
  const stalledConsumer = async (id: string, published: number[]): Promise<CliProcess> => {
    const stalled = consumerOf(link.relay.url, id);
    await stalled.waitForEvent('subscribed', () => true);
    link.relay.stall();
    mosquittoPub(mosquitto.broker.port, `final-read/${id}`, published, hand);
    return stalled;
  };

  it('reads what the broker held behind a stalled link: nothing lost, the return shown', async () => {
    const stalled = await stalledConsumer('stalled', upTo(20));
    const lines: string[] = [];
    let reopened: CliProcess | undefined;
    const { last, facts } = await finishDelivery(stalled, upTo(20), () => (reopened = consumerOf(mosquitto.broker.url, 'stalled')), (line) => lines.push(line), { waitMs: 1000, finalReadMs: 20_000 });
    assert.deepEqual(messageValues(stalled.events), [], 'nothing came through the stalled link');
    assert.ok(reopened, 'the consumer returned');
    assert.equal(last, reopened, 'the returning consumer is the one shown');
    assert.equal(reopened.eventsOf('connected')[0]?.sessionPresent, true, 'with its session');
    assert.deepEqual([...new Set(messageValues(reopened.events))].sort((a, b) => a - b), upTo(20));
    assert.deepEqual(facts, { missingBeforeFinalRead: 20, recoveredByFinalRead: 20 });
    assert.deepEqual(lines, ['20 acknowledged values had not arrived after 1.0 s (1-20); a final read: the consumer returned with its session and received 20 of them within 20.0 s.']);
  });

  it('names what the broker never had: values acknowledged elsewhere and never stored stay missing', async () => {
    // Only 1-10 reach the broker; 11-15 stand for values another node acknowledged and lost.
    const stalled = await stalledConsumer('partial', upTo(10));
    const lines: string[] = [];
    const { facts } = await finishDelivery(stalled, upTo(15), () => consumerOf(mosquitto.broker.url, 'partial'), (line) => lines.push(line), { waitMs: 1000, finalReadMs: 3000 });
    assert.deepEqual(facts, { missingBeforeFinalRead: 15, recoveredByFinalRead: 10 });
    assert.match(lines[0] ?? '', /^15 acknowledged values had not arrived after 1\.0 s \(1-15\); a final read: the consumer returned with its session and received 10 of them within 3\.0 s\.$/);
  });

  it('reads nothing again when every value arrived', async () => {
    const direct = consumerOf(mosquitto.broker.url, 'direct');
    await direct.waitForEvent('subscribed', () => true);
    mosquittoPub(mosquitto.broker.port, 'final-read/direct', upTo(5), hand);
    const lines: string[] = [];
    let reopened = false;
    const { last, facts } = await finishDelivery(direct, upTo(5), () => {
      reopened = true;
      return consumerOf(mosquitto.broker.url, 'direct');
    }, (line) => lines.push(line));
    assert.equal(reopened, false);
    assert.equal(last, direct);
    assert.deepEqual(facts, {});
    assert.deepEqual(lines, []);
    assert.deepEqual(messageValues(direct.events), upTo(5));
  });
});
