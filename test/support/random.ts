/** Random numbers that a failed run can replay: the seed is given, or drawn and shown, and the variable replays it. */
import { randomInt } from 'node:crypto';

/** xorshift32: enough for kill times, and the same sequence for the same seed. */
export function seededRandom(variable: string, env = process.env): { seed: number; next: () => number } {
  const given = env[variable];
  const seed = given !== undefined && /^\d+$/.test(given) ? Number(given) : randomInt(1, 2 ** 31);
  let state = seed >>> 0 || 1;
  return {
    seed,
    next: () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      return state / 2 ** 32;
    },
  };
}

/** Whole numbers below a bound, the same for the same seed (mulberry32), so that a failing case can be run again. */
export function seeded(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
  };
}
