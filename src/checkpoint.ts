/**
 * The consumer's checkpoint: its sequence state in a file, replaced atomically (temporary file,
 * fsync, rename) so that a crash leaves either the old state or the new one, never half of each.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { CliError, describeError } from './errors.js';
import type { TrackerSnapshot } from './tracker.js';

export interface CheckpointData {
  version: 1;
  clientId: string;
  /** A persistent session existed on the broker when this was written. */
  hadSession: boolean;
  savedAt: string;
  tracker: TrackerSnapshot;
}

/** $XDG_STATE_HOME/mqtt-persistent-sessions/<client id>.json, or under ~/.local/state. */
export function defaultCheckpointPath(clientId: string, env = process.env): string {
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  const safeId = clientId.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return join(base, 'mqtt-persistent-sessions', `${safeId}.json`);
}

function isCheckpoint(data: unknown): data is CheckpointData {
  if (typeof data !== 'object' || data === null) return false;
  const record = data as Partial<CheckpointData>;
  return record.version === 1 && typeof record.tracker === 'object' && Array.isArray(record.tracker?.topics);
}

export class Checkpoint {
  constructor(readonly path: string) {}

  /** The saved state, or undefined when there is none yet. A damaged file is an error, not a fresh start. */
  load(): CheckpointData | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CliError(`cannot read the state file ${this.path}: ${describeError(error)}`);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw new CliError(`the state file ${this.path} is damaged (not JSON); move it away to start the accounting afresh`);
    }
    if (!isCheckpoint(data)) {
      throw new CliError(`the state file ${this.path} is not a consumer checkpoint; move it away or pass another --state`);
    }
    return data;
  }

  /** Checks early that the file can be written, so a bad path fails before anything is received. */
  prepare(): void {
    try {
      mkdirSync(dirname(this.path), { recursive: true });
    } catch (error) {
      throw new CliError(`cannot create the folder for the state file ${this.path}: ${describeError(error)}`);
    }
  }

  async save(data: CheckpointData): Promise<void> {
    try {
      await writeFileAtomic(this.path, JSON.stringify(data), { fsync: true });
    } catch (error) {
      throw new CliError(`cannot write the state file ${this.path}: ${describeError(error)}`);
    }
  }
}
