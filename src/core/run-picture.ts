/**
 * What the picture of a run shows, taken from its history and the checkers' figures: time cut into a
 * bounded number of bins (so that 100,000 values draw as quickly as 100), in each the values sent,
 * acknowledged and delivered (how many, the lowest and the highest); the fault windows of the nemesis;
 * the lost values where they were sent; the longest time without delivery; the failovers. Numbers and
 * kinds only: the words and the drawing are the renderer's.
 */
import type { HistoryFigures } from './checkers.js';
import type { FailoverMeasure, FaultJudgement } from './fault-verdicts.js';
import type { Operation } from './history.js';

/** The most bins a run is cut into: a few pixels each across a page. */
export const maxBins = 240;

/** The values of one kind in one bin: how many, and the lowest and highest (null when none). */
export interface BinValues {
  count: number;
  low: number | null;
  high: number | null;
}

export type SeriesKind = 'sent' | 'acknowledged' | 'delivered';

export const seriesKinds: readonly SeriesKind[] = ['sent', 'acknowledged', 'delivered'];

export interface TimeBin {
  /** ms since the run's start: [from, to). */
  from: number;
  to: number;
  values: Record<SeriesKind, BinValues>;
}

/** A fault from its beginning to the end of its undo (kill to start, pause to resume, isolate or disconnect to heal), or to its own end when it has no undo. */
export interface FaultWindow {
  /** The fault's kind as the history names it, known here or not. */
  kind: string;
  node: number | null;
  /** What it struck when that is no node (a client's link, a broker), as the history names it; null otherwise. */
  target: string | null;
  from: number;
  to: number;
  /** The kind of the operation that undid it; null when it needs none (its own end closes it) or none came. */
  undoneBy: string | null;
  /** Still in force when the run ended: no undo came. */
  open: boolean;
  /** The nemesis could not inject it (its operation failed). */
  failed: boolean;
}

/** Lost values sent within one bin: drawn as one mark however many they are. */
export interface LostMark {
  /** When the first and the last of them were sent (ms since the run's start). */
  from: number;
  to: number;
  count: number;
  low: number;
  high: number;
}

export interface FailoverMark {
  kind: string;
  node: number | null;
  /** What it struck when that is no node, as the history names it; null otherwise. */
  target: string | null;
  at: number;
  /** When deliveries came again, by the measure; null when none came. */
  recoveredAt: number | null;
  /** What is measured: the first value after it, unless the verdict of the run measures its fault otherwise. */
  measure: FailoverMeasure;
}

export interface RunPicture {
  /** From the start to the last operation, ms. */
  durationMs: number;
  binMs: number;
  bins: TimeBin[];
  /** The lowest and highest value of the run; null when no value was sent or delivered. */
  values: { low: number; high: number } | null;
  faults: FaultWindow[];
  lost: LostMark[];
  longestWithoutDelivery: { from: number; to: number; ms: number } | null;
  failovers: FailoverMark[];
}

/** The operation that undoes a fault; a heal of no node in particular undoes every fault. */
export const undoOf: Readonly<Record<string, string>> = { kill: 'start', pause: 'resume', isolate: 'heal', disconnect: 'heal', cut: 'restore' };

const undoKinds = new Set([...Object.values(undoOf), 'heal']);

/** A bin width of 1, 2 or 5 times a power of ten ms, so that the run fits in maxBins bins. */
export function binWidth(durationMs: number, most = maxBins): number {
  const wanted = Math.max(1, durationMs / most);
  const power = 10 ** Math.floor(Math.log10(wanted));
  for (const step of [1, 2, 5, 10]) if (step * power >= wanted) return step * power;
  return 10 * power;
}

function emptyValues(): BinValues {
  return { count: 0, low: null, high: null };
}

function add(values: BinValues, value: number): void {
  values.count += 1;
  values.low = values.low === null ? value : Math.min(values.low, value);
  values.high = values.high === null ? value : Math.max(values.high, value);
}

/** The nemesis's faults as windows: each invoke opens one, closed by the end of its undo or, without an undo, by its own end. */
export function faultWindows(history: readonly Operation[], durationMs: number): FaultWindow[] {
  const windows: FaultWindow[] = [];
  /** Windows waiting for the end of the undo that began (by the undo's kind and node). */
  const undoing: Array<{ window: FaultWindow; kind: string; node: number | null; began: number }> = [];
  for (const op of history) {
    if (op.f !== 'fault') continue;
    const kind: string = op.kind;
    if (op.type === 'invoke') {
      const closed = windows.filter((w) => w.open && !undoing.some((u) => u.window === w) && ((kind === 'heal' && op.node === null) || (undoOf[w.kind] === kind && (op.node === null || w.node === op.node))));
      for (const window of closed) undoing.push({ window, kind, node: op.node, began: op.time });
      // An undo with nothing to undo (the heal that starts a scenario) draws nothing.
      if (closed.length === 0 && !undoKinds.has(kind)) windows.push({ kind, node: op.node, target: op.target ?? null, from: op.time, to: durationMs, undoneBy: null, open: true, failed: false });
      continue;
    }
    for (let i = undoing.length - 1; i >= 0; i--) {
      const { window, kind: undoKind, node } = undoing[i]!;
      if (undoKind !== kind || node !== op.node) continue;
      Object.assign(window, { to: op.time, open: false, undoneBy: kind });
      undoing.splice(i, 1);
    }
    const own = windows.find((w) => w.open && w.kind === kind && w.node === op.node && !undoing.some((u) => u.window === w));
    if (!own) continue;
    if (op.type === 'fail') Object.assign(own, { to: op.time, open: false, failed: true });
    else if (undoOf[kind] === undefined) Object.assign(own, { to: op.time, open: false });
  }
  // An undo begun and never finished (the run ended first) ends the fault where it began.
  for (const { window, kind, began } of undoing) Object.assign(window, { to: began, open: false, undoneBy: kind });
  return windows;
}

