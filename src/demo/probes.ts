/**
 * Probes of the broker itself, with MQTT.js and nothing else: what it grants against what is asked
 * (protocol versions, QoS 2, session expiry), how long it keeps an offline session, and how many of a
 * backlog of thousands it keeps. They need no control of the broker, so they run against any URL; each
 * finds its answer by trying (sending more than the broker keeps, waiting past a short lifetime), and
 * each is bounded in time.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt';
import { rangesText } from '../core/history.js';
import { endSession } from './sessions.js';

export interface ProbeResult {
  name: string;
  /** What was found, in one line. */
  finding: string;
  facts: Record<string, number | boolean | string | null>;
}

const connectTimeoutMs = 5000;

/** A client and the CONNACK that let it in. */
type Connected = MqttClient & { connack: IConnackPacket };

/** Connects once, bounded: a broker that closes without a CONNACK, refuses, or never answers, is an error. */
async function connectOnce(url: string, options: IClientOptions, onMessage?: (payload: Buffer) => void): Promise<Connected> {
  const client = connect(url, { reconnectPeriod: 0, connectTimeout: connectTimeoutMs, ...options });
  // Before the CONNACK: a resumed session's backlog may come in the same read.
  if (onMessage) client.on('message', (_topic, payload) => onMessage(payload));
  try {
    const connack = await new Promise<IConnackPacket>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no CONNACK within ${connectTimeoutMs / 1000} s`)), connectTimeoutMs + 1000);
      client.once('connect', (packet) => {
        clearTimeout(timer);
        resolve(packet);
      });
      client.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      client.once('close', () => {
        clearTimeout(timer);
        reject(new Error('the broker closed the connection without a CONNACK'));
      });
    });
    return Object.assign(client, { connack });
  } catch (error) {
    client.end(true);
    throw error;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const unique = (what: string): string => `probe-${what}-${process.pid}-${Date.now().toString(36)}`;

/** Which MQTT versions the broker accepts: MQTT 5 and 3.1.1, each tried once. */
export async function probeProtocols(url: string): Promise<ProbeResult & { versions: Array<4 | 5> }> {
  const versions: Array<4 | 5> = [];
  const parts: string[] = [];
  for (const version of [5, 4] as const) {
    const label = version === 5 ? 'MQTT 5' : 'MQTT 3.1.1';
    try {
      const client = await connectOnce(url, { protocolVersion: version, clientId: unique(`v${version}`) });
      await client.endAsync();
      versions.push(version);
      parts.push(`${label} accepted`);
    } catch (error) {
      parts.push(`${label} refused (${message(error)})`);
    }
  }
  return { name: 'protocol versions', finding: parts.join('; '), facts: { mqtt5: versions.includes(5), mqtt311: versions.includes(4) }, versions };
}

/** QoS 2: what a QoS 2 subscription is granted, and what becomes of a QoS 2 publish. */
export async function probeQos2(url: string, protocolVersion: 4 | 5): Promise<ProbeResult> {
  const topic = `probe/qos2/${unique('t')}`;
  const subscriber = await connectOnce(url, { protocolVersion, clientId: unique('qos2-sub') });
  const received: number[] = [];
  subscriber.on('message', (_topic, _payload, packet) => received.push(packet.qos));
  let granted: number | null = null;
  let subscription: string;
  try {
    const answer = await subscriber.subscribeAsync(topic, { qos: 2 });
    granted = answer[0]?.qos ?? null;
    subscription = `granted QoS ${String(granted)}`;
  } catch (error) {
    subscription = `subscription refused (${message(error)})`;
  }
  let publish: string;
  let completed = false;
  const publisher = await connectOnce(url, { protocolVersion, clientId: unique('qos2-pub') });
  const closed = new Promise<string>((resolve) => publisher.once('close', () => resolve('the broker closed the connection')));
  try {
    publish = await Promise.race([
      publisher.publishAsync(topic, '1', { qos: 2 }).then(() => {
        completed = true;
        return 'a QoS 2 publish completed (PUBREC, PUBCOMP)';
      }),
      closed,
      sleep(5000).then(() => 'no answer to a QoS 2 publish within 5 s'),
    ]);
  } catch (error) {
    publish = `a QoS 2 publish failed (${message(error)})`;
  }
  await sleep(500);
  publisher.end(true);
  subscriber.end(true);
  const delivery = received.length > 0 ? `, delivered at QoS ${received[0]}` : ', nothing delivered';
  return { name: 'QoS 2', finding: `${subscription}; ${publish}${delivery}`, facts: { granted, publishCompleted: completed, deliveredQos: received[0] ?? null } };
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

/** Subscribes a persistent session, leaves, stays away, returns: did the broker keep it? */
async function keptAfter(url: string, protocolVersion: 4 | 5, awayMs: number, expiry?: number): Promise<{ kept: boolean; grantedExpiry: number | null }> {
  const clientId = unique('lifetime');
  const options = sessionOptions(clientId, protocolVersion, expiry);
  try {
    // MQTT 5 starts clean and keeps the session for its expiry; in 3.1.1 a clean session ends with its connection.
    const first = await connectOnce(url, { ...options, clean: protocolVersion === 5 });
    await first.subscribeAsync(`probe/lifetime/${clientId}`, { qos: 1 });
    // The CONNACK's session expiry, when the broker grants less (or other) than asked.
    const grantedExpiry = first.connack.properties?.sessionExpiryInterval ?? null;
    await first.endAsync();
    await sleep(awayMs);
    const back = await connectOnce(url, options);
    const kept = back.connack.sessionPresent === true;
    await back.endAsync();
    return { kept, grantedExpiry };
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
export async function probeSessionLifetime(url: string, protocolVersion: 4 | 5): Promise<ProbeResult> {
  const awayMs = 3000;
  const asked = 3600;
  const long = await keptAfter(url, protocolVersion, awayMs, asked);
  const facts: ProbeResult['facts'] = { keptAfterMs: long.kept ? awayMs : null, askedExpiry: protocolVersion === 5 ? asked : null };
  const parts: string[] = [];
  if (protocolVersion === 4) {
    parts.push(long.kept ? `MQTT 3.1.1 session kept after ${awayMs / 1000} s away (longer not waited)` : `MQTT 3.1.1 session gone after ${awayMs / 1000} s away`);
    return { name: 'session lifetime', finding: parts.join('; '), facts };
  }
  const granted = long.grantedExpiry ?? asked;
  facts.grantedExpiry = granted;
  parts.push(`asked ${asked} s, granted ${granted} s${long.grantedExpiry === null ? ' (no expiry in the CONNACK: as asked)' : ''}; kept after ${awayMs / 1000} s away: ${long.kept ? 'yes' : 'no'}`);
  if (granted < asked && granted <= longestWaitS) {
    const past = await keptAfter(url, protocolVersion, (granted + 2) * 1000, asked);
    facts.keptPastGranted = past.kept;
    parts.push(`away ${granted + 2} s: ${past.kept ? 'still kept' : 'gone'}`);
  }
  const short = await keptAfter(url, protocolVersion, awayMs, 1);
  facts.shortExpiryHonoured = !short.kept;
  parts.push(`an expiry of 1 s: ${short.kept ? `not honoured (kept after ${awayMs / 1000} s)` : `honoured (gone after ${awayMs / 1000} s)`}`);
  return { name: 'session lifetime', finding: parts.join('; '), facts };
}

interface QueueRound {
  count: number;
  acknowledged: number;
  missing: number[];
  /** Whether the broker still had the session when it returned. */
  sessionPresent: boolean;
}

/** One round: a session subscribes and leaves, `count` QoS 1 values are published, it returns. */
async function queueRound(url: string, protocolVersion: 4 | 5, count: number): Promise<QueueRound> {
  const clientId = unique('queue');
  try {
    const topic = `probe/queue/${clientId}`;
    const options = sessionOptions(clientId, protocolVersion);
    const away = await connectOnce(url, { ...options, clean: protocolVersion === 5 });
    await away.subscribeAsync(topic, { qos: 1 });
    await away.endAsync();
    const publisher = await connectOnce(url, { protocolVersion, clientId: unique('queue-pub') });
    let acknowledged = 0;
    // One at a time, as a producer waiting for each acknowledgement: a burst is a test of something else.
    for (let value = 1; value <= count; value++) {
      await publisher.publishAsync(topic, String(value), { qos: 1 });
      acknowledged++;
    }
    await publisher.endAsync();
    const seen = new Set<number>();
    let last = Date.now();
    const back = await connectOnce(url, options, (payload) => {
      seen.add(Number(payload.toString()));
      last = Date.now();
    });
    // Until 2 s pass without a value (bounded: a minute at most).
    const deadline = Date.now() + 60_000;
    while (Date.now() - last < 2000 && seen.size < count && Date.now() < deadline) await sleep(200);
    back.end(true);
    const missing: number[] = [];
    for (let value = 1; value <= count; value++) if (!seen.has(value)) missing.push(value);
    return { count, acknowledged, missing, sessionPresent: back.connack.sessionPresent === true };
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
export async function probeQueue(url: string, protocolVersion: 4 | 5, count = 10_000): Promise<ProbeResult> {
  const round = await queueRound(url, protocolVersion, count);
  const kept = count - round.missing.length;
  const facts: ProbeResult['facts'] = { sent: count, acknowledged: round.acknowledged, kept, dropped: round.missing.length, droppedValues: rangesText(round.missing), sessionEnded: !round.sessionPresent };
  if (!round.sessionPresent) {
    let survived = 0;
    let ended = count;
    for (let step = 0; step < 6; step++) {
      const middle = Math.round((survived + ended) / 2);
      const trial = await queueRound(url, protocolVersion, middle);
      if (trial.sessionPresent && trial.missing.length === 0) survived = middle;
      else ended = middle;
    }
    facts.sessionEndsAbove = survived;
    facts.sessionEndedAt = ended;
    return {
      name: `backlog of ${count}`,
      finding: `the broker ended the whole session: no session on return, ${kept} of ${count} delivered, ${round.missing.length} lost; it keeps ${survived} values and ends the session at ${ended} (halving)`,
      facts,
    };
  }
  const missing = round.missing;
  const which =
    missing.length === 0 ? '' : missing[0] === 1 && missing.at(-1)! < count ? ': it kept the newest' : missing.at(-1) === count && missing[0]! > 1 ? ': it kept the oldest' : '';
  const finding =
    missing.length === 0
      ? `${kept} of ${count} queued values delivered on return: no limit met`
      : `${kept} of ${count} queued values delivered on return, ${missing.length} dropped (${rangesText(missing)})${which}; session kept`;
  return { name: `backlog of ${count}`, finding, facts };
}
