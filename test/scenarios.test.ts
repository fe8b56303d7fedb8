/** Every claim of the article, replayed on each broker it applies to: the embedded one always, Mosquitto when installed. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { connect, connectAsync } from 'mqtt';
import { ChildCommand } from '../src/child-command.js';
import { startEmbeddedBroker } from '../src/embedded-broker.js';
import { PrivateMosquitto } from '../src/mosquitto.js';
import { scenarios, stopScenarioBrokers, type Scenario } from '../src/scenarios.js';
import { mosquittoSkip } from './support/mosquitto.js';

const dir = mkdtempSync(join(tmpdir(), 'mqtt-ps-scenarios-'));
after(async () => {
  await ChildCommand.killAll();
  await stopScenarioBrokers();
  rmSync(dir, { recursive: true, force: true });
});

async function replay(scenario: Scenario, url: string): Promise<void> {
  const lines: string[] = [];
  const outcome = await scenario.run({ url, intervalMs: 100, dir, tag: `${scenario.name}-${Date.now().toString(36)}`, say: (line) => lines.push(line) });
  assert.equal(outcome.verdict, 'PASS', `${scenario.name}: ${outcome.observed}\n${lines.join('\n')}`);
}

describe('the article on the embedded broker', () => {
  for (const scenario of scenarios.filter((s) => !s.needsMosquitto)) {
    it(`${scenario.name}: ${scenario.title}`, async () => {
      const broker = await startEmbeddedBroker(0);
      try {
        await replay(scenario, broker.url);
      } finally {
        await broker.close();
      }
    });
  }
});

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
      await new Promise((r) => setTimeout(r, 100));
      const received: number[] = [];
      const back = connect(broker.url, session);
      back.on('message', (_topic, payload) => received.push(Number(payload.toString())));
      await new Promise((r) => setTimeout(r, 300));
      publishing = false;
      await stream;
      await new Promise((r) => setTimeout(r, 300));
      await back.endAsync();
      await publisher.endAsync();
      assert.ok(received.length > 0);
      assert.deepEqual(received, Array.from({ length: sent }, (_, i) => i + 1), 'every value once, in the order sent');
    } finally {
      await broker.close();
    }
  });
});

describe('the article on Mosquitto', { skip: mosquittoSkip() }, () => {
  // The Mosquitto-only scenarios start Mosquittos of their own, with the settings they show.
  for (const scenario of scenarios) {
    it(`${scenario.name}: ${scenario.title}`, async () => {
      const broker = await new PrivateMosquitto().start();
      try {
        await replay(scenario, broker.url);
      } finally {
        await broker.dispose();
      }
    });
  }
});
