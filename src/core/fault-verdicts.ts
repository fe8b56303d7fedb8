/**
 * The verdicts of the fault tests, each a combination of the checkers applied to the history the run
 * recorded: nothing acknowledged lost, and the claim's other conditions, read from the operations
 * too. The same history gives the same verdict, whether judged at the end of the run or read back.
 */
import { restartedBrokers, restartOutcome } from './broker-restart.js';
import { checkHistory, duplicates, outOfOrder, unacknowledged, type HistoryFigures } from './checkers.js';
import type { ConnectOperation, FaultKind, FaultOperation, Operation } from './history.js';

/** What the failover time measures: from the fault to the first delivery, through another node, or of a value published after it. */
export type FailoverMeasure = 'first-delivery' | 'other-node' | 'published-after';

export interface Condition {
  /** What it checks, as a name the renderers and the tests know. */
  fact: string;
  holds: boolean;
}

export interface FaultJudgement {
  scenario: string;
  figures: HistoryFigures;
  /** The fault the claim is about and how long deliveries took to come again after it; null when it never happened. */
  failover: { kind: FaultKind; node: number | null; target?: string; measure: FailoverMeasure; ms: number | null } | null;
  conditions: Condition[];
  /** The claim is that values are lost (where its conditions say): a loss is no finding then. */
  lossClaimed: boolean;
  /** Further figures of the claim (how long the link took to be found dead, ...). */
  facts: Record<string, number | boolean | null>;
  pass: boolean;
}

interface Rule {
  /** The fault the claim is about: the first of this kind. */
  fault: FaultKind | null;
  measure: FailoverMeasure;
  conditions: (history: readonly Operation[], fault: FaultOperation | undefined) => Condition[];
  facts?: (history: readonly Operation[], fault: FaultOperation | undefined) => Record<string, number | boolean | null>;
  /** The claim is that some values are lost (a broker restarted without persistence): its conditions say which may be, not the headline. */
  lossClaimed?: boolean;
}

function connects(history: readonly Operation[], role: 'producer' | 'consumer', type: 'ok' | 'info' = 'ok'): ConnectOperation[] {
  return history.filter((op): op is ConnectOperation => op.f === 'connect' && op.role === role && op.type === type);
}

/** The first connection of that side after the fault. */
function connectAfter(history: readonly Operation[], role: 'producer' | 'consumer', fault: FaultOperation | undefined): ConnectOperation | undefined {
  return fault && connects(history, role).find((op) => op.time >= fault.time);
}

const everyValueAcknowledged = (history: readonly Operation[]): Condition => ({ fact: 'everyValueAcknowledged', holds: unacknowledged(history).length === 0 });

/** The consumer's first connection after the fault found its session. */
const sessionResumed = (history: readonly Operation[], fault: FaultOperation | undefined): Condition => ({
  fact: 'sessionResumed',
  holds: connectAfter(history, 'consumer', fault)?.sessionPresent === true,
});

const onOtherNode = (op: ConnectOperation | undefined, fault: FaultOperation | undefined): boolean => op !== undefined && op.node !== null && op.node !== fault?.node;

/** The first value published after the fault, if it came: the highest sent before it is the one just below. */
function firstPublishedAfter(history: readonly Operation[], fault: FaultOperation | undefined): number | undefined {
  if (!fault) return undefined;
  const sentBefore = new Set<string>();
  for (const op of history) {
    if (op.f !== 'publish' || op.type !== 'invoke') continue;
    const key = `${op.value}\t${op.stream}`;
    if (op.time < fault.time) sentBefore.add(key);
    else if (!sentBefore.has(key)) return op.value;
  }
  return undefined;
}

const returnAfterFault = (kind: FaultKind): Rule => ({
  fault: kind,
  measure: 'first-delivery',
  conditions: (history, fault) => [everyValueAcknowledged(history), sessionResumed(history, fault)],
});

/** A node cut off (from the other nodes, or from the clients too) and healed: every value acknowledged, measured to the first value published after the cut. */
const cutAway = (kind: FaultKind): Rule => ({
  fault: kind,
  measure: 'published-after',
  conditions: (history) => [everyValueAcknowledged(history)],
});

/** The keep-alive of the keepalive scenario's consumer: a link that dies without closing must be noticed within 1.5 times it. */
export const keepaliveSeconds = 2;

/** The slack beyond 1.5 times the keep-alive: the client's timer ticks at its own pace. */
const keepaliveSlackMs = 1000;

/** Every value delivered in order: a consumer that saw a gap (filled later or not) did not. */
const inOrder = (history: readonly Operation[]): Condition => ({ fact: 'inOrder', holds: outOfOrder(history).count === 0 });

/** The first fault of that kind undone after the fault, or undefined. */
function undoneBy(history: readonly Operation[], fault: FaultOperation | undefined, kind: FaultKind): FaultOperation | undefined {
  return fault && history.find((op): op is FaultOperation => op.f === 'fault' && op.type === 'invoke' && op.kind === kind && op.time >= fault.time);
}

