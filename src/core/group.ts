/**
 * The group report: the records of a consumer group's members merged after the fact. Each member
 * received a share of every producer's values; together they should hold each value exactly once.
 * Pure: records and the time of the report in, a report out.
 */
import type { Segment, SequenceCounts, TopicSummary } from './counts.js';
import { receivedKinds, valuesIn } from './segments.js';
import { noUnreadable, sumUnreadable, type UnreadableCounts } from './unreadable.js';

/** How a member left the broker, as its record says. */
export interface MemberDeparture {
  /** The broker keeps its session: values handed to it wait there until it returns. */
  persistentSession: boolean;
  /** Seconds the broker keeps the session after it left; null when the member asked none (MQTT 3.1.1). */
  sessionExpiry: number | null;
  /** When it left (ms since the epoch), or its last record before, which can only make its expiry come sooner. */
  at: number;
}

/** What one member recorded: its summary rows (from its checkpoint or its JSON output). */
export interface MemberRecord {
  /** Its client id, or the file it came from. */
  member: string;
  group: string | null;
  topics: TopicSummary[];
  /** Null for a record that does not say (written by an older version): nothing then waits for it. */
  departure: MemberDeparture | null;
  /** Messages whose value or producer was not where its options pointed (absent from older records: none). */
  unreadable?: UnreadableCounts;
}

/** Values no member has yet, which may wait in the session of these absent members. */
export interface WaitingRange {
  from: number;
  to: number;
  members: string[];
}

/**
 * A member's part of one producer's values: received counts each value once, queued those of them
 * that waited in its session while it was away, duplicates its redeliveries of a value it had.
 */
export interface MemberShare extends Pick<SequenceCounts, 'received' | 'queued' | 'duplicates' | 'longestQueuedWaitMs'> {
  member: string;
}

/** What the members' records came to, for one producer or for the whole group. */
export interface GroupCounts {
  /** Values from first to highest. */
  values: number;
  deliveredOnce: number;
  /** Values that reached two members or more. */
  deliveredTwice: number;
  /** Values no member received, and that cannot be waiting in an absent member's session. */
  missing: number;
  /** Values no member received yet, sent after an absent member with a live session had its last value. */
  waiting: number;
  /** Redeliveries of a value to a member that had it. */
  duplicates: number;
  /** Values that waited in the session of a member that was away. */
  waited: number;
  longestWaitMs: number | null;
}

export interface ProducerReport extends GroupCounts {
  topic: string;
  producerId: string | null;
  runId: string | null;
  first: number;
  highest: number;
  twiceRanges: Array<{ from: number; to: number }>;
  missingRanges: Array<{ from: number; to: number }>;
  waitingRanges: WaitingRange[];
  members: MemberShare[];
  /** Publishers without an id shared the topic: no value there can be judged. */
  shared: boolean;
}

export interface GroupReport extends GroupCounts, UnreadableCounts {
  event: 'group-report';
  group: string | null;
  members: string[];
  /** Members that left with a persistent session which, by its expiry, the broker has ended by now. */
  expiredSessions: string[];
  producers: ProducerReport[];
}

interface Edge {
  at: number;
  delta: number;
}

/**
 * Walks the value line once across every member's ranges, calling back for each stretch of values
 * held by the same number of ranges (0 = none). Ranges of one member never overlap, so that number is
 * the number of members.
 */
function sweep(ranges: Array<{ from: number; to: number }>, first: number, highest: number, visit: (from: number, to: number, depth: number) => void): void {
  const edges: Edge[] = [];
  for (const r of ranges) edges.push({ at: r.from, delta: 1 }, { at: r.to + 1, delta: -1 });
  edges.sort((a, b) => a.at - b.at);
  let depth = 0;
  let position = first;
  for (const edge of edges) {
    if (edge.at > position) {
      if (position <= highest) visit(position, Math.min(edge.at - 1, highest), depth);
      position = edge.at;
    }
    depth += edge.delta;
  }
  if (position <= highest) visit(position, highest, depth);
}

function received(segments: Segment[]): Segment[] {
  return segments.filter((s) => s.kind !== 'missing');
}

function maxOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

/** The broker still keeps the member's session at `now`, as far as its expiry says (MQTT 3.1.1: the broker decides, taken as kept). */
export function sessionKept(departure: MemberDeparture | null, now: number): departure is MemberDeparture {
  if (departure === null || !departure.persistentSession) return false;
  return departure.sessionExpiry === null || departure.at + departure.sessionExpiry * 1000 > now;
}

