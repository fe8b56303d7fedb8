/**
 * The history of one scenario as it runs: the nemesis's faults as they happen, and the producers' and
 * consumers' operations taken from their JSON events (each line timed as it arrived), on one time line
 * that starts with the scenario.
 */
import { commandOperations, mergeHistories, type TimedEvent } from '../core/command-history.js';
import type { FaultKind, Operation } from '../core/history.js';
import type { ChildCommand } from './processes.js';

export class HistoryRecorder {
  private readonly start = Date.now();
  private readonly faults: Operation[] = [];
  private readonly commands: Array<{ command: ChildCommand; process: string; role: 'producer' | 'consumer' }> = [];

  /** nodeAt: which node of the cluster listens at a URL (null when none, or no cluster). */
  constructor(
    readonly scenario: string,
    private nodeAt: (url: string) => number | null = () => null,
  ) {}

  /** Milliseconds since the scenario started. */
  now(): number {
    return Date.now() - this.start;
  }

  /** Reads the nodes from this cluster from now on (the nemesis knows them). */
  knowNodes(nodeAt: (url: string) => number | null): void {
    this.nodeAt = nodeAt;
  }

  /** A fault of the nemesis; target: the process whose link it struck, when it struck a client's. */
  fault(type: 'invoke' | 'ok' | 'fail', kind: FaultKind, node: number | null, planned?: number, target?: string): void {
    this.faults.push({
      scenario: this.scenario,
      process: 'nemesis',
      time: this.now(),
      f: 'fault',
      type,
      kind,
      node,
      ...(target === undefined ? {} : { target }),
      ...(planned === undefined ? {} : { planned }),
    });
  }

  /** The name a watched command has in the history (consumer-1), or undefined when it is not watched. */
  processOf(command: ChildCommand): string | undefined {
    return this.commands.find((watched) => watched.command === command)?.process;
  }

  /** A producer or consumer whose events go into the history, named by its role and its turn (producer-1, consumer-2). */
  watch(command: ChildCommand, role: 'producer' | 'consumer'): ChildCommand {
    const turn = this.commands.filter((watched) => watched.role === role).length + 1;
    this.commands.push({ command, process: `${role}-${turn}`, role });
    return command;
  }

  /** Everything recorded so far, in the order of time; what a command still running has not had acknowledged is of unknown outcome now. */
  operations(): Operation[] {
    const commandHistories = this.commands.map(({ command, process, role }) => {
      const events: TimedEvent[] = command.timedEvents.map(({ at, event }) => ({ at: Math.max(0, at - this.start), event: event as unknown as TimedEvent['event'] }));
      const endedAt = (command.exitedAt ?? Date.now()) - this.start;
      return commandOperations(events, { scenario: this.scenario, process, role, nodeAt: (url) => this.nodeAt(url) }, endedAt);
    });
    return mergeHistories(this.faults, ...commandHistories);
  }
}
