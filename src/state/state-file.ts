/**
 * A JSON state file replaced atomically (temporary file, fsync, rename), so that a crash leaves the
 * old state or the new one, never half of each. One process at a time may use it (a lock file naming
 * the process: lock-file.ts), every field is checked when it is read, and every failure names the file.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CliError, describeError, ExitCode } from '../core/errors.js';
import type { StateFileWait } from '../core/events.js';
import { LockFile, type LockResult } from './lock-file.js';

/** mkdir -p, one level at a time: Node 20's recursive mkdirSync spins forever on a path under /proc. */
function makeFolder(dir: string): void {
  if (existsSync(dir)) return;
  if (dirname(dir) !== dir) makeFolder(dirname(dir));
  mkdirSync(dir);
}

/** "tracker.topics[0].segments[2].to" for zod's path ['tracker', 'topics', 0, 'segments', 2, 'to']. */
function fieldName(path: PropertyKey[]): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i > 0 ? '.' : ''}${String(part)}`)).join('') || 'the whole file';
}

/** What a state file holds, checked when it is read: a schema of zod's full entry or of its small one. */
export interface StateSchema<T> {
  safeParse(data: unknown): { success: true; data: T } | { success: false; error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> } };
}

export class JsonStateFile<T> {
  private readonly lock: LockFile;
  /** Saves so far: each one's temporary file has its own name. */
  private saves = 0;

  constructor(
    readonly path: string,
    /** What the file holds, for messages: "consumer checkpoint", "producer state file". */
    private readonly kind: string,
    private readonly schema: StateSchema<T>,
  ) {
    this.lock = new LockFile(`${path}.lock`);
  }

  get lockPath(): string {
    return this.lock.path;
  }

  /**
   * Makes the folder, takes the lock and removes what a crashed run left beside the file, before
   * anything is received or sent. A process still using the file is waited for a few seconds (onWait
   * is told, once), then refused (exit 2).
   */
  async open(onWait: (wait: StateFileWait) => void = () => {}, waitMs?: number): Promise<void> {
    try {
      makeFolder(dirname(this.path));
    } catch (error) {
      throw new CliError(`cannot create the folder for the state file ${this.path}: ${describeError(error)}`);
    }
    let result: LockResult;
    try {
      result = await this.lock.take((owner, ms) => onWait({ path: this.path, pid: owner.pid, waitMs: ms }), waitMs);
    } catch (error) {
      throw new CliError(`cannot lock the state file ${this.path}: ${describeError(error)}`);
    }
    if (!result.taken) {
      throw new CliError(
        `the ${this.kind} ${this.path} is in use by another process (${result.owner.pid}): give each one its own --state (if none runs, remove ${this.lockPath})`,
        ExitCode.usage,
      );
    }
    this.removeStaleTemporaryFiles();
  }

  /** An atomic write killed half-way leaves its temporary copy, NAME.DIGITS, beside the file. */
  private removeStaleTemporaryFiles(): void {
    const name = basename(this.path);
    let entries: string[];
    try {
      entries = readdirSync(dirname(this.path));
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.startsWith(`${name}.`) && /^\d+$/.test(entry.slice(name.length + 1))) rmSync(join(dirname(this.path), entry), { force: true });
    }
  }

  /** The saved state, or undefined when there is none yet. A damaged file is an error, not a fresh start. */
  load(): T | undefined {
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
      throw new CliError(`the state file ${this.path} is damaged (not JSON); move it away to start afresh`);
    }
    const checked = this.schema.safeParse(data);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      throw new CliError(`the state file ${this.path} is not a valid ${this.kind} (${fieldName(issue.path)}: ${issue.message}); move it away or pass another --state`);
    }
    return checked.data;
  }

  /**
   * Written to a temporary file beside it (NAME.DIGITS), flushed to disk, then renamed over it, all
   * before save() returns: the state is on disk when the promise is made, and saves cannot overlap. The
   * event loop waits for the flush (about a millisecond here) rather than a turn for each step: while a
   * backlog arrives a turn is long, and the consumer holds its window's acknowledgements until the save.
   */
  save(data: T): Promise<void> {
    try {
      this.write(data);
    } catch (error) {
      return Promise.reject(error as CliError);
    }
    return Promise.resolve();
  }

  private write(data: T): void {
    const temporary = `${this.path}.${process.pid}${String(this.saves++).padStart(6, '0')}`;
    let fd: number | undefined;
    try {
      fd = openSync(temporary, 'w');
      writeSync(fd, JSON.stringify(data));
      fsyncSync(fd);
      closeSync(fd);
      fd = undefined;
      renameSync(temporary, this.path);
    } catch (error) {
      try {
        if (fd !== undefined) closeSync(fd);
        rmSync(temporary, { force: true });
      } catch {
        // the error that matters is the one said below
      }
      throw new CliError(`cannot write the state file ${this.path}: ${describeError(error)}`);
    }
  }
}