/**
 * Splits a stretch no member received: a value may wait in a member's session only if the member has a
 * live session and the value comes after the last value of this producer it received (what came before
 * was handed to it in order, so it has it, or it is gone). The rest is missing.
 */
function splitUnreceived(from: number, to: number, absent: Array<{ member: string; last: number }>, report: ProducerReport): void {
  let position = from;
  const missingTo = Math.min(to, absent.length > 0 ? absent[0]!.last : to);
  if (missingTo >= position) {
    report.missing += missingTo - position + 1;
    report.missingRanges.push({ from: position, to: missingTo });
    position = missingTo + 1;
  }
  for (let i = 0; i < absent.length && position <= to; i++) {
    const end = Math.min(to, i + 1 < absent.length ? absent[i + 1]!.last : to);
    if (end < position) continue;
    const members = absent.slice(0, i + 1).map((a) => a.member);
    report.waiting += end - position + 1;
    report.waitingRanges.push({ from: position, to: end, members });
    position = end + 1;
  }
}

export function mergeGroup(records: MemberRecord[], now: number): GroupReport {
  const away = new Set(records.filter((record) => sessionKept(record.departure, now)).map((record) => record.member));
  const byProducer = new Map<string, Array<{ member: string; row: TopicSummary }>>();
  for (const record of records) {
    for (const row of record.topics) {
      const key = JSON.stringify([row.topic, row.producerId, row.runId]);
      byProducer.set(key, [...(byProducer.get(key) ?? []), { member: record.member, row }]);
    }
  }
  const producers: ProducerReport[] = [];
  for (const rows of byProducer.values()) {
    const { topic, producerId, runId } = rows[0]!.row;
    const shared = rows.some(({ row }) => row.shared);
    const first = Math.min(...rows.map(({ row }) => row.first));
    const highest = Math.max(...rows.map(({ row }) => row.highest));
    const report: ProducerReport = {
      topic,
      producerId,
      runId,
      first,
      highest,
      values: highest - first + 1,
      deliveredOnce: 0,
      deliveredTwice: 0,
      twiceRanges: [],
      missing: 0,
      missingRanges: [],
      waiting: 0,
      waitingRanges: [],
      duplicates: 0,
      waited: 0,
      longestWaitMs: null,
      members: [],
      shared,
    };
    for (const { member, row } of rows) {
      report.members.push({
        member,
        received: shared ? row.received : valuesIn(row.segments, receivedKinds),
        queued: shared ? row.queued : valuesIn(row.segments, ['queued']),
        duplicates: row.duplicates,
        longestQueuedWaitMs: row.longestQueuedWaitMs,
      });
      report.duplicates += row.duplicates;
      report.longestWaitMs = maxOf(report.longestWaitMs, row.longestQueuedWaitMs);
    }
    if (!shared) {
      const absent = rows.filter(({ member }) => away.has(member)).map(({ member, row }) => ({ member, last: row.highest }));
      absent.sort((a, b) => a.last - b.last);
      sweep(rows.flatMap(({ row }) => received(row.segments)), first, highest, (from, to, depth) => {
        const size = to - from + 1;
        if (depth === 0) splitUnreceived(from, to, absent, report);
        else if (depth === 1) report.deliveredOnce += size;
        else {
          report.deliveredTwice += size;
          report.twiceRanges.push({ from, to });
        }
      });
      const queued = rows.flatMap(({ row }) => row.segments.filter((s) => s.kind === 'queued'));
      sweep(queued, first, highest, (from, to, depth) => {
        if (depth > 0) report.waited += to - from + 1;
      });
    } else {
      report.values = 0;
      report.waited = report.members.reduce((total, m) => total + m.queued, 0);
    }
    producers.push(report);
  }
  const sum = (pick: (p: ProducerReport) => number): number => producers.reduce((total, p) => total + pick(p), 0);
  const groups = [...new Set(records.map((r) => r.group))];
  return {
    event: 'group-report',
    group: groups.length === 1 ? groups[0]! : null,
    members: records.map((r) => r.member),
    values: sum((p) => p.values),
    deliveredOnce: sum((p) => p.deliveredOnce),
    deliveredTwice: sum((p) => p.deliveredTwice),
    missing: sum((p) => p.missing),
    waiting: sum((p) => p.waiting),
    duplicates: sum((p) => p.duplicates),
    waited: sum((p) => p.waited),
    longestWaitMs: producers.reduce<number | null>((longest, p) => maxOf(longest, p.longestWaitMs), null),
    ...sumUnreadable(records.map((r) => r.unreadable ?? noUnreadable())),
    expiredSessions: records.filter((r) => r.departure?.persistentSession && !away.has(r.member)).map((r) => r.member),
    producers,
  };
}