/** How long the consumer took to declare its link dead after the link was stalled; null when it never did. */
function stallNoticedMs(history: readonly Operation[], stall: FaultOperation | undefined): number | null {
  if (!stall) return null;
  const noticed = connects(history, 'consumer', 'info').find((op) => op.time >= stall.time);
  return noticed ? noticed.time - stall.time : null;
}

/** The values the producer first counted while its link was cut (until it was restored), and how many of them were acknowledged. */
function producedDuringCut(history: readonly Operation[], cut: FaultOperation | undefined): { produced: number; acknowledged: number; cutMs: number | null } {
  if (!cut) return { produced: 0, acknowledged: 0, cutMs: null };
  const end = undoneBy(history, cut, 'restore')?.time ?? Infinity;
  const first = new Map<string, number>();
  const acknowledged = new Set<string>();
  for (const op of history) {
    if (op.f !== 'publish') continue;
    const key = `${op.value}\t${op.stream}`;
    if (op.type === 'invoke' && !first.has(key)) first.set(key, op.time);
    if (op.type === 'ok') acknowledged.add(key);
  }
  const during = [...first].filter(([, time]) => time >= cut.time && time < end).map(([key]) => key);
  return { produced: during.length, acknowledged: during.filter((key) => acknowledged.has(key)).length, cutMs: end === Infinity ? null : end - cut.time };
}

/**
 * A client stopped and back: its session's next connection after the stop (by another process, the
 * client started again), and how many values that session delivered on its return that were first
 * published while it was away (held for it by the broker).
 */
function absence(history: readonly Operation[], stop: FaultOperation | undefined): { returned: ConnectOperation | undefined; held: number } {
  if (!stop || stop.target === undefined) return { returned: undefined, held: 0 };
  const session = connects(history, 'consumer').filter((op) => op.process === stop.target && op.time <= stop.time).at(-1)?.session;
  const returned = connects(history, 'consumer').find((op) => op.session === session && op.process !== stop.target && op.time >= stop.time);
  if (!returned) return { returned, held: 0 };
  const first = new Map<string, number>();
  for (const op of history) if (op.f === 'publish' && op.type === 'invoke' && !first.has(`${op.value}\t${op.stream}`)) first.set(`${op.value}\t${op.stream}`, op.time);
  const held = new Set<string>();
  for (const op of history) {
    if (op.f !== 'deliver' || op.session !== session || op.time < returned.time) continue;
    const published = first.get(`${op.value}\t${op.stream}`);
    if (published !== undefined && published >= stop.time && published < returned.time) held.add(`${op.value}\t${op.stream}`);
  }
  return { returned, held: held.size };
}

