/**
 * Probes of the broker itself: what it grants against what is asked (protocol versions, QoS 2, session
 * expiry, shared subscriptions), how long it keeps an offline session, and how many of a backlog of
 * thousands it keeps. They need no control of the broker, so they run against any URL; each finds its
 * answer by trying (sending more than the broker keeps, waiting past a short lifetime), each is bounded
 * in time, and each reads what it found from the packets exchanged (probe-client.ts), never from the
 * client library's callbacks.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { IClientOptions } from 'mqtt';
import { connectWords } from '../cli/output.js';
import { deliveries, publishAnswers, publishEnded, publishFlow, subscribeAnswer, type ConnectAnswer, type TraceEntry } from '../core/packet-trace.js';
import { sessionKept, type LifetimeFacts, type ProbeResult, type QueueFacts, type QueueRound, type Return } from '../core/probe-facts.js';
import { RecordedConnection } from './probe-client.js';
import { endSession } from './sessions.js';

type ProbeOf<Name extends ProbeResult['probe']> = Extract<ProbeResult, { probe: Name }>;

export const unique = (what: string): string => `probe-${what}-${process.pid}-${Date.now().toString(36)}`;

/** Connects, and throws when the broker does not let the probe in (the probe cannot go on). */
export async function openAccepted(url: string, options: IClientOptions): Promise<{ connection: RecordedConnection; answer: ConnectAnswer }> {
  const opened = await RecordedConnection.open(url, options);
  if (opened.answer.answer !== 'CONNACK' || opened.answer.code !== 0) throw new Error(`the broker did not let the probe in: ${connectWords(opened.answer, options.protocolVersion === 4 ? 4 : 5)}`);
  return opened;
}

const received = (...types: TraceEntry['type'][]) => (entry: TraceEntry): boolean => entry.type === 'CLOSED' || (entry.direction === 'received' && types.includes(entry.type));

/** Subscribes and waits for the SUBACK (or a DISCONNECT, or the end of the connection), at most 5 s. */
export async function subscribeAndWait(connection: RecordedConnection, filter: string, qos: 0 | 1 | 2): Promise<void> {
  const from = connection.trace.length;
  connection.subscribe(filter, qos);
  await connection.waitFor(received('SUBACK', 'DISCONNECT'), 5000, from);
}

/** Publishes and waits for the broker's last word on it (or the end of the connection), at most timeoutMs. */
export async function publishAndWait(connection: RecordedConnection, topic: string, payload: string, qos: 0 | 1 | 2, timeoutMs = 5000): Promise<void> {
  connection.publish(topic, payload, qos);
  if (qos === 0) return;
  await connection.waitFor(() => {
    const flow = publishFlow(connection.trace, topic, payload);
    return flow !== undefined && publishEnded(flow);
  }, timeoutMs);
}

/** Which MQTT versions the broker accepts: MQTT 5 and 3.1.1, each tried once. */
export async function probeProtocols(url: string): Promise<ProbeOf<'protocols'>> {
  const attempts: ProbeOf<'protocols'>['facts']['attempts'] = [];
  for (const version of [5, 4] as const) {
    const { connection, answer } = await RecordedConnection.open(url, { protocolVersion: version, clientId: unique(`v${version}`) });
    await connection.end();
    attempts.push({ version, answer, ...(answer.answer !== 'CONNACK' && connection.error ? { error: connection.error } : {}) });
  }
  return { probe: 'protocols', facts: { attempts } };
}

/** QoS 2: what a QoS 2 SUBSCRIBE is granted, which packets answer a QoS 2 PUBLISH, and how it is delivered. */
export async function probeQos2(url: string, protocolVersion: 4 | 5): Promise<ProbeOf<'qos2'>> {
  const topic = `probe/qos2/${unique('t')}`;
  const { connection: subscriber } = await openAccepted(url, { protocolVersion, clientId: unique('qos2-sub') });
  const { connection: publisher } = await openAccepted(url, { protocolVersion, clientId: unique('qos2-pub') });
  try {
    await subscribeAndWait(subscriber, topic, 2);
    const subscribe = subscribeAnswer(subscriber.trace, topic);
    await publishAndWait(publisher, topic, '1', 2);
    if (subscribe.answer === 'SUBACK' && subscribe.code < 0x80) {
      await subscriber.waitFor((entry) => entry.direction === 'received' && entry.type === 'PUBLISH', 3000);
      // Let the delivery's own flow (PUBACK, or PUBREC, PUBREL, PUBCOMP) finish on the wire.
      await subscriber.quiet(500, 3000);
    }
    return { probe: 'qos2', facts: { subscribe, publish: publishFlow(publisher.trace, topic, '1') ?? null, delivered: deliveries(subscriber.trace, topic)[0] ?? null } };
  } finally {
    await Promise.all([publisher.end(), subscriber.end()]);
  }
}

/** A persistent session (MQTT 5: with this expiry) for a client id. */
function sessionOptions(clientId: string, protocolVersion: 4 | 5, expiry?: number): IClientOptions {
  return { protocolVersion, clientId, clean: false, ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: expiry ?? 600 } } : {}) };
}

/** Ends a session the probe made, so that the broker keeps nothing of it: every probe's session ends here. */
async function forget(url: string, clientId: string, protocolVersion: 4 | 5): Promise<void> {
  // A session that cannot be ended (the broker is gone) leaves the probe's finding as it is.
  await endSession(url, clientId, protocolVersion).catch(() => undefined);
}

