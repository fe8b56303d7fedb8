/**
 * A JSON state file replaced atomically (temporary file, fsync, rename), so that a crash leaves the
 * old state or the new one, never half of each. Every failure names the file.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { CliError, describeError } from '../core/errors.js';

/** mkdir -p, one level at a time: Node 20's recursive mkdirSync spins forever on a path under /proc. */
function makeFolder(dir: string): void {
  if (existsSync(dir)) return;
  if (dirname(dir) !== dir) makeFolder(dirname(dir));
  mkdirSync(dir);
}

export class JsonStateFile<T> {
  constructor(
    readonly path: string,
    /** What the file holds, for messages: "consumer checkpoint", "producer state file". */
    private readonly kind: string,
    private readonly isValid: (data: unknown) => data is T,
  ) {}

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
    if (!this.isValid(data)) throw new CliError(`the state file ${this.path} is not a ${this.kind}; move it away or pass another --state`);
    return data;
  }

  /** Creates the folder early, so a bad path fails before anything is received or sent. */
  prepare(): void {
    try {
      makeFolder(dirname(this.path));
    } catch (error) {
      throw new CliError(`cannot create the folder for the state file ${this.path}: ${describeError(error)}`);
    }
  }

  async save(data: T): Promise<void> {
    try {
      await writeFileAtomic(this.path, JSON.stringify(data), { fsync: true });
    } catch (error) {
      throw new CliError(`cannot write the state file ${this.path}: ${describeError(error)}`);
    }
  }
}