export const faultRules: Readonly<Record<string, Rule>> = {
  'kill-consumer-node': {
    fault: 'kill',
    measure: 'other-node',
    conditions: (history, fault) => [
      everyValueAcknowledged(history),
      sessionResumed(history, fault),
      { fact: 'otherNode', holds: onOtherNode(connectAfter(history, 'consumer', fault), fault) },
    ],
  },
  'kill-producer-node': {
    fault: 'kill',
    measure: 'published-after',
    conditions: (history, fault) => [
      everyValueAcknowledged(history),
      { fact: 'killedWhilePublishing', holds: firstPublishedAfter(history, fault) !== undefined },
      { fact: 'producerReconnected', holds: onOtherNode(connectAfter(history, 'producer', fault), fault) },
    ],
    facts: (history, fault) => {
      const sent = history.filter((op) => op.f === 'publish' && op.type === 'invoke' && fault !== undefined && op.time < fault.time).map((op) => (op as { value: number }).value);
      return { sentBeforeKill: sent.length > 0 ? Math.max(...sent) : null };
    },
  },
  'kill-while-away': returnAfterFault('kill'),
  'restart-node': returnAfterFault('start'),
  'clean-restart': returnAfterFault('restart-all'),
  'pause-node': {
    fault: 'pause',
    measure: 'other-node',
    conditions: (history, fault) => {
      const reconnections = connects(history, 'consumer').slice(1);
      return [
        everyValueAcknowledged(history),
        { fact: 'deadLinkNoticed', holds: pauseFacts(history, fault).noticedMs !== null },
        { fact: 'sessionResumed', holds: reconnections.length > 0 && reconnections.every((op) => op.sessionPresent === true) },
      ];
    },
    facts: (history, fault) => pauseFacts(history, fault),
  },
  'partition-consumer-node': cutAway('isolate'),
  'partition-producer-node': cutAway('isolate'),
  'disconnect-producer-node': cutAway('disconnect'),
  /** The consumer's link stalled (half-open): noticed within 1.5 times the keep-alive, the session resumed, every value in order. */
  keepalive: {
    fault: 'stall',
    measure: 'first-delivery',
    conditions: (history, fault) => {
      const noticedMs = stallNoticedMs(history, fault);
      return [
        { fact: 'deadLinkNoticed', holds: noticedMs !== null && noticedMs <= keepaliveSeconds * 1500 + keepaliveSlackMs },
        sessionResumed(history, fault),
        inOrder(history),
      ];
    },
    facts: (history, fault) => ({ keepaliveSeconds, noticedMs: stallNoticedMs(history, fault) }),
  },
  /** The producer's link cut, then restored: the values it counted meanwhile were acknowledged once it was back, every value in order. */
  'offline-producer': {
    fault: 'cut',
    measure: 'published-after',
    conditions: (history, fault) => {
      const { produced, acknowledged } = producedDuringCut(history, fault);
      return [{ fact: 'keptValuesAcknowledged', holds: produced > 0 && acknowledged === produced }, inOrder(history)];
    },
    facts: (history, fault) => {
      const { produced, cutMs } = producedDuringCut(history, fault);
      return { producedDuringCut: produced, cutMs };
    },
  },
  /** A broker restarted with persistence, then another without: the first keeps the session and every value, the second loses the session. */
  'broker-restart': {
    fault: 'restart',
    measure: 'first-delivery',
    lossClaimed: true,
    conditions: (history) => {
      const kept = restartOutcome(history, restartedBrokers.persistent);
      const gone = restartOutcome(history, restartedBrokers.inMemory);
      return [
        { fact: 'keptWithPersistence', holds: kept !== null && kept.sessionResumed && kept.lost === 0 },
        { fact: 'goneWithoutPersistence', holds: gone !== null && !gone.sessionResumed },
      ];
    },
    facts: (history) => {
      const kept = restartOutcome(history, restartedBrokers.persistent);
      const gone = restartOutcome(history, restartedBrokers.inMemory);
      return { resumedWithPersistence: kept?.sessionResumed ?? null, lostWithPersistence: kept?.lost ?? null, resumedWithout: gone?.sessionResumed ?? null, lostWithout: gone?.lost ?? null };
    },
  },
  /** A member of a consumer group stopped and back: across the group every value once, the member's session found on its return. */
  group: {
    fault: 'stop',
    measure: 'first-delivery',
    conditions: (history, fault) => [
      everyValueAcknowledged(history),
      { fact: 'onceAcrossGroup', holds: duplicates(history).count === 0 },
      { fact: 'memberResumed', holds: absence(history, fault).returned?.sessionPresent === true },
    ],
    facts: (history, fault) => ({ heldForAbsent: absence(history, fault).held }),
  },
  /** A random run: only the headline, nothing acknowledged lost. */
  random: { fault: null, measure: 'first-delivery', conditions: () => [] },
};

/** How long the pause lasted, and how long the consumer took to declare its link dead during it. */
function pauseFacts(history: readonly Operation[], pause: FaultOperation | undefined): { pauseMs: number | null; noticedMs: number | null } {
  if (!pause) return { pauseMs: null, noticedMs: null };
  const resume = undoneBy(history, pause, 'resume');
  const end = resume?.time ?? Infinity;
  const noticed = connects(history, 'consumer', 'info').find((op) => op.time >= pause.time && op.time <= end);
  return { pauseMs: resume ? resume.time - pause.time : null, noticedMs: noticed ? noticed.time - pause.time : null };
}

/** The scenarios whose verdict a history gives. */
export function judgedScenarios(): string[] {
  return Object.keys(faultRules);
}

/** The verdict of one scenario's history; undefined for a scenario that has no rule here. */
export function judgeFaultHistory(scenario: string, history: readonly Operation[]): FaultJudgement | undefined {
  const rule = faultRules[scenario];
  if (!rule) return undefined;
  const figures = checkHistory(history);
  const fault = rule.fault === null ? undefined : history.find((op): op is FaultOperation => op.f === 'fault' && op.type === 'invoke' && op.kind === rule.fault);
  const measured = fault && figures.failovers.find((failover) => failover.at === fault.time && failover.kind === fault.kind);
  const ms = measured ? { 'first-delivery': measured.firstDeliveryMs, 'other-node': measured.otherNodeMs, 'published-after': measured.publishedAfterMs }[rule.measure] : null;
  const conditions = rule.conditions(history, fault);
  return {
    scenario,
    figures,
    failover: fault ? { kind: fault.kind, node: fault.node, ...(fault.target === undefined ? {} : { target: fault.target }), measure: rule.measure, ms } : null,
    conditions,
    lossClaimed: rule.lossClaimed === true,
    facts: rule.facts?.(history, fault) ?? {},
    pass: (rule.lossClaimed === true || figures.lost.lost === 0) && conditions.every((condition) => condition.holds),
  };
}
