/**
 * The schedule of a random fault run, decided up front from a seed alone: which fault, on which node,
 * when, for how long. Nothing here looks at the clock, so the same seed gives the same schedule on any
 * machine, however fast; the runner only waits for each planned time.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

export interface ScheduledFault<K extends string = string> {
  /** When it begins, ms since the run's start. */
  at: number;
  kind: K;
  /** The node it strikes (1-based). */
  node: number;
  /** How long until it is undone (the node started again, resumed, healed). */
  durationMs: number;
}

export interface ScheduleShape<K extends string> {
  /** The run's length: every fault is undone before its end, less the quiet time. */
  timeLimitMs: number;
  nodes: number;
  /** The faults to draw from, the nemesis's repertoire. */
  kinds: readonly K[];
  /** Nothing at the start (the clients connect) and at the end (the backlog drains). */
  quietMs?: number;
  /** Bounds of the time between two faults, and of a fault's length. */
  gapMs?: { min: number; max: number };
  lengthMs?: { min: number; max: number };
}

/** The largest seed: a seed is a whole number from 0 to this. */
export const maxSeed = 2 ** 31 - 1;

/** The faults of a run, in order, never overlapping, each undone before the quiet end. */
export function faultSchedule<K extends string>(seed: number, shape: ScheduleShape<K>): Array<ScheduledFault<K>> {
  const { timeLimitMs, nodes, kinds, quietMs = 5000, gapMs = { min: 2000, max: 8000 }, lengthMs = { min: 2000, max: 8000 } } = shape;
  const rng = xoroshiro128plus(seed);
  const faults: Array<ScheduledFault<K>> = [];
  if (kinds.length === 0 || nodes < 1) return faults;
  let time = quietMs;
  for (;;) {
    const at = time + uniformInt(rng, gapMs.min, gapMs.max);
    const durationMs = uniformInt(rng, lengthMs.min, lengthMs.max);
    const kind = kinds[uniformInt(rng, 0, kinds.length - 1)]!;
    const node = uniformInt(rng, 1, nodes);
    if (at + durationMs > timeLimitMs - quietMs) return faults;
    faults.push({ at, kind, node, durationMs });
    time = at + durationMs;
  }
}
