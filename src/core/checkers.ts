/**
 * The checkers: pure functions of a history, each returning what it found as data. Every verdict of a
 * fault test is a combination of them; none of them looks at anything but the operations.
 */
import { valueRanges, type DeliverOperation, type FaultKind, type FaultOperation, type Operation } from './history.js';
import { topicMatches } from './topics.js';

/** Values of one stream (topic), sorted, and the same as runs of consecutive values. */
export interface StreamValues {
  stream: string;
  values: number[];
  ranges: Array<{ from: number; to: number }>;
}

export interface AcknowledgedLost {
  /** Distinct values acknowledged to a producer. */
  acknowledged: number;
  /** Deliveries, duplicates included. */
  delivered: number;
  /** How many acknowledged values some session never delivered, and which, by stream. */
  lost: number;
  streams: StreamValues[];
  /** How many streams values were published on: with more than one, a value is named with its stream. */
  published: number;
}

export interface Duplicates {
  /** Deliveries of a value the same session, or another member of its group, had delivered before. */
  count: number;
  streams: StreamValues[];
}

export interface OutOfOrder {
  /** First deliveries of a value lower than one the same session had delivered before on its stream. */
  count: number;
}

export interface Unavailability {
  /** The longest time without a delivery (any session), from the first value sent to the last delivery; null with no delivery. */
  longestMs: number | null;
  /** Where it began and ended, ms since the run's start. */
  from: number | null;
  to: number | null;
}

export interface Failover {
  kind: FaultKind;
  node: number | null;
  /** The process whose link it struck, for a fault of a client's link. */
  target?: string;
  /** When the fault began, ms since the run's start. */
  at: number;
  /** From the fault to the first delivery after it; null when none came. */
  firstDeliveryMs: number | null;
  /** ... to the first delivery through a node other than the one struck. */
  otherNodeMs: number | null;
  /** ... to the first delivery of a value first published after the fault. */
  publishedAfterMs: number | null;
}

/** The faults that interrupt a node, the cluster, a broker, a client's link or a client: each one's failover is measured. */
export const disruptiveFaults: readonly FaultKind[] = ['kill', 'pause', 'start', 'restart-all', 'isolate', 'disconnect', 'cut', 'stall', 'restart', 'stop'];

const keyOf = (stream: string, value: number): string => `${value}\t${stream}`;

function byStream(keys: Iterable<{ stream: string; value: number }>): StreamValues[] {
  const streams = new Map<string, Set<number>>();
  for (const { stream, value } of keys) {
    const values = streams.get(stream) ?? new Set<number>();
    values.add(value);
    streams.set(stream, values);
  }
  return [...streams]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([stream, set]) => {
      const values = [...set].sort((a, b) => a - b);
      return { stream, values, ranges: valueRanges(values) };
    });
}

function deliveries(history: readonly Operation[]): DeliverOperation[] {
  return history.filter((op): op is DeliverOperation => op.f === 'deliver');
}

/** The consumers' sessions: those that connected as a consumer or delivered. */
function sessions(history: readonly Operation[]): string[] {
  const found = new Set<string>();
  for (const op of history) if ((op.f === 'connect' && op.role === 'consumer') || op.f === 'deliver') found.add(op.session);
  return [...found];
}

/**
 * When each consumer session began to answer for the values published: its first subscription granted
 * (a history without subscriptions: its first connection). A value published before then is not lost
 * to that session; one published after it is, unless the session delivered it.
 */
function sessionStarts(history: readonly Operation[]): Map<string, number> {
  const subscribed = new Map<string, number>();
  const connected = new Map<string, number>();
  for (const op of history) {
    if (op.f === 'subscribe' && !subscribed.has(op.session)) subscribed.set(op.session, op.time);
    if (op.f === 'connect' && op.role === 'consumer' && op.type === 'ok' && !connected.has(op.session)) connected.set(op.session, op.time);
  }
  return new Map(sessions(history).map((session) => [session, subscribed.get(session) ?? connected.get(session) ?? -Infinity]));
}

/**
 * Who answers for a session's values: the session itself, or, for a member of a consumer group (a
 * shared subscription, $share/GROUP/FILTER), the group, whose members each get a share of the values.
 */
function receiverOf(history: readonly Operation[]): (session: string) => string {
  const groups = new Map<string, string>();
  for (const op of history) if (op.f === 'subscribe' && op.stream.startsWith('$share/') && !groups.has(op.session)) groups.set(op.session, op.stream);
  return (session) => groups.get(session) ?? session;
}

/** Which streams each receiver answers for: those its subscriptions' filters match (every stream, for one with no subscription in the history). */
function receiverFilters(history: readonly Operation[], receiver: (session: string) => string): Map<string, string[]> {
  const filters = new Map<string, string[]>();
  for (const op of history) if (op.f === 'subscribe') filters.set(receiver(op.session), [...(filters.get(receiver(op.session)) ?? []), op.stream]);
  return filters;
}

/**
 * Acknowledged to a producer and never delivered in a session that was there when it was published and
 * subscribed to its topic (by any member, for a consumer group): the figure that must be 0.
 */
