/**
 * The arithmetic of segments: sorted, disjoint runs of values of one kind (received live, delivered
 * from the queue, missing). A run of a million values received alike is one segment.
 */
import type { Segment, SegmentKind } from './counts.js';

/** Index of the segment holding value, or -1. Segments are sorted and disjoint. */
export function findSegment(segments: Segment[], value: number): number {
  let low = 0;
  let high = segments.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const segment = segments[middle]!;
    if (value < segment.from) high = middle - 1;
    else if (value > segment.to) low = middle + 1;
    else return middle;
  }
  return -1;
}

export function appendValue(segments: Segment[], kind: SegmentKind, value: number): void {
  const last = segments[segments.length - 1];
  if (last && last.kind === kind && last.to === value - 1) last.to = value;
  else segments.push({ kind, from: value, to: value });
}

/** Replaces a missing value with a delivered one, splitting the missing segment around it. */
export function fillMissing(segments: Segment[], index: number, kind: SegmentKind, value: number): void {
  const gap = segments[index]!;
  const pieces: Segment[] = [];
  if (gap.from < value) pieces.push({ kind: 'missing', from: gap.from, to: value - 1 });
  pieces.push({ kind, from: value, to: value });
  if (value < gap.to) pieces.push({ kind: 'missing', from: value + 1, to: gap.to });
  segments.splice(index, 1, ...pieces);
  // Merge with neighbours of the same kind so the list stays as short as the story it tells.
  for (let i = Math.max(1, index); i <= Math.min(segments.length - 1, index + pieces.length); i++) {
    const before = segments[i - 1]!;
    const current = segments[i]!;
    if (before.kind === current.kind && before.to + 1 === current.from) {
      before.to = current.to;
      segments.splice(i, 1);
      i--;
    }
  }
}

/** Puts a value held by no segment into its place, joining a neighbour of the same kind that it touches. */
export function insertValue(segments: Segment[], kind: SegmentKind, value: number): void {
  let low = 0;
  let high = segments.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (segments[middle]!.from < value) low = middle + 1;
    else high = middle;
  }
  const before = segments[low - 1];
  const after = segments[low];
  const joinsBefore = before !== undefined && before.kind === kind && before.to === value - 1;
  const joinsAfter = after !== undefined && after.kind === kind && after.from === value + 1;
  if (joinsBefore && joinsAfter) {
    before.to = after.to;
    segments.splice(low, 1);
  } else if (joinsBefore) before.to = value;
  else if (joinsAfter) after.from = value;
  else segments.splice(low, 0, { kind, from: value, to: value });
}

/** A value's segment kind: null for queued when that is not known (no send time, the session resumed). */
export function kindOf(queued: boolean | null): SegmentKind {
  return queued === null ? 'live-or-queued' : queued ? 'queued' : 'live';
}

/** How many values the segments of these kinds hold. */
export function valuesIn(segments: readonly Segment[], kinds: readonly SegmentKind[]): number {
  let values = 0;
  for (const segment of segments) if (kinds.includes(segment.kind)) values += segment.to - segment.from + 1;
  return values;
}

export const receivedKinds: readonly SegmentKind[] = ['live', 'queued', 'live-or-queued'];
