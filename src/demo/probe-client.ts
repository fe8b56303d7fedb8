/**
 * The probes' client: a connection whose every packet, sent and received, is recorded in order, with
 * the end of the connection, so that each finding is read from the packets exchanged.
 *
 * Why MQTT.js's documented 'packetsend' and 'packetreceive' events rather than a client of our own:
 * they carry each packet as mqtt-packet serialised it onto the socket or parsed it off it, before the
 * client's handlers act on it, so the record is the wire; and MQTT.js keeps the URLs (mqtt://, mqtts://)
 * and TLS the commands accept. The probes never read its callbacks (a publish completed,
 * the granted list of subscribe, the 'connect' packet): those can complete a publish that the broker
 * answered with the wrong packet.
 */
import { connect, type IClientOptions, type MqttClient, type Packet } from 'mqtt';
import { connectAnswer, type ConnectAnswer, type PacketType, type TraceEntry, type WirePacket } from '../core/packet-trace.js';

const connectTimeoutMs = 5000;

/** The fields of an MQTT.js packet that the trace keeps, under its own names. */
function wirePacket(direction: WirePacket['direction'], packet: Packet): WirePacket {
  const recorded: WirePacket = { direction, type: packet.cmd.toUpperCase() as PacketType };
  if ('messageId' in packet && packet.messageId !== undefined) recorded.messageId = packet.messageId;
  switch (packet.cmd) {
    case 'publish':
      Object.assign(recorded, { qos: packet.qos, topic: packet.topic, payload: packet.payload.toString() });
      break;
    case 'subscribe':
      Object.assign(recorded, { filters: packet.subscriptions.map((s) => s.topic), qos: packet.subscriptions[0]?.qos });
      break;
    case 'suback':
      recorded.codes = packet.granted.map((code) => (typeof code === 'number' ? code : Number((code as { qos?: number }).qos ?? 0x80)));
      break;
    case 'connack':
      Object.assign(recorded, { reasonCode: packet.reasonCode ?? packet.returnCode ?? 0, sessionPresent: packet.sessionPresent });
      if (packet.properties?.sessionExpiryInterval !== undefined) recorded.sessionExpiry = packet.properties.sessionExpiryInterval;
      break;
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
    case 'disconnect':
      if (packet.reasonCode !== undefined) recorded.reasonCode = packet.reasonCode;
      break;
  }
  return recorded;
}

export class RecordedConnection {
  readonly trace: TraceEntry[] = [];
  /** The socket's error, when there was one (a refused connection, a TLS failure). */
  error: string | undefined;
  private readonly waiting = new Set<() => void>();

  private constructor(private readonly client: MqttClient) {
    client.on('packetsend', (packet) => this.record(wirePacket('sent', packet)));
    client.on('packetreceive', (packet) => this.record(wirePacket('received', packet)));
    client.on('close', () => {
      if (this.trace.at(-1)?.type !== 'CLOSED') this.record({ direction: 'received', type: 'CLOSED' });
    });
    // What went wrong is in the trace (a refusing CONNACK, a DISCONNECT, the end of the connection).
    client.on('error', (error) => void (this.error ??= error.message));
  }

  /** Connects once, never again on its own: resolves with what the CONNECT came to, read from the trace. */
  static async open(url: string, options: IClientOptions): Promise<{ connection: RecordedConnection; answer: ConnectAnswer }> {
    // manualConnect: the listeners are on before the CONNECT is written, so that it is recorded too.
    const client = connect(url, { reconnectPeriod: 0, connectTimeout: connectTimeoutMs, ...options, manualConnect: true });
    const connection = new RecordedConnection(client);
    client.connect();
    await connection.waitFor((entry) => entry.type === 'CONNACK' || entry.type === 'CLOSED', connectTimeoutMs + 1000);
    const answer = connectAnswer(connection.trace);
    if (answer.answer !== 'CONNACK' || answer.code !== 0) connection.client.end(true);
    return { connection, answer };
  }

  get closed(): boolean {
    return this.trace.at(-1)?.type === 'CLOSED';
  }

  /** Sends a SUBSCRIBE; its answer is read from the trace. */
  subscribe(filter: string, qos: 0 | 1 | 2): void {
    this.client.subscribe(filter, { qos }, () => {});
  }

  /** Sends a PUBLISH; its answers are read from the trace. */
  publish(topic: string, payload: string, qos: 0 | 1 | 2): void {
    this.client.publish(topic, payload, { qos }, () => {});
  }

  /**
   * Waits for an entry of the trace, from index `from` on, that matches: its index, or -1 after
   * timeoutMs or once the connection has closed without one.
   */
  waitFor(match: (entry: TraceEntry) => boolean, timeoutMs: number, from = 0): Promise<number> {
    const found = (): number => {
      for (let i = from; i < this.trace.length; i++) if (match(this.trace[i]!)) return i;
      from = this.trace.length;
      return this.closed ? -1 : -2;
    };
    const now = found();
    if (now !== -2) return Promise.resolve(now);
    return new Promise((resolve) => {
      const check = (): void => {
        const index = found();
        if (index === -2) return;
        finish(index);
      };
      const finish = (index: number): void => {
        clearTimeout(timer);
        this.waiting.delete(check);
        resolve(index);
      };
      const timer = setTimeout(() => finish(-1), timeoutMs);
      this.waiting.add(check);
    });
  }

  /** Waits until no packet has come for quietMs (bounded by timeoutMs). */
  async quiet(quietMs: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const index = await this.waitFor(() => true, quietMs, this.trace.length);
      if (index < 0) return;
    }
  }

  /** Ends the connection with a DISCONNECT (or at once when `force`), bounded in time. */
  async end(force = false): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.client.end(true);
        resolve();
      }, 3000);
      this.client.end(force, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private record(entry: TraceEntry): void {
    this.trace.push(entry);
    for (const check of [...this.waiting]) check();
  }
}
