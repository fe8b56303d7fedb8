/**
 * What the accounting counts and what a checkpoint keeps of it, written once as a schema: the types
 * come from it, and a checkpoint read back is checked against it.
 */
import * as z from 'zod/mini';
import './schema-messages.js';

const count = z.int().check(z.nonnegative());
const value = z.int().check(z.gte(-Number.MAX_SAFE_INTEGER), z.lte(Number.MAX_SAFE_INTEGER));

/** live-or-queued: received after the session resumed from a publisher that gave no send time, so whether it had waited is not known. */
export const segmentKinds = ['live', 'queued', 'live-or-queued', 'missing'] as const;

/** Consecutive values of one kind, from..to inclusive. */
export const segmentSchema = z.object({ kind: z.enum(segmentKinds), from: value, to: value }).check(z.refine((s) => s.from <= s.to, 'from is after to'));

/** What one producer's values on one topic came to, across its runs. */
export const sequenceCountsSchema = z.object({
  received: count,
  unique: count,
  missing: count,
  duplicates: count,
  outOfOrder: count,
  queued: count,
  restarts: count,
  /** The longest a value delivered from the queue had waited in the broker, when the producer said when it sent it. */
  longestQueuedWaitMs: z.nullable(count),
});

/** One producer on one topic: its current run and what its values came to. */
export const topicSummarySchema = z.object({
  topic: z.string(),
  /** The producer's identity; null for a publisher that gives none (then runId, if any, names it). */
  producerId: z.nullable(z.string()),
  runId: z.nullable(z.string()),
  first: value,
  highest: value,
  ...sequenceCountsSchema.shape,
  /** Several unnamed publishers share this sequence: nothing on it is judged (segments then empty). */
  shared: z.boolean(),
  segments: z.array(segmentSchema),
});

/** Messages whose value or producer could not be read where the options point, and the first of them. */
export const unreadableSchema = z.object({
  count,
  example: z.nullable(
    z.object({
      topic: z.string(),
      role: z.enum(['value', 'producer']),
      source: z.enum(['field', 'property']),
      name: z.string(),
      /** What was there (null: nothing, or a payload that is no JSON). */
      found: z.nullable(z.string()),
    }),
  ),
});

const noneUnreadable = (): Unreadable => ({ count: 0, example: null });

export const totalsSchema = z.object({
  ...z.omit(sequenceCountsSchema, { longestQueuedWaitMs: true }).shape,
  invalid: count,
  /** Copies of a topic's retained message, handed again at each subscribe: not in received, never judged. Absent from checkpoints written before they were counted apart. */
  retained: z._default(count, 0),
  /** Values on topics shared by publishers that do not identify themselves: received, never judged. */
  unjudged: count,
  longestWaitMs: z.nullable(count),
  /** No value or producer where --value-field/--value-property or --producer-field/--producer-property point. Absent from checkpoints written before they were counted. */
  badPaths: z._default(unreadableSchema, noneUnreadable),
  /** A value there that is no whole number from 0. */
  nonIntegers: z._default(unreadableSchema, noneUnreadable),
});

export const missingRangeSchema = z
  .object({ topic: z.string(), producerId: z.nullable(z.string()), from: value, to: value })
  .check(z.refine((r) => r.from <= r.to, 'from is after to'));

const ordered = (t: { segments: Segment[] }): boolean => t.segments.every((s, i) => i === 0 || s.from > t.segments[i - 1]!.to);

export const sequenceSnapshotSchema = z
  .extend(topicSummarySchema, {
    /** How often a value was not above the one before it: the sign of publishers sharing a topic. */
    stepsBack: count,
  })
  .check(
    z.refine(ordered, 'segments out of order or overlapping'),
    z.refine((t) => t.shared || t.segments.length > 0, 'no segments'),
  );

/** The tracker's state as a checkpoint keeps it. */
export const trackerSnapshotSchema = z.object({
  version: z.literal(2),
  totals: totalsSchema,
  topics: z.array(sequenceSnapshotSchema),
  earlierMissing: z.array(missingRangeSchema),
});

export type Segment = z.infer<typeof segmentSchema>;
export type SegmentKind = Segment['kind'];
export type SequenceCounts = z.infer<typeof sequenceCountsSchema>;
export type TopicSummary = z.infer<typeof topicSummarySchema>;
export type Totals = z.infer<typeof totalsSchema>;
export type Unreadable = z.infer<typeof unreadableSchema>;
export type MissingRange = z.infer<typeof missingRangeSchema>;
export type SequenceSnapshot = z.infer<typeof sequenceSnapshotSchema>;
export type TrackerSnapshot = z.infer<typeof trackerSnapshotSchema>;

export function emptyCounts(): SequenceCounts {
  return { received: 0, unique: 0, missing: 0, duplicates: 0, outOfOrder: 0, queued: 0, restarts: 0, longestQueuedWaitMs: null };
}
