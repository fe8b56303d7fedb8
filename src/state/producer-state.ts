/**
 * The producer's state file: its run id, the next value, and the values not yet acknowledged by the
 * broker, so that a producer killed mid-run sends them again on restart and continues where it was.
 */
import { z } from 'zod';
import { JsonStateFile } from './state-file.js';

export { fromRanges, toRanges } from '../core/value-ranges.js';

export interface ProducerStateData {
  version: 1;
  runId: string;
  /** The producer's identity, kept across its runs (absent in files written before it had one). */
  producerId?: string;
  topic: string;
  /** The run's first value and its QoS: with them the acknowledged values follow (absent in files written before they were kept). */
  firstValue?: number;
  qos?: 0 | 1 | 2;
  nextValue: number;
  /** Not yet acknowledged, as [from, to] ranges in sending order. */
  unacknowledged: Array<[number, number]>;
}

const value = z.int().min(0).max(Number.MAX_SAFE_INTEGER);

const producerStateFile: z.ZodType<ProducerStateData> = z.object({
  version: z.literal(1),
  runId: z.string().min(1).max(64),
  producerId: z.string().min(1).max(64).optional(),
  topic: z.string(),
  firstValue: value.optional(),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
  nextValue: value,
  unacknowledged: z.array(z.tuple([value, value]).refine(([from, to]) => from <= to, 'from is after to')),
});

export class ProducerStateFile extends JsonStateFile<ProducerStateData> {
  constructor(path: string) {
    super(path, 'producer state file', producerStateFile);
  }
}
