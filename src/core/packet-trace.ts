/**
 * A record of the MQTT packets one connection exchanged, in the order they crossed the socket, and
 * what the probes read from it: which packet answered a PUBLISH, what a SUBACK granted, what a CONNACK
 * said. Values in, readings out: the packets are recorded elsewhere.
 */

export type PacketType =
  | 'CONNECT'
  | 'CONNACK'
  | 'PUBLISH'
  | 'PUBACK'
  | 'PUBREC'
  | 'PUBREL'
  | 'PUBCOMP'
  | 'SUBSCRIBE'
  | 'SUBACK'
  | 'UNSUBSCRIBE'
  | 'UNSUBACK'
  | 'PINGREQ'
  | 'PINGRESP'
  | 'DISCONNECT'
  | 'AUTH';

export interface WirePacket {
  direction: 'sent' | 'received';
  type: PacketType;
  messageId?: number;
  qos?: number;
  topic?: string;
  payload?: string;
  /** SUBSCRIBE: the filters asked for; SUBACK: a code per filter (the QoS granted, or 0x80 and above: refused). */
  filters?: string[];
  codes?: number[];
  /** CONNACK: the return code (3.1.1) or reason code (5); PUBACK, PUBREC, PUBCOMP, DISCONNECT: the reason code. */
  reasonCode?: number;
  sessionPresent?: boolean;
  /** CONNACK (MQTT 5): the session expiry the broker announces, when it sends one. */
  sessionExpiry?: number;
}

/** The end of the connection, recorded in line with the packets. */
export interface WireClosed {
  direction: 'received';
  type: 'CLOSED';
}

export type TraceEntry = WirePacket | WireClosed;

const isPacket = (entry: TraceEntry): entry is WirePacket => entry.type !== 'CLOSED';

/** What a CONNECT came to: a CONNACK (accepted when its code is 0, refused otherwise), the connection closed without one, or no answer yet. */
export type ConnectAnswer = { answer: 'CONNACK'; code: number; sessionPresent: boolean; sessionExpiry: number | null } | { answer: 'closed' } | { answer: 'none' };

export function connectAnswer(trace: readonly TraceEntry[]): ConnectAnswer {
  for (const entry of trace) {
    if (entry.type === 'CLOSED') return { answer: 'closed' };
    if (entry.direction === 'received' && entry.type === 'CONNACK') {
      return { answer: 'CONNACK', code: entry.reasonCode ?? 0, sessionPresent: entry.sessionPresent === true, sessionExpiry: entry.sessionExpiry ?? null };
    }
  }
  return { answer: 'none' };
}

/** What became of a SUBSCRIBE: the code its SUBACK gave the filter, a DISCONNECT (MQTT 5) or the connection closed instead, or nothing yet. */
export type SubscribeAnswer = { answer: 'SUBACK'; code: number } | { answer: 'DISCONNECT'; reasonCode: number } | { answer: 'closed' } | { answer: 'none' };

export function subscribeAnswer(trace: readonly TraceEntry[], filter: string): SubscribeAnswer {
  const sent = trace.findIndex((e) => isPacket(e) && e.direction === 'sent' && e.type === 'SUBSCRIBE' && e.filters?.includes(filter) === true);
  if (sent < 0) return { answer: 'none' };
  const subscribe = trace[sent] as WirePacket;
  for (const entry of trace.slice(sent + 1)) {
    if (entry.type === 'CLOSED') return { answer: 'closed' };
    if (entry.direction !== 'received') continue;
    if (entry.type === 'SUBACK' && entry.messageId === subscribe.messageId) return { answer: 'SUBACK', code: entry.codes?.[subscribe.filters!.indexOf(filter)] ?? 0x80 };
    if (entry.type === 'DISCONNECT') return { answer: 'DISCONNECT', reasonCode: entry.reasonCode ?? 0 };
  }
  return { answer: 'none' };
}

/** The packets a PUBLISH the client sent went through: the QoS it was sent at and each answer in order. */
export interface PublishFlow {
  qos: number;
  /** PUBACK, PUBREC, PUBREL, PUBCOMP with this PUBLISH's id, after it, in order (sent ones included: PUBREL). */
  steps: Array<{ direction: 'sent' | 'received'; type: PacketType; reasonCode?: number }>;
  /** The connection closed before the flow was complete. */
  closed: boolean;
}

const ackTypes: ReadonlySet<PacketType> = new Set(['PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP']);

