import { setTimeout as sleep } from 'node:timers/promises';
import { restartedBrokers } from '../../core/broker-restart.js';
import { judge } from '../checker.js';
import { Nemesis } from '../nemesis.js';
import { ChildCommand, messageValues, sentValues, type JsonEvent } from '../processes.js';
import { consumer, disposeMosquitto, lastSummary, names, producer, receive, startMosquitto, type Facts, type Scenario } from '../story.js';

export const brokerRestart: Scenario = {
  name: 'broker-restart',
  title: 'Broker persistence decides whether a restart loses sessions',
  claim: 'Mosquitto keeps sessions and queued messages in memory; with persistence on they survive a broker restart, without it they are gone.',
  needsMosquitto: true,
  async run(context) {
    const nemesis = Nemesis.withoutCluster(context);
    const facts: Facts = {};
    let summary: JsonEvent | undefined;
    let last: ChildCommand | undefined;
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
        await nemesis.restartBroker(broker, persistence ? restartedBrokers.persistent : restartedBrokers.inMemory);
        await values.waitUntil('the producer back', () => values.eventsOf('connected').length >= 2, 20_000);
        const second = consumer(context, broker.url, id, topic, state);
        const connected = await second.waitForEvent('connected');
        const target = Math.max(...sentValues(values)) + 3;
        await second.waitUntil('live values', () => messageValues(second.events).some((v) => v >= target), 20_000);
        // The producer stops first, so that every value it had acknowledged is the returning consumer's to deliver.
        await values.interrupt();
        const sent = Math.max(...sentValues(values));
        await second.waitUntil(`value ${sent}`, () => messageValues(second.events).includes(sent), 10_000).catch(() => {});
        const exit = await second.interrupt();
        const lost = lastSummary(second)?.missing as number;
        const resumed = connected.sessionPresent === true;
        context.say(`  session ${resumed ? 'resumed' : 'gone'}, ${lost} values lost.`);
        facts[`${label}.sessionResumed`] = resumed;
        facts[`${label}.missing`] = lost;
        facts[`${label}.sessionLostReported`] = second.eventsOf('session-lost').length > 0;
        facts[`${label}.exit`] = exit.code;
        if (persistence) summary = lastSummary(second);
        last = second;
      } finally {
        await values.interrupt();
        await disposeMosquitto(broker);
      }
    }
    // The verdict is the history's (each restart, and the session that came back after it); the consumer's own counts stay beside it.
    return { ...judge('broker-restart', nemesis.history, last!, context.say, facts), summary };
  },
};
