/** The probes' findings in words, each naming the packets it was read from: the one place they are made. */
import type { ConnectAnswer, Delivery, PublishFlow, SubscribeAnswer } from '../core/packet-trace.js';
import { firstAnswer } from '../core/packet-trace.js';
import { keptEnd, sessionKept, sharedVerdict, type LifetimeFacts, type ProbeResult, type QueueFacts, type Return, type SharedFacts } from '../core/probe-facts.js';
import { explainConnackCode, explainDisconnect, explainRefusal } from '../core/reasons.js';
import { formatValues, hex } from './format.js';

/** A 3.1.1 CONNACK's return codes, which an MQTT 5 CONNECT can get too from a broker that speaks only 3.1.1. */
const returnCodes: Record<number, string> = { 1: 'unacceptable protocol version', 2: 'identifier rejected', 3: 'server unavailable', 4: 'bad user name or password', 5: 'not authorised' };

export function connectWords(answer: ConnectAnswer, version: 4 | 5, error?: string): string {
  switch (answer.answer) {
    case 'CONNACK':
      if (answer.code === 0) return 'CONNACK 0 (accepted)';
      return `CONNACK ${answer.code < 0x80 ? 'return code' : 'reason code'} ${answer.code < 0x80 ? answer.code : hex(answer.code)} (${answer.code < 0x80 ? (returnCodes[answer.code] ?? 'refused') : explainConnackCode(answer.code, version)})`;
    case 'closed':
      return `the connection closed without a CONNACK${error ? ` (${error})` : ''}`;
    case 'none':
      return 'no CONNACK within 5 s';
  }
}

function subscribeWords(answer: SubscribeAnswer): string {
  switch (answer.answer) {
    case 'SUBACK':
      return answer.code < 0x80 ? `SUBACK granted QoS ${answer.code}` : `SUBACK reason code ${hex(answer.code)} (${explainRefusal(answer.code)})`;
    case 'DISCONNECT':
      // A DISCONNECT here says why the SUBSCRIBE was refused: the SUBACK's reason codes name it best (0x9E).
      return `DISCONNECT reason code ${hex(answer.reasonCode)} (${answer.reasonCode === 0x9e ? explainRefusal(answer.reasonCode) : explainDisconnect(answer.reasonCode).text}) instead of a SUBACK`;
    case 'closed':
      return 'the connection closed without a SUBACK';
    case 'none':
      return 'no SUBACK within 5 s';
  }
}

function publishWords(flow: PublishFlow | null): string {
  if (!flow) return 'the QoS 2 PUBLISH could not be sent';
  const first = firstAnswer(flow);
  const steps = flow.steps.map((step, i) => `${step.type}${i === 0 ? '' : ` ${step.direction}`}${step.reasonCode ? ` (reason code ${hex(step.reasonCode)})` : ''}`).join(', ');
  if (!first) return `PUBLISH QoS 2 ${flow.closed ? 'answered by nothing: the broker closed the connection' : 'not answered within 5 s'}`;
  if (first === 'PUBACK') return `PUBLISH QoS 2 answered by PUBACK (not PUBREC): the broker took it as QoS 1`;
  return `PUBLISH QoS 2 answered by ${steps}${flow.closed ? ', then the connection closed' : ''}`;
}

function deliveryWords(delivery: Delivery | null): string {
  if (!delivery) return 'no PUBLISH delivered to the subscriber';
  return `delivered as PUBLISH QoS ${delivery.qos}${delivery.steps.length > 0 ? ` (${delivery.steps.map((type) => `${type} ${type === 'PUBREL' ? 'received' : 'sent'}`).join(', ')})` : ''}`;
}

function returnWords(away: Return, version: 4 | 5): string {
  if (away.back.answer !== 'CONNACK') return `back after ${away.awayS} s: ${connectWords(away.back, version)}`;
  return `back after ${away.awayS} s: CONNACK session present ${away.back.sessionPresent ? 1 : 0}`;
}

