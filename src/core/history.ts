/**
 * The history of a fault test, as Jepsen keeps it: every operation of every process (the producers,
 * the consumers, and the nemesis that injects the faults) on one time line, written once as a schema.
 * The types come from it, and a history read back from a file is checked against it line by line.
 */
import { z } from 'zod';

export { valueRanges } from './value-ranges.js';

/**
 * Every fault the nemesis can inject or undo; a fault operation names one. Those of a cluster's nodes
 * first; then those of one client's link through a relay (cut: closed and refused; stall: half-open,
 * the sockets open and nothing through; restore: carrying again), a broker of one node stopped
 * cleanly and started again with its data (restart), and a client stopped as Ctrl+C does (stop: it
 * closes cleanly, its session kept).
 */
export const faultKinds = ['kill', 'start', 'pause', 'resume', 'restart-all', 'isolate', 'disconnect', 'heal', 'cut', 'stall', 'restore', 'restart', 'stop'] as const;

export type FaultKind = (typeof faultKinds)[number];

const time = z.number().nonnegative();
const value = z.int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
/** A node of the cluster (1-based); null when the address is not one of its nodes. */
const node = z.int().positive().nullable();

const common = {
  /** The scenario (or random run) the operation belongs to: one file holds a whole demo run. */
  scenario: z.string().min(1),
  /** Who did it: producer-1, consumer-2, nemesis. */
  process: z.string().min(1),
  /** Milliseconds since the run's start. */
  time,
};

/** A value published: invoke when sent, ok when acknowledged, info when the outcome is unknown (the process ended first). */
const publishSchema = z.strictObject({
  ...common,
  f: z.literal('publish'),
  type: z.enum(['invoke', 'ok', 'info']),
  /** The sequence the value belongs to: its topic. */
  stream: z.string(),
  value,
});

/** A value delivered to a consumer, through a node, in a session (the client id). */
const deliverSchema = z.strictObject({
  ...common,
  f: z.literal('deliver'),
  type: z.literal('ok'),
  stream: z.string(),
  value,
  session: z.string(),
  node,
});

/** A connection made (ok, with whether the broker had the session) or lost (info). */
const connectSchema = z.strictObject({
  ...common,
  f: z.literal('connect'),
  type: z.enum(['ok', 'info']),
  /** A consumer's session must deliver every value acknowledged to a producer; a producer's need not. */
  role: z.enum(['producer', 'consumer']),
  session: z.string(),
  node,
  sessionPresent: z.boolean().nullable(),
});

/**
 * A consumer's subscription granted (its SUBACK read): from then on its session must deliver every value
 * published, so what was published before it is not that session's to deliver.
 */
const subscribeSchema = z.strictObject({
  ...common,
  f: z.literal('subscribe'),
  type: z.literal('ok'),
  /** The topic filter. */
  stream: z.string(),
  session: z.string(),
  node,
});

/** A fault of the nemesis: invoke when it begins, ok once done, fail when it could not be done. */
const faultSchema = z.strictObject({
  ...common,
  f: z.literal('fault'),
  type: z.enum(['invoke', 'ok', 'fail']),
  kind: z.enum(faultKinds),
  /** The node it struck; null for a fault of the whole cluster, or of no node. */
  node,
  /** What it struck when that is no node: the client (consumer-1) whose link it cut or stalled or which it stopped, the broker it restarted. */
  target: z.string().min(1).optional(),
  /** When the schedule wanted it (a random run), ms since the run's start. */
  planned: time.optional(),
});

export const operationSchema = z.discriminatedUnion('f', [publishSchema, deliverSchema, connectSchema, subscribeSchema, faultSchema]);

export type Operation = z.infer<typeof operationSchema>;
export type PublishOperation = z.infer<typeof publishSchema>;
export type DeliverOperation = z.infer<typeof deliverSchema>;
export type ConnectOperation = z.infer<typeof connectSchema>;
export type SubscribeOperation = z.infer<typeof subscribeSchema>;
export type FaultOperation = z.infer<typeof faultSchema>;

/** The first line that is not an operation, and why. */
export interface HistoryLineError {
  line: number;
  reason: string;
}

/** A history's JSON lines read back (blank lines skipped); the first bad line as data, with its number. */
export function parseHistory(text: string): { operations: Operation[] } | { error: HistoryLineError } {
  const operations: Operation[] = [];
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return { error: { line: index + 1, reason: 'not JSON' } };
    }
    const result = operationSchema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      return { error: { line: index + 1, reason: `${where}${issue.message}` } };
    }
    operations.push(result.data);
  }
  return { operations };
}

/** One operation a line, as --history writes them. */
export function historyLines(operations: readonly Operation[]): string {
  return operations.map((operation) => `${JSON.stringify(operation)}\n`).join('');
}

/** The scenarios of a history in the order they first appear, each with its operations. */
export function scenariosOf(operations: readonly Operation[]): Array<{ scenario: string; operations: Operation[] }> {
  const byScenario = new Map<string, Operation[]>();
  for (const operation of operations) {
    const list = byScenario.get(operation.scenario) ?? [];
    list.push(operation);
    byScenario.set(operation.scenario, list);
  }
  return [...byScenario].map(([scenario, list]) => ({ scenario, operations: list }));
}

