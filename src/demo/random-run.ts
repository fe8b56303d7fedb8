/**
 * A random fault run, replayable: producers and consumers at work on a cluster while the nemesis
 * injects faults drawn from its repertoire on a schedule computed up front from a seed
 * (src/core/schedule.ts); then the checkers' figures on the history the run recorded.
 */
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrokerKind } from '../brokers/catalogue.js';
import { missingActions, whyNot, type ControlledCluster, type NodeAction } from '../brokers/node-control.js';
import { commandLine } from '../cli/invocation.js';
import { chalkFor, counted, formatSeconds, judgementObserved, lostFinding, runPageHtml, verdictLines, writePage } from '../cli/output.js';
import type { HistoryFigures } from '../core/checkers.js';
import { judgeFaultHistory } from '../core/fault-verdicts.js';
import { historyLines } from '../core/history.js';
import { faultSchedule, maxSeed, type ScheduledFault } from '../core/schedule.js';
import { readAgain } from './checker.js';
import { HistoryRecorder } from './history-recorder.js';
import { Nemesis } from './nemesis.js';
import type { ChildCommand } from './processes.js';
import { nodesFileBroker, startDemoBroker, stopScenarios } from './run.js';
import { consumer, producer, type ScenarioContext } from './story.js';

/** How many producers and consumers a random run starts. */
export const randomClients = { producers: 2, consumers: 2 };

interface RepertoireEntry {
  /** The node actions it takes: a cluster whose nodes lack one never draws it. */
  needs: readonly NodeAction[];
  inject(nemesis: Nemesis, node: number, planned: number): Promise<unknown>;
  undo(nemesis: Nemesis, node: number, planned: number): Promise<unknown>;
}

/**
 * The nemesis's repertoire for random runs: each fault, the actions it needs and how it is undone. A
 * new kind of fault is one more line here (and its kind in src/core/history.ts). The order is part of
 * the drawing: new kinds go at the end, so that a cluster that takes only the first ones keeps the
 * schedules its seeds always gave.
 */
const repertoire = {
  kill: { needs: ['kill', 'start'], inject: (nemesis, node, planned) => nemesis.kill(node, planned), undo: (nemesis, node, planned) => nemesis.restart(node, planned) },
  pause: { needs: ['pause', 'resume'], inject: (nemesis, node, planned) => nemesis.pause(node, planned), undo: (nemesis, node, planned) => nemesis.resume(node, planned) },
  isolate: { needs: ['isolate', 'heal'], inject: (nemesis, node, planned) => nemesis.isolate(node, planned), undo: (nemesis, node, planned) => nemesis.healLinks(node, planned) },
  disconnect: { needs: ['disconnect', 'heal'], inject: (nemesis, node, planned) => nemesis.disconnect(node, planned), undo: (nemesis, node, planned) => nemesis.healLinks(node, planned) },
} as const satisfies Record<string, RepertoireEntry>;

export type RandomFaultKind = keyof typeof repertoire;

export const randomFaultKinds = Object.keys(repertoire) as RandomFaultKind[];

/** The faults a random run draws on this cluster: those of the repertoire whose actions every node has. */
export function randomFaultKindsOn(cluster: ControlledCluster): RandomFaultKind[] {
  return randomFaultKinds.filter((kind) => missingActions(cluster, repertoire[kind].needs).length === 0);
}

/** The faults of the repertoire this cluster cannot take, grouped by why: "isolate, disconnect: REASON". */
function leftOut(cluster: ControlledCluster): string[] {
  const drawn = randomFaultKindsOn(cluster);
  const byReason = new Map<string, RandomFaultKind[]>();
  for (const kind of randomFaultKinds.filter((one) => !drawn.includes(one))) {
    const reason = whyNot(cluster, repertoire[kind].needs) ?? '';
    byReason.set(reason, [...(byReason.get(reason) ?? []), kind]);
  }
  return [...byReason].map(([reason, kinds]) => `${kinds.join(', ')}: ${reason}`);
}

export interface RandomRunOptions {
  seed: number;
  timeLimitMs: number;
  producers: number;
  consumers: number;
  intervalMs: number;
  protocolVersion: 4 | 5;
  dir: string;
  tag: string;
}

