/**
 * What travels with each value besides the bare number: MQTT 5 user properties naming the producer,
 * its run and the send time. The payload stays the number alone, so any MQTT client shows the same
 * value; a producer may put its id in the payload instead ("id:value"), which MQTT 3.1.1 can carry.
 */
import type { InvalidReason } from './events.js';

/** MQTT 5 user properties as MQTT.js gives them: a name may repeat, and then carries a list. */
export type UserProperties = Record<string, string | string[]>;

export const producerIdProperty = 'producer-id';
export const runIdProperty = 'run-id';
export const sentAtProperty = 'sent-at';

export function valueProperties(producerId: string, runId: string, sentAt: number): UserProperties {
  return { [producerIdProperty]: producerId, [runIdProperty]: runId, [sentAtProperty]: String(sentAt) };
}

/** The longest producer id or run id taken; MQTT client ids are usually far shorter. */
export const maxIdLength = 64;

export interface ValueOrigin {
  producerId?: string;
  runId?: string;
  sentAt?: number;
  /** Set when a property was there but unusable: its name, and its value when that is worth showing. */
  problem?: { property: string; value: string | null };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function readValueProperties(properties: UserProperties | undefined): ValueOrigin {
  if (!properties) return {};
  const origin: ValueOrigin = {};
  const producerId = single(properties[producerIdProperty]);
  if (producerId !== undefined) {
    if (producerId.length > 0 && producerId.length <= maxIdLength) origin.producerId = producerId;
    else origin.problem = { property: producerIdProperty, value: null };
  }
  const runId = single(properties[runIdProperty]);
  const sentAt = single(properties[sentAtProperty]);
  if (runId !== undefined) {
    if (runId.length > 0 && runId.length <= maxIdLength) origin.runId = runId;
    else origin.problem = { property: runIdProperty, value: null };
  }
  if (sentAt !== undefined) {
    const time = decimalDigits(sentAt);
    if (time !== undefined) origin.sentAt = time;
    else origin.problem = { property: sentAtProperty, value: sentAt.slice(0, 30) };
  }
  return origin;
}

/** The number 1 to 15 decimal digits spell (leading zeros allowed), else undefined: read in one pass, for each message. */
function decimalDigits(text: string): number | undefined {
  if (text.length === 0 || text.length > 15) return undefined;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return value;
}

/** The payload a producer sends: the bare number, or "id:value" when it carries its id in the payload. */
export function valuePayload(value: number, producerId?: string): string {
  return producerId === undefined ? String(value) : `${producerId}:${value}`;
}

const bareValue = /^(0|[1-9]\d{0,14})$/;
const identifiedValue = /^([^\s:]{1,64}):(0|[1-9]\d{0,14})$/;

/**
 * A payload is a counter value only when the producer could have sent it: a whole number from 0, in
 * plain decimal (no sign, no leading zero), alone or after the producer's id and a colon ("sensor-1:42";
 * the id up to 64 characters, no spaces or colons). Anything else is not a value and never makes a gap.
 */
export function parseValue(payload: Uint8Array | string): { value: number; producerId?: string } | { error: InvalidReason } {
  if (typeof payload !== 'string') {
    const value = bareValueBytes(payload);
    if (value !== undefined) return { value };
  }
  const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : Buffer.from(payload).toString('utf8');
  const trimmed = text.trim();
  if (bareValue.test(trimmed)) return { value: Number(trimmed) };
  const identified = identifiedValue.exec(trimmed);
  if (identified) return { value: Number(identified[2]), producerId: identified[1]! };
  return { error: { reason: 'not-a-value', payload: trimmed.slice(0, 40), truncated: trimmed.length > 40 } };
}

/**
 * The payload the producer sends, a bare number (as bareValue: no sign, no leading zero, at most 15
 * digits), read from its bytes without making a string; anything else (spaces, an id) is undefined and
 * read as text.
 */
function bareValueBytes(bytes: Uint8Array): number | undefined {
  const length = bytes.length;
  if (length === 0 || length > 15 || (bytes[0] === 0x30 && length > 1)) return undefined;
  let value = 0;
  for (let i = 0; i < length; i++) {
    const digit = bytes[i]! - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return value;
}
