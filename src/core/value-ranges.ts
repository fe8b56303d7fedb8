/** Values as ranges of consecutive ones, as the state files keep them and the reports show them. */
/** Sorted values as inclusive ranges: a day offline at one value a second is one range, not 86,400 numbers. */
export function toRanges(values: Iterable<number>): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const value of values) {
    const last = ranges[ranges.length - 1];
    if (last && value === last[1] + 1) last[1] = value;
    else ranges.push([value, value]);
  }
  return ranges;
}

export function fromRanges(ranges: Array<[number, number]>): number[] {
  const values: number[] = [];
  for (const [from, to] of ranges) for (let value = from; value <= to; value++) values.push(value);
  return values;
}

/** Sorted values as runs of consecutive ones: [3, 4, 5, 9] is 3..5 and 9..9. */
export function valueRanges(values: readonly number[]): Array<{ from: number; to: number }> {
  const ranges: Array<{ from: number; to: number }> = [];
  for (const value of values) {
    const last = ranges.at(-1);
    if (last && value === last.to + 1) last.to = value;
    else ranges.push({ from: value, to: value });
  }
  return ranges;
}
