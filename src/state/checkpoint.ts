/** The consumer's checkpoint: its sequence state, kept across its restarts, for one client id and topic filter. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod/mini';
import '../core/schema-messages.js';
import { trackerSnapshotSchema } from '../core/counts.js';
import type { BrokerIdentity } from '../core/chapter.js';
import { CliError, ExitCode } from '../core/errors.js';
import { JsonStateFile } from './state-file.js';

const broker: z.ZodMiniType<BrokerIdentity> = z.object({ urls: z.array(z.string()).check(z.minLength(1)), protocolVersion: z.union([z.literal(4), z.literal(5)]) });

/** Checkpoints of versions 1 and 2 kept one sequence per topic; they are refused, never guessed at. */
const checkpointFile = z.object({
  version: z.literal(3, { error: 'this consumer reads checkpoints of version 3 only' }),
  /** The client id and topic filter the accounting belongs to. */
  clientId: z.string(),
  topic: z.string(),
  /** A persistent session existed on the broker when this was written. */
  hadSession: z.boolean(),
  /** The broker the accounting belongs to; absent in checkpoints written before it was recorded. */
  broker: z.optional(broker),
  /** The session expiry asked for (seconds; null: MQTT 3.1.1, which has none); absent in older checkpoints. */
  sessionExpiry: z.optional(z.nullable(z.int().check(z.nonnegative()))),
  savedAt: z.string(),
  tracker: trackerSnapshotSchema,
});

export type CheckpointData = z.infer<typeof checkpointFile>;

/** $XDG_STATE_HOME/mqtt-persistent-sessions/<client id>.json, or under ~/.local/state. */
export function defaultCheckpointPath(clientId: string, env = process.env): string {
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  const safeId = clientId.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return join(base, 'mqtt-persistent-sessions', `${safeId}.json`);
}

/** The consumer's checkpoint file. */
export class Checkpoint extends JsonStateFile<CheckpointData> {
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
    if (saved.topic !== topic) {
      throw new CliError(`the checkpoint ${this.path} belongs to the topic filter ${saved.topic}, not ${topic}: give this consumer its own --state`, ExitCode.usage);
    }
    return saved;
  }
}
