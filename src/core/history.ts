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

/** Values as ranges, for a line a person can read: "3-5, 9". */
export function rangesText(values: readonly number[]): string {
  const parts: string[] = [];
  let start: number | undefined;
  let previous: number | undefined;
  for (const value of values) {
    if (previous !== undefined && value === previous + 1) {
      previous = value;
      continue;
    }
    if (start !== undefined) parts.push(start === previous ? `${start}` : `${start}-${previous}`);
    start = previous = value;
  }
  if (start !== undefined) parts.push(start === previous ? `${start}` : `${start}-${previous}`);
  return parts.join(', ');
}
