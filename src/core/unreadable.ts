/**
 * The messages of a stream whose value or producer could not be read where the consumer was told to
 * look: how many, and the first of each kind, kept to show a person what the payloads hold.
 */
import type { Totals, Unreadable } from './counts.js';
import type { InvalidReason, NothingVerifiedEvent } from './events.js';
import type { ValueSource } from './value-source.js';

export type UnreadableCounts = Pick<Totals, 'badPaths' | 'nonIntegers'>;

export function noUnreadable(): UnreadableCounts {
  return { badPaths: { count: 0, example: null }, nonIntegers: { count: 0, example: null } };
}

/** A new object each time, never changed in place: a summary or snapshot may share the one it was given. */
function counted(kept: Unreadable, example: NonNullable<Unreadable['example']>): Unreadable {
  return { count: kept.count + 1, example: kept.example ?? example };
}

/** Counts a rejected message if it is one of these; returns whether it was (other reasons are counted as invalid). */
export function countUnreadable(counts: UnreadableCounts, topic: string, reason: InvalidReason): boolean {
  if (reason.reason === 'bad-path') {
    counts.badPaths = counted(counts.badPaths, { topic, role: reason.role, source: reason.source, name: reason.name, found: reason.found });
    return true;
  }
  if (reason.reason === 'not-an-integer') {
    counts.nonIntegers = counted(counts.nonIntegers, { topic, role: 'value', source: reason.source, name: reason.name, found: reason.found });
    return true;
  }
  return false;
}

/** The counts of several records together, with the first example found among them. */
export function sumUnreadable(all: readonly UnreadableCounts[]): UnreadableCounts {
  const sum = noUnreadable();
  for (const counts of all) {
    sum.badPaths = { count: sum.badPaths.count + counts.badPaths.count, example: sum.badPaths.example ?? counts.badPaths.example };
    sum.nonIntegers = { count: sum.nonIntegers.count + counts.nonIntegers.count, example: sum.nonIntegers.example ?? counts.nonIntegers.example };
  }
  return sum;
}

/** What a run rejected, from the counts before and after it (a checkpoint carries earlier runs' counts). */
export function nothingVerifiedEvent(
  messages: number,
  before: Pick<Totals, 'invalid'> & UnreadableCounts,
  after: Pick<Totals, 'invalid'> & UnreadableCounts,
  source: ValueSource,
): NothingVerifiedEvent {
  const where = source.value ?? null;
  return {
    event: 'nothing-verified',
    messages,
    invalid: after.invalid - before.invalid,
    badPaths: after.badPaths.count - before.badPaths.count,
    nonIntegers: after.nonIntegers.count - before.nonIntegers.count,
    valueOption: where === null ? null : { source: where.source, name: where.name },
  };
}