function lifetimeWords(facts: LifetimeFacts): string {
  const { long } = facts;
  if (facts.version === 4) return `MQTT 3.1.1, ${returnWords(long, facts.version)}${sessionKept(long.back) ? ' (longer not waited)' : ''}`;
  const announced = long.made.answer === 'CONNACK' ? long.made.sessionExpiry : null;
  const parts = [
    `asked session expiry ${long.askedExpiry} s: ${announced === null ? 'CONNACK without a session expiry (the one asked holds)' : `CONNACK session expiry ${announced} s`}`,
    returnWords(long, facts.version),
  ];
  if (facts.pastGranted) parts.push(`${returnWords(facts.pastGranted, 5)} (${sessionKept(facts.pastGranted.back) ? 'kept past it' : 'gone'})`);
  if (facts.short) parts.push(`asked 1 s, ${returnWords(facts.short, 5)}: ${sessionKept(facts.short.back) ? 'not honoured' : 'honoured'}`);
  return parts.join('; ');
}

function queueWords(facts: QueueFacts): string {
  const { round, count } = facts;
  const answers = Object.entries(round.answered).map(([type, n]) => (type === 'none' ? `${n} unanswered` : `${n} ${type}`)).join(', ');
  const sent = `${round.sent} PUBLISH QoS 1 sent while away (${answers})`;
  const back = round.back.answer === 'CONNACK' ? `back: CONNACK session present ${round.back.sessionPresent ? 1 : 0}` : `back: ${connectWords(round.back, 5)}`;
  const got = `${round.received} of ${round.sent} received as PUBLISH${round.repeated > 0 ? ` (${round.repeated} more repeated)` : ''}`;
  if (facts.halving) {
    return `${sent}; ${back}, ${got}: the broker ended the whole session; it keeps ${facts.halving.kept} values and ends the session at ${facts.halving.endedAt} (halving)`;
  }
  if (round.missing.length === 0) return `${sent}; ${back}, ${got}: no limit met at ${count}`;
  const end = keptEnd(round.missing, round.sent);
  return `${sent}; ${back}, ${got}, ${round.missing.length} dropped (${formatValues(round.missing)})${end ? `: it kept the ${end}` : ''}`;
}

function sharedWords(facts: SharedFacts): string {
  const verdict = sharedVerdict(facts);
  const subscribed = `SUBSCRIBE $share/GROUP/TOPIC by two members: ${[...new Set(facts.members.map((m) => subscribeWords(m.subscribe)))].join(' / ')}`;
  if (verdict === 'refused') return `${subscribed}: refused`;
  const split = facts.members.map((m) => m.received.length).join(' and ');
  const published = `${facts.sent} PUBLISH QoS 1 to the topic reached the members ${split}`;
  switch (verdict) {
    case 'honoured':
      return `${subscribed}; ${published}, each value once: honoured`;
    case 'every member':
      return `${subscribed}; ${published}: every member got every value, an ordinary subscription (not shared)`;
    case 'plain topic name':
      return `${subscribed}; ${published}; a PUBLISH to the filter's own name reached both: taken as a plain topic name (not shared)`;
    default:
      return `${subscribed}; ${published}: neither split nor copied`;
  }
}

/** The probe's name in the report card's table. */
export function probeName(result: ProbeResult): string {
  if (result.probe === 'failed') return result.facts.name;
  if (result.probe === 'protocols') return 'protocol versions';
  if (result.probe === 'qos2') return 'QoS 2';
  if (result.probe === 'backlog') return `backlog of ${result.facts.count}`;
  return result.probe;
}

/** What the probe found, in one line naming the packets. */
export function probeFinding(result: ProbeResult): string {
  switch (result.probe) {
    case 'protocols':
      return result.facts.attempts.map((a) => `MQTT ${a.version === 5 ? '5' : '3.1.1'}: ${connectWords(a.answer, a.version, a.error)}`).join('; ');
    case 'qos2':
      return `SUBSCRIBE QoS 2: ${subscribeWords(result.facts.subscribe)}; ${publishWords(result.facts.publish)}; ${deliveryWords(result.facts.delivered)}`;
    case 'session lifetime':
      return lifetimeWords(result.facts);
    case 'backlog':
      return queueWords(result.facts);
    case 'shared subscription':
      return sharedWords(result.facts);
    case 'failed':
      return `the probe failed: ${result.facts.error}`;
  }
}
