/**
 * What each probe of a broker found, as data read from the packets exchanged (see packet-trace.ts),
 * and the judgements made from it; the words are made by the renderer.
 */
import type { ConnectAnswer, Delivery, PacketType, PublishFlow, SubscribeAnswer } from './packet-trace.js';

export interface ProtocolsFacts {
  /** MQTT 5 then 3.1.1: what each CONNECT came to, and the socket's error when there was no connection. */
  attempts: Array<{ version: 4 | 5; answer: ConnectAnswer; error?: string }>;
}

export interface Qos2Facts {
  /** A SUBSCRIBE at QoS 2: its SUBACK's code is the QoS granted. */
  subscribe: SubscribeAnswer;
  /** A PUBLISH at QoS 2 and the packets that answered it; null when it could not be sent. */
  publish: PublishFlow | null;
  /** How the subscriber received it, if it did. */
  delivered: Delivery | null;
}

/** One stay away: what the CONNACK said when the session returned. */
export interface Return {
  awayS: number;
  /** The session expiry asked (MQTT 5). */
  askedExpiry: number | null;
  /** The CONNACK of the connection that made the session: the session expiry the broker announced. */
  made: ConnectAnswer;
  back: ConnectAnswer;
}

export interface LifetimeFacts {
  version: 4 | 5;
  /** Away a few seconds with a long expiry asked (an hour in MQTT 5). */
  long: Return;
  /** Away past a short lifetime the broker announced, when it announced one. */
  pastGranted?: Return;
  /** Away a few seconds with an expiry of 1 s asked (MQTT 5). */
  short?: Return;
}

export interface QueueRound {
  sent: number;
  /** How the broker answered each QoS 1 PUBLISH: PUBACK is the acknowledgement. */
  answered: Partial<Record<PacketType | 'none', number>>;
  back: ConnectAnswer;
  /** Distinct values received as PUBLISH after the return, and PUBLISH packets received beyond those. */
  received: number;
  repeated: number;
  missing: number[];
}

export interface QueueFacts {
  count: number;
  round: QueueRound;
  /** When the broker ended the whole session: the largest backlog it kept whole, the smallest it ended the session at (halving). */
  halving?: { kept: number; endedAt: number };
}

/** One member of the group: its SUBSCRIBE to $share/GROUP/TOPIC, and what it received. */
export interface SharedMember {
  subscribe: SubscribeAnswer;
  /** Values published to TOPIC it received. */
  received: number[];
  /** Whether it received the value published to the literal name $share/GROUP/TOPIC. */
  literal: boolean;
}

export interface SharedFacts {
  filter: string;
  topic: string;
  /** Values published to TOPIC (each once, QoS 1). */
  sent: number;
  members: SharedMember[];
}

export type SharedVerdict = 'honoured' | 'refused' | 'every member' | 'plain topic name' | 'unclear';

/**
 * Honoured: every value reached one member only, and both members had some. Refused: a SUBACK code of
 * 0x80 or more, a DISCONNECT, or the connection closed instead of a SUBACK. Otherwise the broker took
 * the filter as something else: an ordinary subscription to TOPIC (every member got every value), or
 * a plain topic name (nothing published to TOPIC arrived, the literal name's value did).
 */
export function sharedVerdict(facts: SharedFacts): SharedVerdict {
  const refused = facts.members.some((m) => m.subscribe.answer !== 'SUBACK' || m.subscribe.code >= 0x80);
  if (refused) return 'refused';
  const counts = facts.members.map((m) => new Set(m.received).size);
  const all = new Set(facts.members.flatMap((m) => m.received));
  const total = facts.members.reduce((sum, m) => sum + m.received.length, 0);
  if (all.size === facts.sent && total === facts.sent && counts.every((count) => count > 0)) return 'honoured';
  if (counts.every((count) => count === facts.sent)) return 'every member';
  if (all.size === 0 && facts.members.every((m) => m.literal)) return 'plain topic name';
  return 'unclear';
}

/** Which end of a backlog the broker kept when it dropped some: the newest (it dropped the first), the oldest (it dropped the last), or neither. */
export function keptEnd(missing: readonly number[], count: number): 'newest' | 'oldest' | null {
  if (missing.length === 0) return null;
  if (missing[0] === 1 && missing.at(-1)! < count) return 'newest';
  if (missing.at(-1) === count && missing[0]! > 1) return 'oldest';
  return null;
}

/** Whether the broker still had the session when it returned (the CONNACK's session-present flag). */
export function sessionKept(answer: ConnectAnswer): boolean {
  return answer.answer === 'CONNACK' && answer.code === 0 && answer.sessionPresent;
}

export type ProbeResult =
  | { probe: 'protocols'; facts: ProtocolsFacts }
  | { probe: 'qos2'; facts: Qos2Facts }
  | { probe: 'session lifetime'; facts: LifetimeFacts }
  | { probe: 'backlog'; facts: QueueFacts }
  | { probe: 'shared subscription'; facts: SharedFacts }
  | { probe: 'failed'; facts: { name: string; error: string } };

/** The MQTT versions whose CONNECT the broker accepted (a CONNACK with code 0). */
export function acceptedVersions(facts: ProtocolsFacts): Array<4 | 5> {
  return facts.attempts.filter((a) => a.answer.answer === 'CONNACK' && a.answer.code === 0).map((a) => a.version);
}
