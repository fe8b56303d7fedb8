/** The consumer's checkpoint: its sequence state, kept across its restarts, for one client id and topic filter. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { Segment, Totals, TrackerSnapshot } from '../core/accounting.js';
import { CliError, ExitCode } from '../core/errors.js';
import { JsonStateFile } from './state-file.js';

export interface CheckpointData {
  version: 2;
  /** The client id and topic filter the accounting belongs to. */
  clientId: string;
  topic: string;
  /** A persistent session existed on the broker when this was written. */
  hadSession: boolean;
  savedAt: string;
  tracker: TrackerSnapshot;
}

const count = z.int().nonnegative();
const value = z.int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
const range = z.object({ topic: z.string(), from: value, to: value }).refine((r) => r.from <= r.to, 'from is after to');

const segment: z.ZodType<Segment> = z
  .object({ kind: z.enum(['live', 'queued', 'missing']), from: value, to: value })
  .refine((s) => s.from <= s.to, 'from is after to');

const totals: z.ZodType<Totals> = z.object({
  received: count,
  unique: count,
  missing: count,
  duplicates: count,
  outOfOrder: count,
  queued: count,
  restarts: count,
  invalid: count,
  longestWaitMs: count.nullable(),
});

const tracker: z.ZodType<TrackerSnapshot> = z.object({
  version: z.literal(1),
  totals,
  topics: z.array(
    z
      .object({ topic: z.string(), runId: z.string().nullable(), first: value, highest: value, segments: z.array(segment).min(1) })
      .refine((t) => t.segments.every((s, i) => i === 0 || s.from > t.segments[i - 1]!.to), 'segments out of order or overlapping'),
  ),
  earlierMissing: z.array(range),
});

const checkpointFile = z.discriminatedUnion('version', [
  z.object({ version: z.literal(2), clientId: z.string(), topic: z.string(), hadSession: z.boolean(), savedAt: z.string(), tracker }),
  // Written before checkpoints named their topic filter: taken as belonging to the filter in use.
  z.object({ version: z.literal(1), clientId: z.string(), hadSession: z.boolean(), savedAt: z.string(), tracker }),
]);

type StoredCheckpoint = z.infer<typeof checkpointFile>;

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

  /** The saved accounting of this client id and topic filter; another one's is refused (exit 2), never adopted. */
  loadFor(clientId: string, topic: string): CheckpointData | undefined {
    const saved = this.load();
    if (!saved) return undefined;
    if (saved.clientId !== clientId) {
      throw new CliError(`the checkpoint ${this.path} belongs to the client id ${saved.clientId}, not ${clientId}: give this consumer its own --state`, ExitCode.usage);
    }
    const savedTopic = saved.version === 2 ? saved.topic : topic;
    if (savedTopic !== topic) {
      throw new CliError(`the checkpoint ${this.path} belongs to the topic filter ${savedTopic}, not ${topic}: give this consumer its own --state`, ExitCode.usage);
    }
    return { ...saved, version: 2, topic };
  }
}