export function acknowledgedLost(history: readonly Operation[]): AcknowledgedLost {
  const invoked = new Map<string, number>();
  const acknowledged = new Map<string, { stream: string; value: number }>();
  for (const op of history) {
    if (op.f !== 'publish') continue;
    const key = keyOf(op.stream, op.value);
    if (op.type === 'invoke' && !invoked.has(key)) invoked.set(key, op.time);
    if (op.type === 'ok') acknowledged.set(key, { stream: op.stream, value: op.value });
  }
  const delivered = deliveries(history);
  const receiver = receiverOf(history);
  // A group answers from its first member's start.
  const starts = new Map<string, number>();
  for (const [session, start] of sessionStarts(history)) starts.set(receiver(session), Math.min(starts.get(receiver(session)) ?? Infinity, start));
  const seen = new Map<string, Set<string>>([...starts.keys()].map((who) => [who, new Set<string>()]));
  for (const op of delivered) seen.get(receiver(op.session))!.add(keyOf(op.stream, op.value));
  const filters = receiverFilters(history, receiver);
  const answersFor = (who: string, stream: string): boolean => filters.get(who)?.some((filter) => topicMatches(filter, stream)) ?? true;
  const lost = new Map<string, { stream: string; value: number }>();
  for (const [who, keys] of seen) {
    const start = starts.get(who)!;
    for (const [key, found] of acknowledged) if (!keys.has(key) && (invoked.get(key) ?? Infinity) >= start && answersFor(who, found.stream)) lost.set(key, found);
  }
  const streams = byStream(lost.values());
  const published = new Set(history.flatMap((op) => (op.f === 'publish' ? [op.stream] : []))).size;
  return { acknowledged: acknowledged.size, delivered: delivered.length, lost: lost.size, streams, published };
}

/** Deliveries of a value the same session (or another member of its group) had delivered before. */
export function duplicates(history: readonly Operation[]): Duplicates {
  const receiver = receiverOf(history);
  const seen = new Set<string>();
  const again: Array<{ stream: string; value: number }> = [];
  for (const op of deliveries(history)) {
    const key = `${receiver(op.session)}\n${keyOf(op.stream, op.value)}`;
    if (seen.has(key)) again.push({ stream: op.stream, value: op.value });
    seen.add(key);
  }
  return { count: again.length, streams: byStream(again) };
}

export function outOfOrder(history: readonly Operation[]): OutOfOrder {
  const seen = new Set<string>();
  const highest = new Map<string, number>();
  let count = 0;
  for (const op of deliveries(history)) {
    const sequence = `${op.session}\n${op.stream}`;
    const key = `${sequence}\n${op.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const before = highest.get(sequence);
    if (before !== undefined && op.value < before) count += 1;
    highest.set(sequence, Math.max(before ?? -Infinity, op.value));
  }
  return { count };
}

export function unavailability(history: readonly Operation[]): Unavailability {
  const times = deliveries(history).map((op) => op.time);
  // Before the first value is sent nothing can be delivered: the wait for it counts from there.
  const firstSent = history.find((op) => op.f === 'publish' && op.type === 'invoke');
  if (times.length > 0 && firstSent) times.push(firstSent.time);
  times.sort((a, b) => a - b);
  let longest: Unavailability = { longestMs: null, from: null, to: null };
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!;
    if (longest.longestMs === null || gap > longest.longestMs) longest = { longestMs: gap, from: times[i - 1]!, to: times[i]! };
  }
  return longest;
}

/** For each disruptive fault (its invoke), how long until deliveries came again, measured three ways. */
export function failover(history: readonly Operation[]): Failover[] {
  const firstPublished = new Map<string, number>();
  for (const op of history) {
    if (op.f === 'publish' && op.type === 'invoke' && !firstPublished.has(keyOf(op.stream, op.value))) firstPublished.set(keyOf(op.stream, op.value), op.time);
  }
  const delivered = deliveries(history).sort((a, b) => a.time - b.time);
  const faults = history.filter((op): op is FaultOperation => op.f === 'fault' && op.type === 'invoke' && disruptiveFaults.includes(op.kind));
  return faults.map((fault) => {
    const after = delivered.filter((op) => op.time >= fault.time);
    const since = (op: DeliverOperation | undefined): number | null => (op === undefined ? null : op.time - fault.time);
    return {
      kind: fault.kind,
      node: fault.node,
      ...(fault.target === undefined ? {} : { target: fault.target }),
      at: fault.time,
      firstDeliveryMs: since(after[0]),
      otherNodeMs: since(after.find((op) => op.node !== null && op.node !== fault.node)),
      publishedAfterMs: since(after.find((op) => (firstPublished.get(keyOf(op.stream, op.value)) ?? -Infinity) >= fault.time)),
    };
  });
}

/** The published values (by stream) that were never acknowledged: sent, and then nothing or an unknown outcome. */
export function unacknowledged(history: readonly Operation[]): StreamValues[] {
  const open = new Map<string, { stream: string; value: number }>();
  const acknowledged = new Set<string>();
  for (const op of history) {
    if (op.f !== 'publish') continue;
    const key = keyOf(op.stream, op.value);
    if (op.type === 'ok') acknowledged.add(key);
    else open.set(key, { stream: op.stream, value: op.value });
  }
  return byStream([...open].filter(([key]) => !acknowledged.has(key)).map(([, found]) => found));
}

/** What every checker found, together: the figures of a run. */
export interface HistoryFigures {
  lost: AcknowledgedLost;
  duplicates: Duplicates;
  outOfOrder: OutOfOrder;
  unavailability: Unavailability;
  failovers: Failover[];
  unacknowledged: StreamValues[];
}

export function checkHistory(history: readonly Operation[]): HistoryFigures {
  return {
    lost: acknowledgedLost(history),
    duplicates: duplicates(history),
    outOfOrder: outOfOrder(history),
    unavailability: unavailability(history),
    failovers: failover(history),
    unacknowledged: unacknowledged(history),
  };
}

/** Acknowledged values against delivered ones, for a scenario that counts values rather than recording a history (the bridge). */
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
