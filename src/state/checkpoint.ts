/** The consumer's checkpoint: its sequence state, kept across its restarts. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { JsonStateFile } from './state-file.js';
import type { TrackerSnapshot } from '../core/accounting.js';

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

/** The consumer's checkpoint file. */
export class Checkpoint extends JsonStateFile<CheckpointData> {
  constructor(path: string) {
    super(path, 'consumer checkpoint', isCheckpoint);
  }
}
