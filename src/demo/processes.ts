/**
 * The project's commands as child processes, for the demo and the tests: their output lines, their
 * JSON events, their exit status, and real signals. Run as TypeScript through tsx from src/, or as
 * the built bundles from dist/bin/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { commandArgs } from '../cli/package.js';

export type JsonEvent = Record<string, unknown> & { event: string };

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ChildCommand {
  private static readonly running = new Set<ChildCommand>();
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  /** When it ended (Date.now()), once it has. */
  exitedAt: number | undefined;
  /** When each complete line of stdout arrived (Date.now()), in order. */
  private readonly lineTimes: number[] = [];
  private waiters: Array<() => void> = [];

  /** launcher: a command that starts this one (the words before it), given a pipe as its standard input. */
  constructor(name: 'producer' | 'consumer' | 'report' | 'demo', args: string[], env: Record<string, string | undefined> = {}, launcher: string[] = []) {
    const command = [...launcher, process.execPath, ...commandArgs(name), ...args];
    this.child = spawn(command[0]!, command.slice(1), {
      env: { ...process.env, NO_COLOR: '1', MQTT_URL: undefined, MQTT_USERNAME: undefined, MQTT_PASSWORD: undefined, ...env },
      stdio: [launcher.length > 0 ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => {
      const text = d.toString();
      this.stdout += text;
      const now = Date.now();
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.lineTimes.push(now);
      this.notify();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      this.notify();
    });
    ChildCommand.running.add(this);
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        this.exitedAt ??= Date.now();
        ChildCommand.running.delete(this);
        resolve({ code, signal });
        this.notify();
      };
      // 'close' comes once its output has all arrived; a process it left behind holding the pipes
      // open would delay that for ever, so the exit is taken alone after a while.
      this.child.once('close', done);
      this.child.once('exit', (code, signal) => setTimeout(() => done(code, signal), 5000).unref());
    });
  }

  /** Kills whatever a failed test left running, so the test run can end. */
  static async killAll(): Promise<void> {
    await Promise.all([...ChildCommand.running].map((process) => process.kill()));
  }

  static consumer(args: string[], env?: Record<string, string | undefined>): ChildCommand {
    return new ChildCommand('consumer', args, env);
  }

  static producer(args: string[], env?: Record<string, string | undefined>): ChildCommand {
    return new ChildCommand('producer', args, env);
  }

  static report(args: string[], env?: Record<string, string | undefined>): ChildCommand {
    return new ChildCommand('report', args, env);
  }

  static demo(args: string[], env?: Record<string, string | undefined>): ChildCommand {
    return new ChildCommand('demo', args, env);
  }

  get lines(): string[] {
    return this.stdout.split('\n').filter((line) => line.length > 0);
  }

  /** Output lines parsed as JSON (with --json); other lines are skipped. */
  get events(): JsonEvent[] {
    const events: JsonEvent[] = [];
    for (const line of this.lines) {
      if (!line.startsWith('{')) continue;
      try {
        events.push(JSON.parse(line) as JsonEvent);
      } catch {
        // a line cut by a kill
      }
    }
    return events;
  }

  /** The JSON events with when each line arrived (Date.now()); a line cut by a kill is skipped. */
  get timedEvents(): Array<{ at: number; event: JsonEvent }> {
    const timed: Array<{ at: number; event: JsonEvent }> = [];
    const lines = this.stdout.split('\n');
    for (const [index, line] of lines.entries()) {
      const at = this.lineTimes[index];
      if (at === undefined || !line.startsWith('{')) continue;
      try {
        timed.push({ at, event: JSON.parse(line) as JsonEvent });
      } catch {
        // a line cut by a kill
      }
    }
    return timed;
  }

  eventsOf(name: string): JsonEvent[] {
    return this.events.filter((event) => event.event === name);
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Waits until check() is true, the process exits, or the time runs out (then throws, with the output). */
  async waitUntil(what: string, check: () => boolean, timeoutMs = 15000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let done = false;
    void this.exited.then(() => (done = true));
    while (!check()) {
      if (done) throw new Error(`process exited before ${what}\nstdout:\n${this.stdout.slice(-3000)}\nstderr:\n${this.stderr.slice(-2000)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}\nstdout:\n${this.stdout.slice(-3000)}\nstderr:\n${this.stderr.slice(-2000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for a JSON event matching the predicate and returns it. */
  async waitForEvent(name: string, predicate: (event: JsonEvent) => boolean = () => true, timeoutMs = 15000): Promise<JsonEvent> {
    let found: JsonEvent | undefined;
    await this.waitUntil(`a '${name}' event`, () => {
      found = this.eventsOf(name).find(predicate);
      return found !== undefined;
    }, timeoutMs);
    return found!;
  }

  /** Waits for the process to end by itself; throws, with the output, when it is still running after timeoutMs. */
  async exitWithin(timeoutMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms\nstdout:\n${this.stdout.slice(-3000)}\nstderr:\n${this.stderr.slice(-2000)}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Stops it with Ctrl+C (SIGINT) and waits for the exit. */
  async interrupt(): Promise<Exit> {
    this.signal('SIGINT');
    return this.exited;
  }

  async kill(): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.signal('SIGKILL');
    return this.exited;
  }
}

/** The values a consumer received, in order, from its JSON events. */
export function messageValues(events: JsonEvent[]): number[] {
  return events.filter((e) => e.event === 'message').map((e) => e.value as number);
}

/** The values a producer sent, from its JSON events or, without --json, its "Sent: N" lines. */
export function sentValues(producer: ChildCommand): number[] {
  const events = producer.eventsOf('sent');
  if (events.length > 0) return events.map((e) => e.value as number);
  return producer.lines.filter((line) => line.startsWith('Sent: ')).map((line) => Number.parseInt(line.slice(6), 10));
}