export interface RandomRunResult {
  schedule: Array<ScheduledFault<RandomFaultKind>>;
  history: HistoryRecorder;
  figures: HistoryFigures;
}

/** The schedule of a seed on a cluster of that many nodes that takes these faults, for that long: the same whenever asked. */
export function randomSchedule(seed: number, timeLimitMs: number, nodes: number, kinds: readonly RandomFaultKind[] = randomFaultKinds): Array<ScheduledFault<RandomFaultKind>> {
  return faultSchedule(seed, { timeLimitMs, nodes, kinds });
}

/** Resolves at this many ms after the start (at once when that is past). */
async function until(start: number, atMs: number): Promise<void> {
  await sleep(Math.max(0, start + atMs - Date.now()));
}

export async function runRandom(cluster: ControlledCluster, options: RandomRunOptions, out: (line?: string) => void): Promise<RandomRunResult> {
  const history = new HistoryRecorder('random');
  const say = (line: string): void => out(`  [${formatSeconds(history.now())}] ${line}`);
  const nemesis = new Nemesis(cluster, say, history);
  const kinds = randomFaultKindsOn(cluster);
  const schedule = randomSchedule(options.seed, options.timeLimitMs, cluster.nodes.length, kinds);
  const missing = leftOut(cluster);
  out(`The nemesis's repertoire on this cluster: ${kinds.join(', ') || 'none'}${missing.length > 0 ? ` (not ${missing.join('; ')})` : ''}.`);
  out(`The nemesis plans ${schedule.length} ${schedule.length === 1 ? 'fault' : 'faults'}: ${schedule.map((fault) => `${fault.kind} node ${fault.node} at ${formatSeconds(fault.at)} for ${formatSeconds(fault.durationMs)}`).join(', ') || 'none'}.`);
  await nemesis.heal();
  const all = nemesis.indexes;
  const context: ScenarioContext = { url: nemesis.urls(...all), intervalMs: options.intervalMs, dir: options.dir, tag: options.tag, say, cluster, protocolVersion: options.protocolVersion, history };
  const base = `demo/random/${options.tag}`;
  // Every client is given every node, starting at a different one, and notices a frozen node within 3 s.
  const rotated = (i: number): string => nemesis.urls(...all.slice(i % all.length), ...all.slice(0, i % all.length));
  const consumers: ChildCommand[] = [];
  for (let i = 1; i <= options.consumers; i++) consumers.push(consumer(context, rotated(i - 1), `demo-random-${options.tag}-c${i}`, `${base}/#`, `${options.dir}/random-${options.tag}-c${i}.json`, ['-k', '2']));
  for (const receiver of consumers) await receiver.waitForEvent('subscribed', () => true, 60_000);
  const producers: ChildCommand[] = [];
  for (let i = 1; i <= options.producers; i++) producers.push(producer(context, rotated(i), `${base}/p${i}`, ['-k', '2']));
  say(`${options.consumers} consumers subscribed to ${base}/#; ${options.producers} producers publish a value every ${options.intervalMs} ms each, each on its own topic.`);
  const start = Date.now() - history.now();
  try {
    for (const fault of schedule) {
      await until(start, fault.at);
      await repertoire[fault.kind].inject(nemesis, fault.node, fault.at);
      await until(start, fault.at + fault.durationMs);
      await repertoire[fault.kind].undo(nemesis, fault.node, fault.at + fault.durationMs);
    }
    await until(start, options.timeLimitMs);
    say('Time is up: the producers stop once what they sent is acknowledged, the consumers once they have it.');
    await Promise.all(producers.map((values) => values.interrupt()));
    const acknowledged = producers.flatMap((values) => values.eventsOf('acknowledged').map((event) => `${String(event.topic)}\t${String(event.value)}`));
    const delivered = (receiver: ChildCommand): Set<string> => new Set(receiver.eventsOf('message').map((event) => `${String(event.topic)}\t${String(event.value)}`));
    const deliveredAll = (receiver: ChildCommand) => (): boolean => {
      const seen = delivered(receiver);
      return acknowledged.every((key) => seen.has(key));
    };
    await Promise.all(consumers.map((receiver) => receiver.waitUntil('every acknowledged value', deliveredAll(receiver), 30_000).catch(() => {})));
    await Promise.all(consumers.map((receiver) => receiver.interrupt()));
    // A final read: a consumer still lacking values returns with its session; what it lacks then is what the checker counts as lost.
    for (const [i, receiver] of consumers.entries()) {
      const seen = delivered(receiver);
      const missing = acknowledged.filter((key) => !seen.has(key));
      if (missing.length === 0) continue;
      const reopen = (): ChildCommand => consumer(context, rotated(i), `demo-random-${options.tag}-c${i + 1}`, `${base}/#`, `${options.dir}/random-${options.tag}-c${i + 1}.json`, ['-k', '2']);
      const { recovered } = await readAgain(reopen, missing, delivered, 30_000);
      say(`Consumer ${i + 1} lacked ${counted(missing.length, 'acknowledged value')} after 30.0 s; a final read: it returned with its session and received ${recovered} of them.`);
    }
  } finally {
    for (const command of [...producers, ...consumers]) await command.kill();
    await nemesis.heal().catch(() => {});
  }
  const judgement = judgeFaultHistory('random', history.operations())!;
  const finding = lostFinding(judgement.figures);
  if (finding) out(finding);
  for (const line of verdictLines(judgement, chalkFor())) out(line);
  return { schedule, history, figures: judgement.figures };
}

