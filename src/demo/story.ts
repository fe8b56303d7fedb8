/**
 * What every scenario shares: its shape (a claim, a story, what it observed, a verdict), the producer
 * and consumer it runs, the article's away-and-back story, and the private Mosquittos it may start.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatSeconds } from '../cli/output.js';
import { findMosquitto, PrivateMosquitto, type MosquittoOptions } from '../brokers/mosquitto.js';
import type { BrokerKind } from '../brokers/catalogue.js';
import { HistoryRecorder } from './history-recorder.js';
import type { ControlledCluster, NodeAction } from '../brokers/node-control.js';
import { ChildCommand, messageValues, sentValues, type Exit, type JsonEvent } from './processes.js';
import { forgetSessionsOn, rememberSession } from './sessions.js';

export interface ScenarioContext {
  url: string;
  intervalMs: number;
  /** A folder for the consumers' checkpoints. */
  dir: string;
  /** Makes topics and client ids unique to this run. */
  tag: string;
  say: (line: string) => void;
  /** The nodes the project started (NATS, RabbitMQ, ejabberd; one or a cluster) or --nodes FILE describes, for the scenarios that stop, kill, pause or cut them. */
  cluster?: ControlledCluster;
  /** The MQTT version the producer and consumer speak (default 5; NATS speaks only 3.1.1). */
  protocolVersion?: 4 | 5;
  /** Where the scenario's producers, consumers and faults are recorded (made on first use when not given). */
  history?: HistoryRecorder;
}

/** The scenario's history, made on first use. */
export function historyOf(context: ScenarioContext): HistoryRecorder {
  return (context.history ??= new HistoryRecorder(context.tag));
}

/** What a scenario runs against: the kind of broker (or a running one, url), its nodes, and the MQTT version spoken to it. */
export interface BrokerTarget {
  /** url: a running broker; nodes: the user's cluster, driven by the commands of --nodes FILE. */
  kind: BrokerKind | 'url' | 'nodes';
  /** How many nodes the project started (1 for a running broker it did not start), or the file describes. */
  nodes: number;
  protocolVersion: 4 | 5;
}

export type Verdict = 'PASS' | 'FAIL' | 'SKIPPED' | 'N/A';

/** What a scenario saw, as plain values: the verdict is computed from these, and tests assert them. */
export type Facts = Record<string, number | boolean | string | null>;

export interface Outcome {
  verdict: Verdict;
  /** One line for a person. */
  observed: string;
  facts: Facts;
  /** The returning consumer's summary event, for its timeline. */
  summary?: JsonEvent;
}

export interface Scenario {
  name: string;
  title: string;
  /** What the article says, in this project's words. */
  claim: string;
  needsMosquitto: boolean;
  /** Runs against a cluster of 3 nodes or more (context.cluster): the NATS one the demo starts by default, the --broker KIND --nodes N one, or --nodes FILE. */
  needsCluster?: boolean;
  /** The node actions its faults take: on a cluster whose nodes lack one, it is not applicable. */
  needsActions?: readonly NodeAction[];
  /** Stops and starts the broker the demo started, one node or a cluster (NATS, RabbitMQ, ejabberd): context.cluster. */
  needsStartedBroker?: boolean;
  /** Why the claim cannot be expressed against this target (e.g. no session expiry in MQTT 3.1.1), or undefined. */
  notApplicable?(target: BrokerTarget): string | undefined;
  run(context: ScenarioContext): Promise<Outcome>;
}

export function verdictOf(pass: boolean): Verdict {
  return pass ? 'PASS' : 'FAIL';
}

export function mosquittoAvailable(): boolean {
  return findMosquitto() !== undefined;
}

/** The Mosquittos that scenarios start, so that an interrupted demo leaves none running. */
const startedBrokers = new Set<PrivateMosquitto>();

/** Starts a Mosquitto of the scenario's own: one made from options, or one made elsewhere (an edge with its bridge). */
export async function startMosquitto(options: MosquittoOptions | PrivateMosquitto): Promise<PrivateMosquitto> {
  const broker = options instanceof PrivateMosquitto ? options : new PrivateMosquitto(options);
  startedBrokers.add(broker);
  try {
    return await broker.start();
  } catch (error) {
    await disposeMosquitto(broker);
    throw error;
  }
}

export async function disposeMosquitto(broker: PrivateMosquitto): Promise<void> {
  startedBrokers.delete(broker);
  await broker.dispose();
  forgetSessionsOn(broker.url);
}

export async function stopScenarioBrokers(): Promise<void> {
  const brokers = [...startedBrokers];
  startedBrokers.clear();
  await Promise.all(brokers.map((broker) => disposeMosquitto(broker)));
}

export function names(context: ScenarioContext, scenario: string): { topic: string; id: string; state: string } {
  return {
    topic: `demo/${scenario}/${context.tag}`,
    id: `demo-${scenario}-${context.tag}`,
    state: join(context.dir, `${scenario}-${context.tag}.json`),
  };
}

/** The -V option the commands need for the context's MQTT version. */
export function protocolArgs(context: ScenarioContext): string[] {
  return context.protocolVersion === 4 ? ['-V', '4'] : [];
}

/** The producer connects with a clean start and no session expiry: the broker keeps nothing of it. */
export function producer(context: ScenarioContext, url: string, topic: string, extra: string[] = []): ChildCommand {
  const command = ChildCommand.producer(['--url', url, '-t', topic, '--interval', String(context.intervalMs), '--json', ...protocolArgs(context), ...extra]);
  return historyOf(context).watch(command, 'producer');
}