/** The picture of one run: its operations, what the checkers found in them, and the verdict's failover when the run was judged. */
export function runPicture(history: readonly Operation[], figures: HistoryFigures, judged?: FaultJudgement['failover']): RunPicture {
  const durationMs = history.reduce((end, op) => Math.max(end, op.time), 0);
  const binMs = binWidth(durationMs);
  const count = Math.max(1, Math.ceil((durationMs + 1) / binMs));
  const bins: TimeBin[] = Array.from({ length: count }, (_, i) => ({
    from: i * binMs,
    to: (i + 1) * binMs,
    values: { sent: emptyValues(), acknowledged: emptyValues(), delivered: emptyValues() },
  }));
  const binAt = (time: number): TimeBin => bins[Math.min(count - 1, Math.floor(time / binMs))]!;
  let low = Infinity;
  let high = -Infinity;
  // When each lost value was first sent: only those are looked up.
  const firstSent = new Map<string, number | undefined>(figures.lost.streams.flatMap((stream) => stream.values.map((value) => [`${value}\t${stream.stream}`, undefined] as const)));
  for (const op of history) {
    if (op.f !== 'publish' && op.f !== 'deliver') continue;
    low = Math.min(low, op.value);
    high = Math.max(high, op.value);
    if (op.f === 'deliver') add(binAt(op.time).values.delivered, op.value);
    else if (op.type === 'ok') add(binAt(op.time).values.acknowledged, op.value);
    else if (op.type === 'invoke') {
      add(binAt(op.time).values.sent, op.value);
      if (firstSent.size === 0) continue;
      const key = `${op.value}\t${op.stream}`;
      if (firstSent.has(key) && firstSent.get(key) === undefined) firstSent.set(key, op.time);
    }
  }
  const lostByBin = new Map<number, LostMark>();
  for (const stream of figures.lost.streams) {
    for (const value of stream.values) {
      const at = firstSent.get(`${value}\t${stream.stream}`) ?? 0;
      const index = Math.min(count - 1, Math.floor(at / binMs));
      const mark = lostByBin.get(index);
      if (!mark) lostByBin.set(index, { from: at, to: at, count: 1, low: value, high: value });
      else Object.assign(mark, { from: Math.min(mark.from, at), to: Math.max(mark.to, at), count: mark.count + 1, low: Math.min(mark.low, value), high: Math.max(mark.high, value) });
    }
  }
  const { longestMs, from, to } = figures.unavailability;
  return {
    durationMs,
    binMs,
    bins,
    values: low <= high ? { low, high } : null,
    faults: faultWindows(history, durationMs),
    lost: [...lostByBin].sort(([a], [b]) => a - b).map(([, mark]) => mark),
    longestWithoutDelivery: longestMs === null || from === null || to === null ? null : { from, to, ms: longestMs },
    failovers: figures.failovers.map((failover, i) => {
      // The verdict measures the first fault of its kind its own way (through another node, ...).
      const first = figures.failovers.findIndex((other) => other.kind === judged?.kind);
      const measure: FailoverMeasure = i === first ? judged!.measure : 'first-delivery';
      const ms = { 'first-delivery': failover.firstDeliveryMs, 'other-node': failover.otherNodeMs, 'published-after': failover.publishedAfterMs }[measure];
      return { kind: failover.kind, node: failover.node, target: failover.target ?? null, at: failover.at, recoveredAt: ms === null ? null : failover.at + ms, measure };
    }),
  };
}

export interface RateSpan {
  from: number;
  to: number;
  perSecond: Record<SeriesKind, number>;
}

/** Values a second of each kind, over spans of whole bins, at most `most` of them: a rate read over a few values, not one bin's 0 or 1. */
export function rateSpans(picture: RunPicture, most = 60): RateSpan[] {
  const per = Math.max(1, Math.ceil(picture.bins.length / most));
  const spans: RateSpan[] = [];
  for (let i = 0; i < picture.bins.length; i += per) {
    const group = picture.bins.slice(i, i + per);
    const from = group[0]!.from;
    // The last span ends with the run, so its rate is not diluted by time after it.
    const to = Math.max(from + 1, Math.min(group.at(-1)!.to, Math.max(picture.durationMs, from + picture.binMs)));
    const seconds = (to - from) / 1000;
    const perSecond = { sent: 0, acknowledged: 0, delivered: 0 };
    for (const kind of seriesKinds) perSecond[kind] = group.reduce((sum, bin) => sum + bin.values[kind].count, 0) / seconds;
    spans.push({ from, to, perSecond });
  }
  return spans;
}
