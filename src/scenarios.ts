/**
 * The article's claims as runnable scenarios: each runs the real producer and consumer against a
 * broker, tells what happens, and compares what it observed with what the article says.
 */
import { join } from 'node:path';
import { ChildCommand, messageValues, type Exit, type JsonEvent } from './child-command.js';
import { LinkProxy } from './link-proxy.js';
import { findMosquitto, PrivateMosquitto, type MosquittoOptions } from './mosquitto.js';
import { formatDuration, formatRange } from './render.js';

export interface ScenarioContext {
  url: string;
  intervalMs: number;
  /** A folder for the consumers' checkpoints. */
  dir: string;
  /** Makes topics and client ids unique to this run. */
  tag: string;
  say: (line: string) => void;
}

export type Verdict = 'PASS' | 'FAIL' | 'SKIPPED';

export interface Outcome {
  verdict: Verdict;
  observed: string;
  /** The returning consumer's summary event, for its timeline. */
  summary?: JsonEvent;
}

export interface Scenario {
  name: string;
  title: string;
  /** What the article says, in this project's words. */
  claim: string;
  needsMosquitto: boolean;
  run(context: ScenarioContext): Promise<Outcome>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The Mosquittos that scenarios start, so that an interrupted demo leaves none running. */
const startedBrokers = new Set<PrivateMosquitto>();

async function startMosquitto(options: MosquittoOptions): Promise<PrivateMosquitto> {
  const broker = new PrivateMosquitto(options);
  startedBrokers.add(broker);
  try {
    return await broker.start();
  } catch (error) {
    await disposeMosquitto(broker);
    throw error;
  }
}

async function disposeMosquitto(broker: PrivateMosquitto): Promise<void> {
  startedBrokers.delete(broker);
  await broker.dispose();
}

export async function stopScenarioBrokers(): Promise<void> {
  const brokers = [...startedBrokers];
  startedBrokers.clear();
  await Promise.all(brokers.map((broker) => broker.dispose()));
}

function names(context: ScenarioContext, scenario: string): { topic: string; id: string; state: string } {
  return {
    topic: `demo/${scenario}/${context.tag}`,
    id: `demo-${scenario}-${context.tag}`,
    state: join(context.dir, `${scenario}-${context.tag}.json`),
  };
}

function producer(context: ScenarioContext, url: string, topic: string, extra: string[] = []): ChildCommand {
  return ChildCommand.producer(['--url', url, '-t', topic, '--interval', String(context.intervalMs), '--json', ...extra]);
}

function consumer(url: string, id: string, topic: string, state: string, extra: string[] = []): ChildCommand {
  return ChildCommand.consumer(['--url', url, '-i', id, '-t', topic, '--state', state, '--json', ...extra]);
}

const sentValues = (command: ChildCommand): number[] => command.eventsOf('sent').map((e) => e.value as number);

async function receive(command: ChildCommand, count: number, timeoutMs = 20_000): Promise<void> {
  await command.waitUntil(`${count} values`, () => command.eventsOf('message').length >= count, timeoutMs);
}

interface AwayAndBack {
  before: number[];
  after: number[];
  second: ChildCommand;
  secondExit: number | null;
  sessionPresent: boolean;
  /** The values the producer sent while the consumer was away, up to the moment it started again. */
  away: { from: number; to: number };
}

/**
 * The article's story: the producer runs, the consumer joins late, leaves, stays away, returns.
 * Returns what the consumer received before leaving and after returning.
 */
async function awayAndBack(
  context: ScenarioContext,
  scenario: string,
  options: { consumerArgs?: string[]; producerArgs?: string[]; awayMs: number; url?: string },
): Promise<AwayAndBack> {
  const url = options.url ?? context.url;
  const { topic, id, state } = names(context, scenario);
  const values = producer(context, url, topic, options.producerArgs);
  try {
    await values.waitUntil('the first values', () => sentValues(values).length >= 5);
    context.say(`The producer is running: a value every ${context.intervalMs} ms on ${topic}.`);
    const first = consumer(url, id, topic, state, options.consumerArgs);
    await receive(first, 5);
    const before = messageValues(first.events);
    context.say(`The consumer ${id} joins late: its first value is ${before[0]}; what came before it had no session to go to.`);
    await first.interrupt();
    const all = messageValues(first.events);
    const last = all.at(-1)!;
    context.say(`The consumer leaves (Ctrl+C) after value ${last}.`);
    await sleep(options.awayMs);
    const away = { from: last + 1, to: Math.max(...sentValues(values)) };
    context.say(`The producer went on while it was away: it is at ${away.to} after ${(options.awayMs / 1000).toFixed(1)} s.`);
    const second = consumer(url, id, topic, state, options.consumerArgs);
    const connected = await second.waitForEvent('connected');
    const sessionPresent = connected.sessionPresent === true;
    context.say(`The consumer returns: ${sessionPresent ? 'the broker resumed its session' : 'the broker had no session for it'}.`);
    const liveTarget = Math.max(...sentValues(values)) + 5;
    await second.waitUntil('live values after the return', () => messageValues(second.events).some((v) => v >= liveTarget), 20_000);
    const backlog = second.eventsOf('backlog')[0];
    if (backlog) context.say(`${String(backlog.count)} queued values arrived at once.`);
    const exit = await second.interrupt();
    return { before: all, after: messageValues(second.events), second, secondExit: exit.code, sessionPresent, away };
  } finally {
    await values.interrupt();
  }
}

function gapsOf(command: ChildCommand): JsonEvent[] {
  return command.eventsOf('gap');
}

function lastSummary(command: ChildCommand): JsonEvent | undefined {
  return command.eventsOf('summary').at(-1);
}

const persistent: Scenario = {
  name: 'persistent',
  title: 'A persistent session keeps what was sent while the consumer was away',
  claim: 'With a fixed client id, clean session off and QoS 1, a consumer that comes back receives every value it missed, starting right after its last one.',
  needsMosquitto: false,
  async run(context) {
    const story = await awayAndBack(context, 'persistent', { awayMs: context.intervalMs * 10 });
    const lastBefore = story.before.at(-1)!;
    const firstAfter = story.after[0];
    const summary = lastSummary(story.second);
    context.say(`The first value after the return is ${firstAfter}${firstAfter === lastBefore + 1 ? `, right after ${lastBefore}` : ` (the last before was ${lastBefore})`}.`);
    const pass = story.sessionPresent && firstAfter === lastBefore + 1 && summary?.missing === 0 && story.secondExit === 0;
    return {
      verdict: pass ? 'PASS' : 'FAIL',
      observed: `session resumed: ${story.sessionPresent ? 'yes' : 'no'}; last before ${lastBefore}, first after ${firstAfter}; ${String(summary?.missing)} missing`,
      summary,
    };
  },
};

const cleanSession: Scenario = {
  name: 'clean-session',
  title: 'A clean session keeps nothing',
  claim: 'With clean session on, the broker treats every connection as new: values sent while the consumer was away are not kept.',
  needsMosquitto: false,
  async run(context) {
    const story = await awayAndBack(context, 'clean-session', { awayMs: context.intervalMs * 10, consumerArgs: ['--clean'] });
    const gap = gapsOf(story.second)[0];
    if (gap) context.say(`The consumer reports values ${String(gap.from)}-${String(gap.to)} missing: ${String(gap.cause)}.`);
    const pass = !story.sessionPresent && gap !== undefined && (gap.missing as number) > 0 && gap.cause === 'clean-session' && story.secondExit === 3;
    return {
      verdict: pass ? 'PASS' : 'FAIL',
      observed: gap ? `${String(gap.missing)} values lost while away, flagged as a gap (cause: ${String(gap.cause)})` : 'no gap reported',
      summary: lastSummary(story.second),
    };
  },
};

const qos0: Scenario = {
  name: 'qos0',
  title: 'QoS 0 messages are not queued',
  claim: 'Messages published at QoS 0 are not stored for an offline consumer, even with a persistent session: only QoS 1 and 2 are.',
  needsMosquitto: false,
  async run(context) {
    const story = await awayAndBack(context, 'qos0', { awayMs: context.intervalMs * 10, producerArgs: ['-q', '0'] });
    const gap = gapsOf(story.second)[0];
    // Judged by value, not by the consumer's queued flag: a QoS 0 value published while the broker was
    // already answering the returning consumer arrives live, yet can look queued by its timestamp.
    const { from, to } = story.away;
    const fromAway = story.after.filter((v) => v >= from && v <= to);
    context.say(`Of the values ${formatRange(from, to)} sent while it was away, ${fromAway.length === 0 ? 'none arrived' : `${fromAway.length} arrived`}.`);
    if (gap) context.say(`The consumer reports values ${String(gap.from)}-${String(gap.to)} missing: ${String(gap.cause)}.`);
    const pass = story.sessionPresent && fromAway.length === 0 && gap !== undefined && gap.cause === 'qos0' && story.secondExit === 3;
    return {
      verdict: pass ? 'PASS' : 'FAIL',
      observed:
        `session resumed: ${story.sessionPresent ? 'yes' : 'no'}; ${fromAway.length} of the ${to - from + 1} values sent while away delivered` +
        (gap ? `, ${String(gap.missing)} reported missing (cause: ${String(gap.cause)})` : ', no gap reported'),
      summary: lastSummary(story.second),
    };
  },
};

const sessionExpiry: Scenario = {
  name: 'session-expiry',
  title: 'The session expiry bounds how long the broker waits',
  claim: 'The broker keeps an offline consumer\'s session, and its messages, only for the session expiry interval: away longer, the values are lost; away shorter, they are kept.',
  needsMosquitto: false,
  async run(context) {
    context.say('First with a session expiry of 1 s, away for 2.5 s:');
    const expired = await awayAndBack(context, 'session-expiry-short', { awayMs: 2500, consumerArgs: ['-x', '1'] });
    const lost = expired.second.eventsOf('session-lost').length > 0;
    const gap = gapsOf(expired.second)[0];
    if (gap) context.say(`Session lost; values ${String(gap.from)}-${String(gap.to)} missing (${String(gap.cause)}).`);
    context.say('Then with a session expiry of 10 s, away for 1 s:');
    const kept = await awayAndBack(context, 'session-expiry-long', { awayMs: 1000, consumerArgs: ['-x', '10'] });
    const keptSummary = lastSummary(kept.second);
    const pass =
      !expired.sessionPresent && lost && gap?.cause === 'session-lost' && expired.secondExit === 3 && kept.sessionPresent && keptSummary?.missing === 0;
    return {
      verdict: pass ? 'PASS' : 'FAIL',
      observed: `away 2.5 s with -x 1: session ${expired.sessionPresent ? 'resumed' : 'gone'}, ${String(gap?.missing ?? 0)} lost; away 1 s with -x 10: session ${kept.sessionPresent ? 'resumed' : 'gone'}, ${String(keptSummary?.missing)} lost`,
      summary: keptSummary,
    };
  },
};

const brokerRestart: Scenario = {
  name: 'broker-restart',
  title: 'Broker persistence decides whether a restart loses sessions',
  claim: 'Mosquitto keeps sessions and queued messages in memory; with persistence on they survive a broker restart, without it they are gone.',
  needsMosquitto: true,
  async run(context) {
    const results: string[] = [];
    let pass = true;
    let summary: JsonEvent | undefined;
    for (const persistence of [true, false]) {
      const broker = await startMosquitto({ persistence });
      const { topic, id, state } = names(context, `broker-restart-${persistence ? 'on' : 'off'}`);
      const values = producer(context, broker.url, topic);
      try {
        const first = consumer(broker.url, id, topic, state);
        await receive(first, 5);
        await first.interrupt();
        await sleep(context.intervalMs * 5);
        context.say(`A private Mosquitto with persistence ${persistence ? 'on' : 'off'} restarts while the consumer is away.`);
        await broker.restart();
        await values.waitUntil('the producer back', () => values.eventsOf('connected').length >= 2, 20_000);
        const second = consumer(broker.url, id, topic, state);
        const connected = await second.waitForEvent('connected');
        const target = Math.max(...sentValues(values)) + 3;
        await second.waitUntil('live values', () => messageValues(second.events).some((v) => v >= target), 20_000);
        const exit = await second.interrupt();
        const lost = lastSummary(second)?.missing as number;
        context.say(`  session ${connected.sessionPresent ? 'resumed' : 'gone'}, ${lost} values lost.`);
        results.push(`persistence ${persistence ? 'on' : 'off'}: session ${connected.sessionPresent ? 'resumed' : 'gone'}, ${lost} lost`);
        if (persistence) {
          summary = lastSummary(second);
          pass &&= connected.sessionPresent === true && lost === 0 && exit.code === 0;
        } else {
          pass &&= connected.sessionPresent === false && second.eventsOf('session-lost').length > 0;
        }
      } finally {
        await values.interrupt();
        await disposeMosquitto(broker);
      }
    }
    return { verdict: pass ? 'PASS' : 'FAIL', observed: results.join('; '), summary };
  },
};

const queueLimit: Scenario = {
  name: 'queue-limit',
  title: "The broker's queue limit drops what exceeds it",
  claim: 'A broker holds a bounded number of messages per offline client (Mosquitto: max_queued_messages, 1000 by default); beyond it, values are dropped.',
  needsMosquitto: true,
  async run(context) {
    const limit = 20;
    const broker = await startMosquitto({ config: [`max_queued_messages ${limit}`] });
    const { topic, id, state } = names(context, 'queue-limit');
    const witness = ChildCommand.consumer(['--url', broker.url, '-i', `${id}-witness`, '-t', topic, '--no-state', '--json']);
    const values = producer(context, broker.url, topic);
    try {
      context.say(`A Mosquitto that queues at most ${limit} messages per client; a second subscriber stays online as a witness.`);
      const first = consumer(broker.url, id, topic, state);
      await receive(first, 5);
      await first.interrupt();
      const awayMs = context.intervalMs * (limit * 3);
      context.say(`The consumer leaves for ${(awayMs / 1000).toFixed(1)} s: about ${limit * 3} values, three times the limit.`);
      await sleep(awayMs);
      const second = consumer(broker.url, id, topic, state);
      await second.waitForEvent('gap', () => true, 20_000);
      await sleep(context.intervalMs * 5);
      const exit = await second.interrupt();
      await values.interrupt();
      await sleep(200);
      await witness.interrupt();
      const received = new Set([...messageValues(first.events), ...messageValues(second.events)]);
      const highest = Math.max(...received);
      const dropped = messageValues(witness.events).filter((v) => v > Math.min(...received) && v < highest && !received.has(v));
      const reported: number[] = [];
      for (const gap of gapsOf(second)) for (let v = gap.from as number; v <= (gap.to as number); v++) reported.push(v);
      const exact = reported.length === dropped.length && reported.every((v, i) => v === dropped[i]);
      context.say(`The broker dropped ${dropped.length} values; the consumer names ${reported.length}: ${exact ? 'exactly those' : 'not the same ones'}.`);
      const pass = dropped.length > 0 && exact && gapsOf(second).every((g) => g.cause === 'queue-limit') && exit.code === 3;
      return {
        verdict: pass ? 'PASS' : 'FAIL',
        observed: `${dropped.length} dropped by the broker, ${reported.length} reported missing (cause: ${String(gapsOf(second)[0]?.cause)}), exit ${String(exit.code)}`,
        summary: lastSummary(second),
      };
    } finally {
      await values.interrupt();
      await witness.interrupt();
      await disposeMosquitto(broker);
    }
  },
};

/** Stops the producer, lets the consumer receive its last value, stops it: which values it never got. */
async function finish(context: ScenarioContext, values: ChildCommand, receiver: ChildCommand): Promise<{ missing: number[]; exit: Exit }> {
  await values.interrupt();
  const last = Math.max(...sentValues(values));
  await receiver.waitUntil(`value ${last}`, () => messageValues(receiver.events).includes(last), 10_000);
  const exit = await receiver.interrupt();
  const seen = new Set(messageValues(receiver.events));
  const first = Math.min(...seen);
  const missing = [];
  for (let v = first; v <= last; v++) if (!seen.has(v)) missing.push(v);
  context.say(`The consumer received ${first}..${last}: ${missing.length === 0 ? 'every value' : `${missing.length} missing`}.`);
  return { missing, exit };
}

const offlineProducer: Scenario = {
  name: 'offline-producer',
  title: 'A producer that loses the broker keeps its values',
  claim: 'Left open by the article: a producer cut off from the broker loses what it produces unless it keeps it locally. This one keeps counting and delivers everything when the broker is back.',
  needsMosquitto: false,
  async run(context) {
    const url = new URL(context.url);
    const link = await new LinkProxy(Number(url.port || 1883), url.hostname).start();
    const { topic, id, state } = names(context, 'offline-producer');
    const receiver = consumer(context.url, id, topic, state);
    const values = producer(context, link.url, topic);
    try {
      await receiver.waitForEvent('subscribed');
      await receive(receiver, 5);
      link.cut();
      const outageMs = context.intervalMs * 15;
      context.say(`The producer loses the broker for ${(outageMs / 1000).toFixed(1)} s and keeps counting.`);
      await sleep(outageMs);
      const kept = values.eventsOf('kept').length;
      link.restore();
      context.say(`The link is back: ${kept} values were kept meanwhile.`);
      const target = Math.max(...values.eventsOf('kept').map((e) => e.value as number), 0) + 5;
      await receiver.waitUntil(`value ${target}`, () => messageValues(receiver.events).includes(target), 20_000);
      const { missing, exit } = await finish(context, values, receiver);
      const pass = kept > 0 && missing.length === 0 && exit.code === 0;
      return {
        verdict: pass ? 'PASS' : 'FAIL',
        observed: `${kept} values kept during the outage; ${missing.length} missing at the consumer`,
        summary: lastSummary(receiver),
      };
    } finally {
      await values.interrupt();
      await receiver.interrupt();
      await link.close();
    }
  },
};

const keepaliveSeconds = 2;

const keepalive: Scenario = {
  name: 'keepalive',
  title: 'The keep-alive is how soon a dead link is noticed',
  claim: `The article passes 3600 as the keep-alive, meaning the session expiry. The keep-alive is how long a link may stay silent: a link that dies without closing is noticed after 1.5 times it, 90 minutes at 3600 s. With ${keepaliveSeconds} s the consumer notices within ${keepaliveSeconds * 1.5} s, reconnects and loses nothing.`,
  needsMosquitto: false,
  async run(context) {
    const url = new URL(context.url);
    const link = await new LinkProxy(Number(url.port || 1883), url.hostname).start();
    const { topic, id, state } = names(context, 'keepalive');
    const receiver = consumer(link.url, id, topic, state, ['-k', String(keepaliveSeconds)]);
    const values = producer(context, context.url, topic);
    try {
      await receiver.waitForEvent('subscribed');
      await receive(receiver, 5);
      link.stall();
      const stalledAt = Date.now();
      context.say(`The consumer's link goes half-open: the sockets stay open, nothing gets through (keep-alive ${keepaliveSeconds} s).`);
      const offline = await receiver.waitForEvent('offline', () => true, keepaliveSeconds * 1500 + 5000);
      const noticedMs = Date.now() - stalledAt;
      context.say(`The consumer notices after ${formatDuration(noticedMs)}: ${String(offline.reason)}.`);
      await receiver.waitUntil('the reconnect', () => receiver.eventsOf('connected').length >= 2, 10_000);
      const back = receiver.eventsOf('connected')[1]!;
      context.say(`It reconnects: ${back.sessionPresent ? 'the broker resumed its session' : 'the broker had no session for it'}.`);
      const { missing, exit } = await finish(context, values, receiver);
      const inTime = noticedMs <= keepaliveSeconds * 1500 + 1000;
      const pass = inTime && back.sessionPresent === true && missing.length === 0 && exit.code === 0;
      return {
        verdict: pass ? 'PASS' : 'FAIL',
        observed: `half-open link noticed after ${formatDuration(noticedMs)} (keep-alive ${keepaliveSeconds} s), session resumed: ${back.sessionPresent ? 'yes' : 'no'}; ${missing.length} missing`,
        summary: lastSummary(receiver),
      };
    } finally {
      await values.interrupt();
      await receiver.interrupt();
      await link.close();
    }
  },
};

export const scenarios: Scenario[] = [persistent, cleanSession, qos0, sessionExpiry, brokerRestart, queueLimit, offlineProducer, keepalive];

export function findScenario(name: string): Scenario | undefined {
  return scenarios.find((scenario) => scenario.name === name);
}

export function mosquittoAvailable(): boolean {
  return findMosquitto() !== undefined;
}
