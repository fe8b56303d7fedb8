/**
 * A producer's record, read for the report that joins it with the consumers': its state file (the run
 * across its restarts), or the lines it printed with --json (the last producer-summary line).
 */
import { readRecordFile } from './record-file.js';
import { z } from 'zod';
import { subtract, type ProducerRecord, type ValueRange } from '../core/delivery-join.js';
import { CliError } from '../core/errors.js';
import { ProducerStateFile } from './producer-state.js';

const range = z.object({ from: z.int().nonnegative(), to: z.int().nonnegative() }).refine((r) => r.from <= r.to, 'from is after to');

const summaryLine = z.object({
  event: z.literal('producer-summary'),
  topic: z.string(),
  producerId: z.string(),
  runId: z.string(),
  acknowledgedValues: z.array(range).nullable(),
});

function fromStateFile(path: string): ProducerRecord {
  const saved = new ProducerStateFile(path).load()!;
  if (saved.firstValue === undefined || saved.qos === undefined || saved.producerId === undefined) {
    throw new CliError(`${path} was written by an older producer, which did not keep its first value and QoS: give its --json output instead`);
  }
  const sent: ValueRange[] = saved.nextValue > saved.firstValue ? [{ from: saved.firstValue, to: saved.nextValue - 1 }] : [];
  const pending = saved.unacknowledged.map(([from, to]) => ({ from, to }));
  return {
    source: path,
    topic: saved.topic,
    producerId: saved.producerId,
    runId: saved.runId,
    acknowledged: saved.qos === 0 ? null : subtract(sent, pending),
  };
}

export function readProducerRecord(path: string): ProducerRecord {
  const { text, whole } = readRecordFile(path);
  if (whole !== null && typeof whole === 'object' && 'unacknowledged' in whole) return fromStateFile(path);
  let summary: unknown;
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const event = JSON.parse(line) as { event?: unknown };
      if (event.event === 'producer-summary') summary = event;
    } catch {
      // a line cut off by a kill
    }
  }
  if (summary === undefined) {
    throw new CliError(`${path} is neither a producer's state file nor its --json output with a producer-summary line (the producer must have stopped; after a kill, give its --state file)`);
  }
  const parsed = summaryLine.safeParse(summary);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CliError(`the producer-summary in ${path} is not one this producer writes (${issue.path.join('.')}: ${issue.message})`);
  }
  const { topic, producerId, runId, acknowledgedValues } = parsed.data;
  return { source: path, topic, producerId, runId, acknowledged: acknowledgedValues };
}
