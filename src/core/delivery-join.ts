/**
 * The producer's record joined with the consumers': per producer, the values the broker acknowledged and
 * no consumer received (lost, or still waiting in the session of a consumer that is away), those
 * received and never acknowledged, and those received twice. It sees the tail that no later value
 * reveals: what was acknowledged after the last value a consumer had. Pure: records and a time in.
 */
import type { TopicSummary } from './counts.js';
import { sessionKept, type MemberRecord, type WaitingRange } from './group.js';

export interface ValueRange {
  from: number;
  to: number;
}

/** What one producer's record says: who it is, and which values the broker acknowledged. */
export interface ProducerRecord {
  /** The file it came from. */
  source: string;
  topic: string;
  producerId: string;
  runId: string;
  /** Sorted, disjoint; null at QoS 0, where nothing is acknowledged. */
  acknowledged: ValueRange[] | null;
}

export interface JoinedProducer {
  topic: string;
  producerId: string;
  runId: string;
  /** Null at QoS 0. */
  acknowledged: number | null;
  /** Values received by at least one consumer. */
  delivered: number;
  /** Acknowledged, received by no consumer, and waiting in no kept session: the headline figure. */
  lost: number;
  lostRanges: ValueRange[];
  /** Acknowledged, received by none yet, after the last value of a consumer away with its session kept. */
  waiting: number;
  waitingRanges: WaitingRange[];
  /** Received, never acknowledged to the producer (it stopped before the acknowledgement, or QoS 0): information. */
  unacknowledged: number;
  unacknowledgedRanges: ValueRange[];
  /** Redeliveries of a value to the consumer that had it. */
  duplicates: number;
  /** Values received by two consumers or more. */
  deliveredTwice: number;
  twiceRanges: ValueRange[];
  /** The consumers whose records hold this producer's run. */
  consumers: string[];
}

export interface JoinedReport {
  event: 'joined-report';
  consumers: string[];
  producers: JoinedProducer[];
  lost: number;
  waiting: number;
}

/** The producer's run is in no consumer record, though other runs of it are: they cannot be joined. */
export interface RunMismatch {
  producer: ProducerRecord;
  runsSeen: string[];
}

const size = (ranges: readonly ValueRange[]): number => ranges.reduce((total, r) => total + r.to - r.from + 1, 0);

/** Adds one value to sorted, disjoint ranges, joining its neighbours (values come mostly in order). */
export function addValue(ranges: ValueRange[], value: number): void {
  let index = ranges.length;
  while (index > 0 && ranges[index - 1]!.from > value) index--;
  const before = ranges[index - 1];
  if (before && value <= before.to) return;
  const after = ranges[index];
  const joinsBefore = before !== undefined && before.to === value - 1;
  const joinsAfter = after !== undefined && after.from === value + 1;
  if (joinsBefore && joinsAfter) {
    before.to = after.to;
    ranges.splice(index, 1);
  } else if (joinsBefore) before.to = value;
  else if (joinsAfter) after.from = value;
  else ranges.splice(index, 0, { from: value, to: value });
}