/** Subscribes a persistent session, leaves, stays away, returns: the CONNACKs that made it and that met it on return. */
async function returnAfter(url: string, protocolVersion: 4 | 5, awayMs: number, expiry: number): Promise<Return> {
  const clientId = unique('lifetime');
  const options = sessionOptions(clientId, protocolVersion, expiry);
  try {
    // MQTT 5 starts clean and keeps the session for its expiry; in 3.1.1 a clean session ends with its connection.
    const first = await openAccepted(url, { ...options, clean: protocolVersion === 5 });
    await subscribeAndWait(first.connection, `probe/lifetime/${clientId}`, 1);
    await first.connection.end();
    await sleep(awayMs);
    const back = await RecordedConnection.open(url, options);
    await back.connection.end();
    return { awayS: awayMs / 1000, askedExpiry: protocolVersion === 5 ? expiry : null, made: first.answer, back: back.answer };
  } finally {
    await forget(url, clientId, protocolVersion);
  }
}

/** The longest lifetime the probe waits past: longer ones are reported as "kept at least". */
const longestWaitS = 20;

/**
 * How long an offline session lasts: kept after a few seconds away, whether a short session expiry
 * (MQTT 5) is honoured, and what the broker grants when asked for an hour. A lifetime the broker
 * announces (the CONNACK's session expiry) is waited past when it is short enough.
 */
export async function probeSessionLifetime(url: string, protocolVersion: 4 | 5): Promise<ProbeOf<'session lifetime'>> {
  const awayMs = 3000;
  const facts: LifetimeFacts = { version: protocolVersion, long: await returnAfter(url, protocolVersion, awayMs, 3600) };
  if (protocolVersion === 4) return { probe: 'session lifetime', facts };
  const announced = facts.long.made.answer === 'CONNACK' ? facts.long.made.sessionExpiry : null;
  if (announced !== null && announced < 3600 && announced <= longestWaitS) facts.pastGranted = await returnAfter(url, protocolVersion, (announced + 2) * 1000, 3600);
  facts.short = await returnAfter(url, protocolVersion, awayMs, 1);
  return { probe: 'session lifetime', facts };
}

/** One round: a session subscribes and leaves, `count` QoS 1 values are published, it returns. */
async function queueRound(url: string, protocolVersion: 4 | 5, count: number): Promise<QueueRound> {
  const clientId = unique('queue');
  try {
    const topic = `probe/queue/${clientId}`;
    const options = sessionOptions(clientId, protocolVersion);
    const away = await openAccepted(url, { ...options, clean: protocolVersion === 5 });
    await subscribeAndWait(away.connection, topic, 1);
    await away.connection.end();
    const { connection: publisher } = await openAccepted(url, { protocolVersion, clientId: unique('queue-pub') });
    let sent = 0;
    // One at a time, as a producer waiting for each acknowledgement: a burst is a test of something else.
    for (let value = 1; value <= count && !publisher.closed; value++) {
      const from = publisher.trace.length;
      publisher.publish(topic, String(value), 1);
      sent++;
      if ((await publisher.waitFor(received('PUBACK', 'PUBREC', 'PUBCOMP'), 10_000, from)) < 0) break;
    }
    await publisher.end();
    const back = await RecordedConnection.open(url, options);
    // Until 2 s pass without a value (bounded: a minute at most); what came before the CONNACK is in the trace too.
    const deadline = Date.now() + 60_000;
    let from = 0;
    let publishes = 0;
    while (publishes < count && Date.now() < deadline) {
      const index = await back.connection.waitFor((entry) => entry.direction === 'received' && entry.type === 'PUBLISH', 2000, from);
      if (index < 0) break;
      from = index + 1;
      publishes++;
    }
    await back.connection.end();
    const answered: QueueRound['answered'] = {};
    for (const answer of publishAnswers(publisher.trace, topic).values()) answered[answer] = (answered[answer] ?? 0) + 1;
    const values = deliveries(back.connection.trace, topic).map((delivery) => Number(delivery.payload));
    const distinct = new Set(values);
    const missing: number[] = [];
    for (let value = 1; value <= sent; value++) if (!distinct.has(value)) missing.push(value);
    return { sent, answered, back: back.answer, received: distinct.size, repeated: values.length - distinct.size, missing };
  } finally {
    await forget(url, clientId, protocolVersion);
  }
}

/**
 * The queue for an offline session: QoS 1 values published while it is away, how many come back,
 * which. Sending more than the broker keeps finds its limit, and whether it keeps the oldest or the
 * newest; a broker that ends the whole session instead is named as such, and the backlog at which it
 * does is narrowed down by halving (six rounds at most).
 */
export async function probeQueue(url: string, protocolVersion: 4 | 5, count = 10_000): Promise<ProbeOf<'backlog'>> {
  const round = await queueRound(url, protocolVersion, count);
  const facts: QueueFacts = { count, round };
  if (!sessionKept(round.back)) {
    let kept = 0;
    let endedAt = count;
    for (let step = 0; step < 6; step++) {
      const middle = Math.round((kept + endedAt) / 2);
      const trial = await queueRound(url, protocolVersion, middle);
      if (sessionKept(trial.back) && trial.missing.length === 0) kept = middle;
      else endedAt = middle;
    }
    facts.halving = { kept, endedAt };
  }
  return { probe: 'backlog', facts };
}
