/**
 * What travels with each value besides the bare number: MQTT 5 user properties naming the producer
 * run and the send time. The payload stays the number alone, so any MQTT client shows the same value.
 */
/** MQTT 5 user properties as MQTT.js gives them: a name may repeat, and then carries a list. */
export type UserProperties = Record<string, string | string[]>;

export const runIdProperty = 'run-id';
export const sentAtProperty = 'sent-at';

export function valueProperties(runId: string, sentAt: number): UserProperties {
  return { [runIdProperty]: runId, [sentAtProperty]: String(sentAt) };
}

export interface ValueOrigin {
  runId?: string;
  sentAt?: number;
  /** Set when the properties were there but unusable. */
  problem?: string;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function readValueProperties(properties: UserProperties | undefined): ValueOrigin {
  if (!properties) return {};
  const origin: ValueOrigin = {};
  const runId = single(properties[runIdProperty]);
  const sentAt = single(properties[sentAtProperty]);
  if (runId !== undefined) {
    if (runId.length > 0 && runId.length <= 64) origin.runId = runId;
    else origin.problem = `malformed ${runIdProperty} user property`;
  }
  if (sentAt !== undefined) {
    const time = Number(sentAt);
    if (/^\d{1,15}$/.test(sentAt) && Number.isSafeInteger(time)) origin.sentAt = time;
    else origin.problem = `malformed ${sentAtProperty} user property ${JSON.stringify(sentAt.slice(0, 30))}`;
  }
  return origin;
}

/**
 * A payload is a counter value only when the producer could have sent it: a whole number from 0, in
 * plain decimal (no sign, no leading zero). Anything else is not a value and never makes a gap.
 */
export function parseValue(payload: Uint8Array | string): { value: number } | { error: string } {
  const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  const trimmed = text.trim();
  if (/^(0|[1-9]\d{0,14})$/.test(trimmed)) return { value: Number(trimmed) };
  const shown = trimmed.length > 40 ? `${trimmed.slice(0, 40)}...` : trimmed;
  return { error: `not a counter value (a whole number from 0, as the producer sends): ${JSON.stringify(shown)}` };
}
