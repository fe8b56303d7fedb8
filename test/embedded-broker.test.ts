/** The embedded broker (Aedes) keeps a returning session's order: its backlog first, then what came meanwhile. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect, connectAsync } from 'mqtt';
import { startEmbeddedBroker } from '../src/brokers/embedded.js';
import { waitFor } from './support/wait.js';

describe('the embedded broker', () => {
  it('delivers a returning session its backlog before any value published meanwhile', async () => {
    const broker = await startEmbeddedBroker(0);
    const session = { clientId: 'ordering', clean: false, protocolVersion: 5 as const, properties: { sessionExpiryInterval: 60 }, reconnectPeriod: 0 };
    try {
      const away = await connectAsync(broker.url, session);
      await away.subscribeAsync('ordering', { qos: 1 });
      await away.endAsync();
      const publisher = await connectAsync(broker.url, { protocolVersion: 5 });
      let sent = 0;
      let publishing = true;
      const stream = (async () => {
        while (publishing) await publisher.publishAsync('ordering', String(++sent), { qos: 1 });
      })();
      await waitFor('20 values published while the session is away', () => sent >= 20);
      const received: string[] = [];
      const back = connect(broker.url, session);
      back.on('message', (_topic, payload) => received.push(payload.toString()));
      await waitFor('the session back', () => back.connected);
      const sentAtReturn = sent;
      await waitFor('20 values published after the return', () => sent >= sentAtReturn + 20);
      publishing = false;
      await stream;
      // Published after the last value: once it is in, everything before it is.
      await publisher.publishAsync('ordering', 'end', { qos: 1 });
      await waitFor('the end marker', () => received.includes('end'), { detail: () => `received ${received.length} of ${sent} values` });
      await back.endAsync();
      await publisher.endAsync();
      assert.ok(sentAtReturn > 0 && sent > sentAtReturn, 'values were published both while away and after the return');
      assert.deepEqual(received, [...Array.from({ length: sent }, (_, i) => String(i + 1)), 'end'], 'every value once, in the order sent');
    } finally {
      await broker.close();
    }
  });
});
