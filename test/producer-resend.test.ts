/**
 * The producer's values in flight across two broken links, against a real Mosquitto behind a relay:
 * the link dies with values unacknowledged; the next connection takes the session but no PUBACK comes
 * back, so MQTT.js is still sending the old ones again when newer values are published; that link dies
 * too. Every value must still be acknowledged and delivered in the end.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliProcess, messageValues, sentValues } from './support/cli.js';
import { mosquittoSkip, withMosquitto } from './support/mosquitto.js';
import { withRelay } from './support/relay.js';
import { waitFor } from './support/wait.js';

describe('the producer across a link that takes the session and then acknowledges nothing', { skip: mosquittoSkip() }, () => {
  const mosquitto = withMosquitto('producer-resend');
  const link = withRelay(() => mosquitto.broker.port);

  for (const version of ['5', '4']) {
    it(`publishes again what MQTT.js dropped when the second link ended (MQTT ${version === '5' ? '5' : '3.1.1'})`, async () => {
      const topic = `resend/${version}`;
      const count = 200;
      link.relay.mode = 'pass';
      const consumer = CliProcess.consumer(['--url', mosquitto.broker.url, '--id', `resend-consumer-${version}`, '-t', topic, '--json']);
      await consumer.waitForEvent('subscribed', () => true);
      const producer = CliProcess.producer(['--url', link.relay.url, '-V', version, '-t', topic, '--interval', '20', '-C', String(count), '--json']);
      const sent = (): number => sentValues(producer).length;
      const detail = (): string => `producer:\n${producer.stdout}${producer.stderr}`;
      await waitFor('20 values delivered', () => messageValues(consumer.events).length >= 20, { detail });

      // Values pile up unacknowledged on a link that carries nothing, then it dies.
      link.relay.stall();
      const stalledAt = sent();
      await waitFor('5 values sent into the stalled link', () => sent() >= stalledAt + 5, { detail });
      const linksBefore = link.relay.opened;
      link.relay.mode = 'connack-only';
      link.relay.cut();
      // The next link takes the session, the old values go out again and are never acknowledged; newer ones wait behind them.
      await waitFor('the producer back on a link', () => producer.eventsOf('connected').length >= 2, { detail });
      const reconnectedAt = sent();
      await waitFor('5 newer values published on it', () => sent() >= reconnectedAt + 5, { detail });
      link.relay.mode = 'pass';
      link.relay.cut();
      await waitFor('a third link', () => link.relay.opened >= linksBefore + 2, { detail });

      const exit = await producer.exitWithin(60_000);
      assert.equal(exit.code, 0, detail());
      await waitFor(`values 1..${count} delivered`, () => new Set(messageValues(consumer.events)).size === count, {
        detail: () => `missing: ${Array.from({ length: count }, (_, i) => i + 1).filter((v) => !messageValues(consumer.events).includes(v)).join(' ')}`,
      });
      await consumer.interrupt();
    });
  }
});
