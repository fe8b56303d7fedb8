/**
 * The producer's state file: its run id, the next value, and the values not yet acknowledged by the
 * broker, so that a producer killed mid-run sends them again on restart and continues where it was.
 */
import { JsonStateFile } from './state-file.js';

export interface ProducerStateData {
  version: 1;
  runId: string;
  topic: string;
  nextValue: number;
  /** Not yet acknowledged, as [from, to] ranges in sending order. */
  unacknowledged: Array<[number, number]>;
}

/** Sorted values as inclusive ranges: a day offline at one value a second is one range, not 86,400 numbers. */
export function toRanges(values: Iterable<number>): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const value of values) {
    const last = ranges[ranges.length - 1];
    if (last && value === last[1] + 1) last[1] = value;
    else ranges.push([value, value]);
  }
  return ranges;
}

export function fromRanges(ranges: Array<[number, number]>): number[] {
  const values: number[] = [];
  for (const [from, to] of ranges) for (let value = from; value <= to; value++) values.push(value);
  return values;
}

function isState(data: unknown): data is ProducerStateData {
  if (typeof data !== 'object' || data === null) return false;
  const record = data as Partial<ProducerStateData>;
  return (
    record.version === 1 &&
    typeof record.runId === 'string' &&
    Number.isSafeInteger(record.nextValue) &&
    Array.isArray(record.unacknowledged) &&
    record.unacknowledged.every((r) => Array.isArray(r) && r.length === 2 && Number.isSafeInteger(r[0]) && Number.isSafeInteger(r[1]) && r[0] <= r[1])
  );
}

export class ProducerStateFile extends JsonStateFile<ProducerStateData> {
  constructor(path: string) {
    super(path, 'producer state file', isState);
  }
}
