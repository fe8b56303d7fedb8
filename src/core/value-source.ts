/**
 * Where a message's value and producer are read from, for a stream this project did not produce: a dot
 * path into a JSON payload (--value-field seq, --producer-field device) or an MQTT 5 user property
 * (--value-property, --producer-property). Without either, the producer's own payload ("42", "id:42").
 */
import { UsageError } from './errors.js';
import type { InvalidReason } from './events.js';
import { maxIdLength, parseValue, type UserProperties } from './wire.js';

/** One place to look: a JSON field, as the steps of its dot path, or a user property by name. */
export type ValueLocation = { source: 'field'; name: string; steps: string[] } | { source: 'property'; name: string };

export interface ValueSource {
  value?: ValueLocation;
  producer?: ValueLocation;
}

/** What a message gave: its value (and producer, when read from it), or why it gave none. */
export type ReadValue = { value: number; producerId?: string } | { error: InvalidReason };

/** How much of a payload or a found value is kept to show. */
const shownLength = 40;

function shown(text: string): { text: string; truncated: boolean } {
  return { text: text.slice(0, shownLength), truncated: text.length > shownLength };
}

/** "a.b.0.c" as its steps; an empty step (a.b, .a, a..b) is refused, naming the option. */
export function fieldLocation(path: string, option: string): ValueLocation {
  const steps = path.split('.');
  if (steps.some((step) => step.length === 0)) throw new UsageError(`${option} '${path}' is not a dot path: each name between dots must be non-empty (e.g. seq, or reading.seq)`);
  return { source: 'field', name: path, steps };
}

export function propertyLocation(name: string, option: string): ValueLocation {
  if (name.length === 0) throw new UsageError(`${option} needs the name of a user property`);
  return { source: 'property', name };
}

/** Follows a dot path: an object's key, or an array's index; undefined where the path leads nowhere. */
export function followPath(document: unknown, steps: readonly string[]): unknown {
  let here: unknown = document;
  for (const step of steps) {
    if (Array.isArray(here)) {
      if (!/^(0|[1-9]\d*)$/.test(step)) return undefined;
      here = here[Number(step)];
    } else if (here !== null && typeof here === 'object' && Object.prototype.hasOwnProperty.call(here, step)) {
      here = (here as Record<string, unknown>)[step];
    } else {
      return undefined;
    }
  }
  return here;
}

/** A counter value is a whole number from 0: a JSON number in a field (a string there is not one), plain decimal in a user property (always text). */
function asValue(found: unknown, source: ValueLocation['source']): number | undefined {
  if (source === 'field') return typeof found === 'number' && Number.isSafeInteger(found) && found >= 0 ? found : undefined;
  return typeof found === 'string' && /^(0|[1-9]\d{0,14})$/.test(found) ? Number(found) : undefined;
}

/** A producer id is text or a whole number (a device number), of 1 to 64 characters. */
function asProducerId(found: unknown): string | undefined {
  const text = typeof found === 'string' ? found : typeof found === 'number' && Number.isSafeInteger(found) ? String(found) : undefined;
  return text !== undefined && text.length > 0 && text.length <= maxIdLength ? text : undefined;
}

function describeFound(found: unknown): string {
  return typeof found === 'string' ? found : (JSON.stringify(found) ?? String(found));
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Reads the value and producer of one message from where the source says. A place that holds nothing
 * (no such field or property, a payload that is no JSON) is a bad path; a value that is no whole
 * number from 0 is not an integer; a producer that is neither text nor a number is a bad path too.
 */
export function readMessageValue(source: ValueSource, payload: Uint8Array | string, properties: UserProperties | undefined): ReadValue {
  if (source.value === undefined && source.producer === undefined) return parseValue(payload);
  const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  let document: unknown;
  let parsed = false;
  const lookUp = (location: ValueLocation): unknown => {
    if (location.source === 'property') return single(properties?.[location.name]);
    if (!parsed) {
      parsed = true;
      try {
        document = JSON.parse(text) as unknown;
      } catch {
        document = undefined;
      }
    }
    return followPath(document, location.steps);
  };
  const badPath = (role: 'value' | 'producer', location: ValueLocation, found: unknown): ReadValue => {
    const payloadShown = shown(text.trim());
    return {
      error: {
        reason: 'bad-path',
        role,
        source: location.source,
        name: location.name,
        found: found === undefined ? null : shown(describeFound(found)).text,
        payload: payloadShown.text,
        truncated: payloadShown.truncated,
      },
    };
  };

  let read: { value: number; producerId?: string };
  if (source.value === undefined) {
    const bare = parseValue(payload);
    if ('error' in bare) return bare;
    read = bare;
  } else {
    const found = lookUp(source.value);
    if (found === undefined || found === null) return badPath('value', source.value, undefined);
    const value = asValue(found, source.value.source);
    if (value === undefined) return { error: { reason: 'not-an-integer', source: source.value.source, name: source.value.name, found: shown(describeFound(found)).text } };
    read = { value };
  }
  if (source.producer !== undefined) {
    const found = lookUp(source.producer);
    const producerId = asProducerId(found);
    if (producerId === undefined) return badPath('producer', source.producer, found ?? undefined);
    read = { ...read, producerId };
  }
  return read;
}