/** A consumer on url (the scenario's broker, a link in front of it, or a broker of the scenario's own); its session is remembered, to be ended. */
export function consumer(context: ScenarioContext, url: string, id: string, topic: string, state: string, extra: string[] = []): ChildCommand {
  rememberSession({ clientId: id, url: context.url, connectedTo: url, protocolVersion: context.protocolVersion ?? 5 });
  const command = ChildCommand.consumer(['--url', url, '-i', id, '-t', topic, '--state', state, '--json', ...protocolArgs(context), ...extra]);
  return historyOf(context).watch(command, 'consumer');
}

/** The first URL of a list, for what needs one broker address (a link proxy in front of it). */
export function firstUrl(context: ScenarioContext): URL {
  return new URL(context.url.split(',')[0]!);
}

/** A link proxy's URL with the user name and password of the broker's URL (ejabberd's anonymous login wants some). */
export function throughLink(context: ScenarioContext, link: { url: string }): string {
  const url = new URL(link.url);
  const broker = firstUrl(context);
  url.username = broker.username;
  url.password = broker.password;
  return url.toString().replace(/\/$/, '');
}

export async function receive(command: ChildCommand, count: number, timeoutMs = 20_000): Promise<void> {
  await command.waitUntil(`${count} values`, () => command.eventsOf('message').length >= count, timeoutMs);
}

export function gapsOf(command: ChildCommand): JsonEvent[] {
  return command.eventsOf('gap');
}

export function lastSummary(command: ChildCommand): JsonEvent | undefined {
  return command.eventsOf('summary').at(-1);
}

/** The values a list of gap events names, in order. */
export function valuesIn(gaps: JsonEvent[]): number[] {
  const values: number[] = [];
  for (const gap of gaps) for (let value = gap.from as number; value <= (gap.to as number); value++) values.push(value);
  return values;
}

export interface AwayAndBack {
  /** What the consumer received before it left, and after it returned. */
  before: number[];
  after: number[];
  first: ChildCommand;
  second: ChildCommand;
  secondExit: number | null;
  sessionPresent: boolean;
  /** The values the producer sent while the consumer was away, up to the moment it started again. */
  away: { from: number; to: number };
}

/**
 * The article's story: the producer runs, the consumer joins late, leaves, stays away, returns.
 * Returns what the consumer received before leaving and after returning.
 */
export async function awayAndBack(
  context: ScenarioContext,
  scenario: string,
  options: { consumerArgs?: string[]; producerArgs?: string[]; awayMs: number; url?: string },
): Promise<AwayAndBack> {
  const url = options.url ?? context.url;
  const { topic, id, state } = names(context, scenario);
  const values = producer(context, url, topic, options.producerArgs);
  try {
    await values.waitUntil('the first values', () => sentValues(values).length >= 5);
    context.say(`The producer is running: a value every ${context.intervalMs} ms on ${topic}.`);
    const first = consumer(context, url, id, topic, state, options.consumerArgs);
    await receive(first, 5);
    const joined = messageValues(first.events);
    context.say(`The consumer ${id} joins late: its first value is ${joined[0]}; what came before it had no session to go to.`);
    await first.interrupt();
    const before = messageValues(first.events);
    const last = before.at(-1)!;
    context.say(`The consumer leaves (Ctrl+C) after value ${last}.`);
    await sleep(options.awayMs);
    const away = { from: last + 1, to: Math.max(...sentValues(values)) };
    context.say(`The producer went on while it was away: it is at ${away.to} after ${formatSeconds(options.awayMs)}.`);
    const second = consumer(context, url, id, topic, state, options.consumerArgs);
    const connected = await second.waitForEvent('connected');
    const sessionPresent = connected.sessionPresent === true;
    context.say(`The consumer returns: ${sessionPresent ? 'the broker resumed its session' : 'the broker had no session for it'}.`);
    const liveTarget = Math.max(...sentValues(values)) + 5;
    await second.waitUntil('live values after the return', () => messageValues(second.events).some((v) => v >= liveTarget), 20_000);
    const backlog = second.eventsOf('backlog')[0];
    if (backlog) context.say(`${String(backlog.count)} queued values arrived at once.`);
    const exit = await second.interrupt();
    return { before, after: messageValues(second.events), first, second, secondExit: exit.code, sessionPresent, away };
  } finally {
    await values.interrupt();
  }
}

/** Stops the producer, lets the consumer receive its last value, stops it: which values it never got. */
export async function finish(context: ScenarioContext, values: ChildCommand, receiver: ChildCommand): Promise<{ missing: number[]; exit: Exit }> {
  await values.interrupt();
  const last = Math.max(...sentValues(values));
  await receiver.waitUntil(`value ${last}`, () => messageValues(receiver.events).includes(last), 10_000);
  const exit = await receiver.interrupt();
  const seen = new Set(messageValues(receiver.events));
  const first = Math.min(...seen);
  const missing = [];
  for (let v = first; v <= last; v++) if (!seen.has(v)) missing.push(v);
  context.say(`The consumer received ${first}..${last}: ${missing.length === 0 ? 'every value' : `${missing.length} missing`}.`);
  return { missing, exit };
}

/** Each value follows the one before it: nothing skipped, nothing repeated. */
export function consecutive(values: number[]): boolean {
  return values.every((value, i) => i === 0 || value === values[i - 1]! + 1);
}
