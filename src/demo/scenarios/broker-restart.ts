import { setTimeout as sleep } from 'node:timers/promises';
import { messageValues, sentValues, type JsonEvent } from '../processes.js';
import { consumer, disposeMosquitto, lastSummary, names, producer, receive, startMosquitto, verdictOf, type Facts, type Scenario } from '../story.js';

export const brokerRestart: Scenario = {
  name: 'broker-restart',
  title: 'Broker persistence decides whether a restart loses sessions',
  claim: 'Mosquitto keeps sessions and queued messages in memory; with persistence on they survive a broker restart, without it they are gone.',
  needsMosquitto: true,
  async run(context) {
    const results: string[] = [];
    const facts: Facts = {};
    let summary: JsonEvent | undefined;
    for (const persistence of [true, false]) {
      const label = persistence ? 'on' : 'off';
      const broker = await startMosquitto({ persistence });
      const { topic, id, state } = names(context, `broker-restart-${label}`);
      const values = producer(context, broker.url, topic);
      try {
        const first = consumer(context, broker.url, id, topic, state);
        await receive(first, 5);
        await first.interrupt();
        await sleep(context.intervalMs * 5);
        context.say(`A private Mosquitto with persistence ${label} restarts while the consumer is away.`);
        await broker.restart();
        await values.waitUntil('the producer back', () => values.eventsOf('connected').length >= 2, 20_000);
        const second = consumer(context, broker.url, id, topic, state);
        const connected = await second.waitForEvent('connected');
        const target = Math.max(...sentValues(values)) + 3;
        await second.waitUntil('live values', () => messageValues(second.events).some((v) => v >= target), 20_000);
        const exit = await second.interrupt();
        const lost = lastSummary(second)?.missing as number;
        const resumed = connected.sessionPresent === true;
        context.say(`  session ${resumed ? 'resumed' : 'gone'}, ${lost} values lost.`);
        results.push(`persistence ${label}: session ${resumed ? 'resumed' : 'gone'}, ${lost} lost`);
        facts[`${label}.sessionResumed`] = resumed;
        facts[`${label}.missing`] = lost;
        facts[`${label}.sessionLostReported`] = second.eventsOf('session-lost').length > 0;
        facts[`${label}.exit`] = exit.code;
        if (persistence) summary = lastSummary(second);
      } finally {
        await values.interrupt();
        await disposeMosquitto(broker);
      }
    }
    const pass =
      facts['on.sessionResumed'] === true &&
      facts['on.missing'] === 0 &&
      facts['on.exit'] === 0 &&
      facts['off.sessionResumed'] === false &&
      facts['off.sessionLostReported'] === true;
    return { verdict: verdictOf(pass), observed: results.join('; '), facts, summary };
  },
};