/** The flow of the sent PUBLISH with this topic and payload, or undefined if it was never sent. */
export function publishFlow(trace: readonly TraceEntry[], topic: string, payload: string): PublishFlow | undefined {
  const sent = trace.findIndex((e) => isPacket(e) && e.direction === 'sent' && e.type === 'PUBLISH' && e.topic === topic && e.payload === payload);
  if (sent < 0) return undefined;
  const publish = trace[sent] as WirePacket;
  const flow: PublishFlow = { qos: publish.qos ?? 0, steps: [], closed: false };
  if (flow.qos === 0) return flow;
  for (const entry of trace.slice(sent + 1)) {
    if (entry.type === 'CLOSED') {
      flow.closed = !complete(flow);
      break;
    }
    if (!ackTypes.has(entry.type) || entry.messageId !== publish.messageId) continue;
    flow.steps.push({ direction: entry.direction, type: entry.type, ...(entry.reasonCode !== undefined ? { reasonCode: entry.reasonCode } : {}) });
    if (complete(flow)) break;
  }
  return flow;
}

/** Whether nothing more can come for this publish: its flow is complete, or the connection closed. */
export function publishEnded(flow: PublishFlow): boolean {
  return flow.qos === 0 || flow.closed || complete(flow);
}

/** The broker's last word on a publish: a PUBACK or a PUBCOMP ends it, as does a refusing PUBREC (0x80 and above). */
function complete(flow: PublishFlow): boolean {
  const last = flow.steps.at(-1);
  if (!last || last.direction !== 'received') return false;
  return last.type === 'PUBACK' || last.type === 'PUBCOMP' || (last.type === 'PUBREC' && (last.reasonCode ?? 0) >= 0x80);
}

/** The first packet the broker answered a publish with: PUBACK for QoS 1, PUBREC for QoS 2. */
export function firstAnswer(flow: PublishFlow): PacketType | undefined {
  return flow.steps.find((step) => step.direction === 'received')?.type;
}

/** A PUBLISH the client received, with the packets its flow went through after it (PUBACK sent; PUBREC sent, PUBREL received, PUBCOMP sent). */
export interface Delivery {
  topic: string;
  payload: string;
  qos: number;
  steps: PacketType[];
}

/** The PUBLISH packets received, in order; on a topic when one is given. */
export function deliveries(trace: readonly TraceEntry[], topic?: string): Delivery[] {
  const found: Delivery[] = [];
  const open = new Map<number, Delivery>();
  for (const entry of trace) {
    if (!isPacket(entry)) continue;
    if (entry.direction === 'received' && entry.type === 'PUBLISH') {
      if (topic !== undefined && entry.topic !== topic) continue;
      const delivery: Delivery = { topic: entry.topic ?? '', payload: entry.payload ?? '', qos: entry.qos ?? 0, steps: [] };
      found.push(delivery);
      if (delivery.qos > 0 && entry.messageId !== undefined) open.set(entry.messageId, delivery);
      continue;
    }
    if (!ackTypes.has(entry.type) || entry.messageId === undefined) continue;
    const delivery = open.get(entry.messageId);
    // A PUBACK or PUBREC the client sent, a PUBREL it received, a PUBCOMP it sent: the flow of a delivery, not of its own publish.
    const ofDelivery = (entry.direction === 'sent') === (entry.type !== 'PUBREL');
    if (!delivery || !ofDelivery) continue;
    delivery.steps.push(entry.type);
    if (entry.type === 'PUBACK' || entry.type === 'PUBCOMP') open.delete(entry.messageId);
  }
  return found;
}

/** The DISCONNECT the broker sent, if it sent one: its reason code. */
export function brokerDisconnect(trace: readonly TraceEntry[]): number | undefined {
  const packet = trace.find((e): e is WirePacket => isPacket(e) && e.direction === 'received' && e.type === 'DISCONNECT');
  return packet ? (packet.reasonCode ?? 0) : undefined;
}

/** How the broker answered each PUBLISH sent on a topic, keyed by payload: the first packet it answered with, or none. */
export function publishAnswers(trace: readonly TraceEntry[], topic: string): Map<string, PacketType | 'none'> {
  const answers = new Map<string, PacketType | 'none'>();
  const waiting = new Map<number, string>();
  for (const entry of trace) {
    if (!isPacket(entry)) continue;
    if (entry.direction === 'sent' && entry.type === 'PUBLISH' && entry.topic === topic) {
      answers.set(entry.payload ?? '', 'none');
      if (entry.messageId !== undefined) waiting.set(entry.messageId, entry.payload ?? '');
    } else if (entry.direction === 'received' && ackTypes.has(entry.type) && entry.messageId !== undefined && waiting.has(entry.messageId)) {
      answers.set(waiting.get(entry.messageId)!, entry.type);
      waiting.delete(entry.messageId);
    }
  }
  return answers;
}