export interface RandomDemoPlan {
  /** The seed given, or none: one is drawn and printed. */
  seed?: number;
  timeLimitMs: number;
  /** The cluster: a NATS one of its own, or the nodes of --broker. */
  kind: BrokerKind;
  nodes: number;
  protocolVersion: 4 | 5;
  interval: number;
  history?: string;
  /** Where to write the page that draws the run. */
  html?: string;
  /** The user's cluster (--nodes FILE) instead of one the demo starts. */
  nodesFile?: string;
}

/**
 * The demo's random run: the seed said first (drawn when none was given), the cluster started, the
 * run, the history written; resolves to the number of acknowledged values lost.
 */
export async function randomDemo(plan: RandomDemoPlan, out: (line?: string) => void, onStop: (stop: () => Promise<void>) => void): Promise<number> {
  const seed = plan.seed ?? randomInt(0, maxSeed);
  const seconds = plan.timeLimitMs / 1000;
  out(`Seed: ${seed} (${commandLine('demo', `--cluster --random --time-limit ${seconds} --seed ${seed}`)} replays this schedule)`);
  const dir = mkdtempSync(join(tmpdir(), 'mqtt-persistent-sessions-random-'));
  const broker = plan.nodesFile ? nodesFileBroker(plan.nodesFile, plan.protocolVersion) : await startDemoBroker(plan.kind, plan.nodes, undefined, plan.protocolVersion, true);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await stopScenarios(out);
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    })());
  onStop(stop);
  try {
    out(`Cluster: ${broker.description}, ${broker.control!.nodes.map((node, i) => `node ${i + 1} ${node.url}`).join(', ')}`);
    const tag = `${process.pid}-${Date.now().toString(36)}`;
    const options = { seed, timeLimitMs: plan.timeLimitMs, ...randomClients, intervalMs: plan.interval, protocolVersion: broker.target.protocolVersion, dir, tag };
    const result = await runRandom(broker.control!, options, out);
    const operations = result.history.operations();
    if (plan.history) writeFileSync(plan.history, historyLines(operations));
    if (plan.html) {
      const judgement = judgeFaultHistory('random', operations)!;
      const section = { id: 'random', scenario: 'random', about: `A random fault run of ${seconds} s, seed ${seed}`, verdict: judgement.pass ? 'PASS' : 'FAIL', observed: judgementObserved(judgement), operations };
      writePage(plan.html, runPageHtml({ title: `The demo: a random run, seed ${seed}`, subtitle: `${broker.description}; ${commandLine('demo', process.argv.slice(2).join(' '))}; ${new Date().toISOString()}`, sections: [section] }));
    }
    return result.figures.lost.lost;
  } finally {
    await stop();
  }
}
