/** The consumer's checkpoint: its sequence state, kept across its restarts, for one client id and topic filter. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { emptyCounts, type Segment, type SequenceCounts, type Totals, type TrackerSnapshot } from '../core/accounting.js';
import type { BrokerIdentity } from '../core/chapter.js';
import { CliError, ExitCode } from '../core/errors.js';
import { JsonStateFile } from './state-file.js';

export interface CheckpointData {
  version: 3;
  /** The client id and topic filter the accounting belongs to. */
  clientId: string;
  topic: string;
  /** A persistent session existed on the broker when this was written. */
  hadSession: boolean;
  /** The broker the accounting belongs to; absent in checkpoints written before it was recorded. */
  broker?: BrokerIdentity;
  /** The session expiry asked for (seconds; null: MQTT 3.1.1, which has none); absent in older checkpoints. */
  sessionExpiry?: number | null;
  savedAt: string;
  tracker: TrackerSnapshot;
}

const count = z.int().nonnegative();
const value = z.int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
const legacyRange = z.object({ topic: z.string(), from: value, to: value }).refine((r) => r.from <= r.to, 'from is after to');
const range = z.object({ topic: z.string(), producerId: z.string().nullable(), from: value, to: value }).refine((r) => r.from <= r.to, 'from is after to');

const segment: z.ZodType<Segment> = z
  .object({ kind: z.enum(['live', 'queued', 'missing']), from: value, to: value })
  .refine((s) => s.from <= s.to, 'from is after to');

const totalsShape = z.object({
  received: count,
  unique: count,
  missing: count,
  duplicates: count,
  outOfOrder: count,
  queued: count,
  restarts: count,
  invalid: count,
  // Absent from checkpoints written before retained copies were counted apart.
  retained: count.default(0),
  unjudged: count,
  longestWaitMs: count.nullable(),
});
const totals: z.ZodType<Totals> = totalsShape;

/** One sequence of a topic and a producer as the summary shows it; a checkpoint keeps a little more. */
export const topicSummary = z.object({
  topic: z.string(),
  producerId: z.string().nullable(),
  runId: z.string().nullable(),
  first: value,
  highest: value,
  received: count,
  unique: count,
  missing: count,
  duplicates: count,
  outOfOrder: count,
  queued: count,
  restarts: count,
  longestQueuedWaitMs: count.nullable(),
  shared: z.boolean(),
  segments: z.array(segment),
});

const ordered = (t: { segments: Segment[] }): boolean => t.segments.every((s, i) => i === 0 || s.from > t.segments[i - 1]!.to);

const tracker: z.ZodType<TrackerSnapshot> = z.object({
  version: z.literal(2),
  totals,
  topics: z.array(
    topicSummary
      .extend({ stepsBack: count })
      .refine(ordered, 'segments out of order or overlapping')
      .refine((t) => t.shared || t.segments.length > 0, 'no segments'),
  ),
  earlierMissing: z.array(range),
});

/** The accounting of checkpoints up to version 2: one sequence per topic, whoever published. */
const legacyTracker = z.object({
  version: z.literal(1),
  totals: totalsShape.extend({ unjudged: count.optional() }),
  topics: z.array(
    z
      .object({ topic: z.string(), runId: z.string().nullable(), first: value, highest: value, segments: z.array(segment).min(1) })
      .refine(ordered, 'segments out of order or overlapping'),
  ),
  earlierMissing: z.array(legacyRange),
});

const broker = z.object({ urls: z.array(z.string()).min(1), protocolVersion: z.union([z.literal(4), z.literal(5)]) });

const checkpointFile = z.discriminatedUnion('version', [
  z.object({
    version: z.literal(3),
    clientId: z.string(),
    topic: z.string(),
    hadSession: z.boolean(),
    broker: broker.optional(),
    sessionExpiry: count.nullable().optional(),
    savedAt: z.string(),
    tracker,
  }),
  z.object({ version: z.literal(2), clientId: z.string(), topic: z.string(), hadSession: z.boolean(), savedAt: z.string(), tracker: legacyTracker }),
  // Written before checkpoints named their topic filter: taken as belonging to the filter in use.
  z.object({ version: z.literal(1), clientId: z.string(), hadSession: z.boolean(), savedAt: z.string(), tracker: legacyTracker }),
]);

type StoredCheckpoint = z.infer<typeof checkpointFile>;

/**
 * A checkpoint of version 1 or 2 kept one sequence per topic: each becomes the sequence of the producer
 * it knew (named by its run id, as such a producer sent nothing else), with its counts taken from its segments.
 */
export function upgradeSnapshot(old: z.infer<typeof legacyTracker>): TrackerSnapshot {
  return {
    version: 2,
    totals: { ...old.totals, unjudged: old.totals.unjudged ?? 0 },
    topics: old.topics.map((topic) => {
      const counts: SequenceCounts = emptyCounts();
      for (const s of topic.segments) {
        const size = s.to - s.from + 1;
        if (s.kind === 'missing') counts.missing += size;
        else counts.unique += size;
        if (s.kind === 'queued') counts.queued += size;
      }
      counts.received = counts.unique;
      return { ...topic, producerId: null, ...counts, shared: false, stepsBack: 0 };
    }),
    earlierMissing: old.earlierMissing.map((range) => ({ ...range, producerId: null })),
  };
}

/** $XDG_STATE_HOME/mqtt-persistent-sessions/<client id>.json, or under ~/.local/state. */
export function defaultCheckpointPath(clientId: string, env = process.env): string {
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  const safeId = clientId.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return join(base, 'mqtt-persistent-sessions', `${safeId}.json`);
}

/** The consumer's checkpoint file. */
export class Checkpoint extends JsonStateFile<StoredCheckpoint> {
  constructor(path: string) {
    super(path, 'consumer checkpoint', checkpointFile);
  }

  /** The saved accounting whoever it belongs to (the group report reads members' checkpoints); undefined when there is none. */
  read(): CheckpointData | undefined {
    const saved = this.load();
    if (!saved) return undefined;
    const snapshot = saved.tracker.version === 2 ? saved.tracker : upgradeSnapshot(saved.tracker);
    return { ...saved, version: 3, topic: saved.version === 1 ? '' : saved.topic, tracker: snapshot };
  }

  /** The saved accounting of this client id and topic filter; another one's is refused (exit 2), never adopted. */
  loadFor(clientId: string, topic: string): CheckpointData | undefined {
    const saved = this.load();
    if (!saved) return undefined;
    if (saved.clientId !== clientId) {
      throw new CliError(`the checkpoint ${this.path} belongs to the client id ${saved.clientId}, not ${clientId}: give this consumer its own --state`, ExitCode.usage);
    }
    const savedTopic = saved.version === 1 ? topic : saved.topic;
    if (savedTopic !== topic) {
      throw new CliError(`the checkpoint ${this.path} belongs to the topic filter ${savedTopic}, not ${topic}: give this consumer its own --state`, ExitCode.usage);
    }
    const snapshot = saved.tracker.version === 2 ? saved.tracker : upgradeSnapshot(saved.tracker);
    return { ...saved, version: 3, topic, tracker: snapshot };
  }
}
