/**
 * The lock beside a state file: a file naming the process that uses it (its PID and, on Linux, its
 * start time). A lock whose process is gone, a zombie, or a newer process under a reused PID is free:
 * a process killed and restarted at once, before anyone reaped it, must not lock itself out.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** The process a lock names; startTime is absent in locks written without /proc or before it was recorded. */
export interface LockOwner {
  pid: number;
  /** Field 22 of /proc/PID/stat: clock ticks from boot to the start of the process. */
  startTime?: string;
}

/** What /proc/PID/stat says of a process: its state letter (R, S, D, Z, X...) and its start time. */
export interface ProcessStat {
  state: string;
  startTime: string;
}

/** Parses /proc/PID/stat; its second field is the command name in brackets, which may hold spaces and brackets itself. */
export function parseProcessStat(text: string): ProcessStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // After the name: state (field 3), then fields 4..; the start time is field 22.
  const fields = text.slice(close + 1).trim().split(/\s+/);
  const state = fields[0];
  const startTime = fields[22 - 3];
  if (!state || !startTime || !/^\d+$/.test(startTime)) return undefined;
  return { state, startTime };
}

export function lockText(owner: LockOwner): string {
  return owner.startTime === undefined ? `${owner.pid}\n` : `${owner.pid} ${owner.startTime}\n`;
}

/** The owner a lock file names, or undefined when it names none (empty, damaged). */
export function parseLockText(text: string): LockOwner | undefined {
  const [pid, startTime] = text.trim().split(/\s+/);
  const number = Number(pid);
  if (!pid || !/^\d+$/.test(pid) || !Number.isSafeInteger(number) || number <= 0) return undefined;
  return startTime !== undefined && /^\d+$/.test(startTime) ? { pid: number, startTime } : { pid: number };
}

/**
 * Whether the lock's owner still runs, from what the system says of its PID: kill(pid, 0) (alive or
 * not, where /proc is missing) and /proc/PID/stat (a zombie, or another process under the same PID).
 */
export function ownerRunning(owner: LockOwner, alive: boolean, stat: ProcessStat | undefined): boolean {
  if (!alive) return false;
  // No /proc (not Linux), or hidden from this user: kill(0) is all there is to go by.
  if (stat === undefined) return true;
  // A zombie (Z) or a dying process (X) holds no file and will run no more.
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return owner.startTime === undefined || owner.startTime === stat.startTime;
}

function signalReaches(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readProcessStat(pid: number | 'self'): ProcessStat | undefined {
  try {
    return parseProcessStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

function running(owner: LockOwner): boolean {
  return ownerRunning(owner, signalReaches(owner.pid), readProcessStat(owner.pid));
}

/** How long a running owner is waited for before the lock is refused, and how often it is looked at. */
export const ownerExitWaitMs = 5000;
const ownerPollMs = 100;
const emptyLockGraceMs = 50;

export type LockResult = { taken: true } | { taken: false; owner: LockOwner };

export class LockFile {
  private held = false;
  private readonly me: LockOwner = { pid: process.pid, startTime: readProcessStat('self')?.startTime };

  constructor(readonly path: string) {}

  /**
   * Takes the lock. An owner that is gone is replaced at once; one that still runs is waited for, up to
   * waitMs, polling (onWait is told once); an owner still running then is returned, the lock untaken.
   * Errors other than an existing lock are thrown as they are.
   */
  async take(onWait: (owner: LockOwner, waitMs: number) => void, waitMs = ownerExitWaitMs): Promise<LockResult> {
    const deadline = Date.now() + waitMs;
    let told = false;
    let emptySeen = false;
    for (;;) {
      if (this.create()) return { taken: true };
      const text = this.read();
      if (text === '' && !emptySeen) {
        // Another starter may have created it this instant and not yet written its PID: looked at again.
        emptySeen = true;
        await sleep(emptyLockGraceMs);
        continue;
      }
      const owner = text === undefined ? undefined : parseLockText(text);
      if (owner !== undefined && owner.pid !== process.pid && running(owner)) {
        if (Date.now() >= deadline) return { taken: false, owner };
        if (!told) onWait(owner, waitMs);
        told = true;
        await sleep(ownerPollMs);
        continue;
      }
      // Its owner is gone, a zombie, or another process under its PID (this one included), or it names
      // nobody: free. Removed only while it still reads the same, so that a lock another starter has
      // just taken stays.
      if (text !== undefined && this.read() === text) rmSync(this.path, { force: true });
    }
  }

  /** Creates the lock file naming this process; false when one exists. */
  private create(): boolean {
    try {
      writeFileSync(this.path, lockText(this.me), { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    this.held = true;
    process.once('exit', () => this.release());
    return true;
  }

  private read(): string | undefined {
    try {
      return readFileSync(this.path, 'utf8');
    } catch {
      return undefined;
    }
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    const text = this.read();
    if (text !== undefined && text === lockText(this.me)) rmSync(this.path, { force: true });
  }
}