/** Counts, over any ranges, how many of them hold each stretch of values (0 omitted), in order. */
function depths(ranges: readonly ValueRange[]): Array<ValueRange & { depth: number }> {
  const edges = ranges.flatMap((r) => [
    { at: r.from, delta: 1 },
    { at: r.to + 1, delta: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at);
  const out: Array<ValueRange & { depth: number }> = [];
  let depth = 0;
  for (let i = 0; i < edges.length; i++) {
    depth += edges[i]!.delta;
    const next = edges[i + 1];
    if (depth > 0 && next && next.at > edges[i]!.at) out.push({ from: edges[i]!.at, to: next.at - 1, depth });
  }
  return out;
}

/** The union of any ranges, sorted and disjoint. */
export function unionOf(ranges: readonly ValueRange[]): ValueRange[] {
  const out: ValueRange[] = [];
  for (const r of depths(ranges)) {
    const last = out.at(-1);
    if (last && last.to + 1 === r.from) last.to = r.to;
    else out.push({ from: r.from, to: r.to });
  }
  return out;
}

/** The values of a not in b (both sorted and disjoint). */
export function subtract(a: readonly ValueRange[], b: readonly ValueRange[]): ValueRange[] {
  const out: ValueRange[] = [];
  let j = 0;
  for (const range of a) {
    let from = range.from;
    while (j < b.length && b[j]!.to < from) j++;
    for (let k = j; k < b.length && b[k]!.from <= range.to; k++) {
      if (b[k]!.from > from) out.push({ from, to: b[k]!.from - 1 });
      from = Math.max(from, b[k]!.to + 1);
    }
    if (from <= range.to) out.push({ from, to: range.to });
  }
  return out;
}

/**
 * Splits what no consumer received: a value may still wait in the session of a consumer away with its
 * session kept only if it comes after the last value of this producer that consumer received (what came
 * before was handed to it in order). The rest is lost.
 */
function splitUndelivered(undelivered: ValueRange[], absent: Array<{ member: string; last: number }>): { lost: ValueRange[]; waiting: WaitingRange[] } {
  const lost: ValueRange[] = [];
  const waiting: WaitingRange[] = [];
  const sorted = [...absent].sort((a, b) => a.last - b.last);
  for (const range of undelivered) {
    let from = range.from;
    const lostTo = Math.min(range.to, sorted.length > 0 ? sorted[0]!.last : range.to);
    if (lostTo >= from) {
      lost.push({ from, to: lostTo });
      from = lostTo + 1;
    }
    for (let i = 0; i < sorted.length && from <= range.to; i++) {
      const to = Math.min(range.to, i + 1 < sorted.length ? sorted[i + 1]!.last : range.to);
      if (to < from) continue;
      waiting.push({ from, to, members: sorted.slice(0, i + 1).map((a) => a.member) });
      from = to + 1;
    }
  }
  return { lost, waiting };
}

const receivedRanges = (row: TopicSummary): ValueRange[] => row.segments.filter((s) => s.kind !== 'missing').map(({ from, to }) => ({ from, to }));

/** The consumer rows of this producer's run (a row without a run id is taken as the run's). */
function rowsOf(producer: ProducerRecord, consumers: readonly MemberRecord[]): Array<{ member: string; row: TopicSummary }> {
  return consumers.flatMap((record) =>
    record.topics
      .filter((row) => row.topic === producer.topic && row.producerId === producer.producerId && !row.shared && (row.runId === null || row.runId === producer.runId))
      .map((row) => ({ member: record.member, row })),
  );
}

/** Producers whose run no consumer holds, while another run of theirs is there: joining them would call every value lost. */
export function runMismatches(producers: readonly ProducerRecord[], consumers: readonly MemberRecord[]): RunMismatch[] {
  return producers.flatMap((producer) => {
    if (rowsOf(producer, consumers).length > 0) return [];
    const runsSeen = consumers.flatMap((record) => record.topics.filter((row) => row.topic === producer.topic && row.producerId === producer.producerId).map((row) => row.runId ?? ''));
    return runsSeen.length > 0 ? [{ producer, runsSeen }] : [];
  });
}

export function joinRecords(producers: readonly ProducerRecord[], consumers: readonly MemberRecord[], now: number): JoinedReport {
  const joined = producers.map((producer): JoinedProducer => {
    const rows = rowsOf(producer, consumers);
    const perConsumer = rows.map(({ row }) => receivedRanges(row));
    const twice = depths(perConsumer.flat()).filter((r) => r.depth > 1).map(({ from, to }) => ({ from, to }));
    const delivered = unionOf(perConsumer.flat());
    const acknowledged = producer.acknowledged;
    const undelivered = acknowledged === null ? [] : subtract(acknowledged, delivered);
    const absent = rows.filter(({ member }) => sessionKept(consumers.find((c) => c.member === member)!.departure, now)).map(({ member, row }) => ({ member, last: row.highest }));
    const { lost, waiting } = splitUndelivered(undelivered, absent);
    const unacknowledged = acknowledged === null ? delivered : subtract(delivered, acknowledged);
    return {
      topic: producer.topic,
      producerId: producer.producerId,
      runId: producer.runId,
      acknowledged: acknowledged === null ? null : size(acknowledged),
      delivered: size(delivered),
      lost: size(lost),
      lostRanges: lost,
      waiting: size(waiting),
      waitingRanges: waiting,
      unacknowledged: size(unacknowledged),
      unacknowledgedRanges: unacknowledged,
      duplicates: rows.reduce((total, { row }) => total + row.duplicates, 0),
      deliveredTwice: size(twice),
      twiceRanges: unionOf(twice),
      consumers: [...new Set(rows.map(({ member }) => member))],
    };
  });
  return {
    event: 'joined-report',
    consumers: consumers.map((c) => c.member),
    producers: joined,
    lost: joined.reduce((total, p) => total + p.lost, 0),
    waiting: joined.reduce((total, p) => total + p.waiting, 0),
  };
}
