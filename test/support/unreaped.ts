/**
 * A command whose parent does not reap it, as under a supervisor that restarts before it reaps, or a
 * container's PID 1 that never reaps: killed, it stays a zombie. Its parent is a shell that starts it
 * in the background and reaps it only once released (its standard input closed).
 */
import { readFileSync } from 'node:fs';
import { CliProcess as ChildCommand, type JsonEvent } from './cli.js';

/** The state letter of /proc/PID/stat (R, S, Z...), undefined when there is no such process. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

// A background job of a non-interactive shell reads /dev/null, and dash reaps nothing while it waits in read.
const launcher = ['sh', '-c', '"$@" & pid=$!; echo "pid $pid" >&2; read _; wait $pid', 'sh'];

export class UnreapedCommand {
  readonly command: ChildCommand;
  private released = false;

  private constructor(name: 'consumer' | 'producer', args: string[]) {
    this.command = new ChildCommand(name, args, {}, launcher);
  }

  static consumer(args: string[]): UnreapedCommand {
    return new UnreapedCommand('consumer', args);
  }

  static producer(args: string[]): UnreapedCommand {
    return new UnreapedCommand('producer', args);
  }

  /** The command's own PID (not its parent shell's). */
  async pid(): Promise<number> {
    await this.command.waitUntil('its PID', () => /^pid \d+$/m.test(this.command.stderr));
    return Number(/^pid (\d+)$/m.exec(this.command.stderr)![1]);
  }

  get events(): JsonEvent[] {
    return this.command.events;
  }

  eventsOf(name: string): JsonEvent[] {
    return this.command.eventsOf(name);
  }

  /** SIGKILL, without waiting: it stays a zombie until released. */
  async kill(): Promise<number> {
    const pid = await this.pid();
    process.kill(pid, 'SIGKILL');
    return pid;
  }

  /** Lets the parent reap the command (signalled first, if given); resolves with its exit status once it has ended. */
  async release(signal?: NodeJS.Signals): Promise<number | null> {
    // Once reaped, its PID may belong to another process: never signalled again.
    if (signal && !this.released) process.kill(await this.pid(), signal);
    this.released = true;
    this.command.child.stdin!.end();
    return (await this.command.exited).code;
  }
}
