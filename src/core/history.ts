/**
 * The checker of a fault test: what the producer had acknowledged against what the consumer delivered,
 * judged after the run from the recorded values (no clock, no I/O).
 */

export interface DeliveryCheck {
  acknowledged: number;
  delivered: number;
  /** Acknowledged to the producer, never delivered: the figure that must be 0. */
  lost: number[];
  /** Deliveries of a value delivered before. */
  duplicates: number;
  /** Deliveries of a value lower than one delivered before it (first deliveries only). */
  outOfOrder: number;
}

export function checkDelivery(acknowledged: Iterable<number>, delivered: readonly number[]): DeliveryCheck {
  const acked = new Set(acknowledged);
  const seen = new Set<number>();
  let duplicates = 0;
  let outOfOrder = 0;
  let highest = -Infinity;
  for (const value of delivered) {
    if (seen.has(value)) {
      duplicates += 1;
      continue;
    }
    seen.add(value);
    if (value < highest) outOfOrder += 1;
    highest = Math.max(highest, value);
  }
  const lost = [...acked].filter((value) => !seen.has(value)).sort((a, b) => a - b);
  return { acknowledged: acked.size, delivered: delivered.length, lost, duplicates, outOfOrder };
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
