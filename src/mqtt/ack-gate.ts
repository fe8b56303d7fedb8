/**
 * Holds back the acknowledgements the client sends (PUBACK, PUBREC) while the messages they acknowledge
 * are not yet recorded, and lets them go once they are. Every other packet (PINGREQ, SUBSCRIBE,
 * DISCONNECT) leaves at once.
 *
 * MQTT.js handles one packet at a time, so making it wait for each checkpoint write would allow one
 * message per disk write. Instead it acknowledges at once, and the acknowledgement it writes waits here,
 * at the transport, until the batch that records the message is durable. Acknowledgements leave in the
 * order MQTT.js wrote them, as MQTT asks.
 *
 * While as many acknowledgements are held as the broker may have messages in flight (the Receive
 * Maximum the client asked for), the socket is not read: a broker that sends past that window would
 * otherwise grow what this process holds until the next checkpoint, however late a slow disk makes it.
 * The checkpoint comes at the end of the turn that filled the window, so a pause lasts about one save.
 */
import type { Duplex } from 'node:stream';
import { GatheringPacketStream } from './packet-stream.js';
import { FrameQueue, PacketFramer, packetType } from '../core/packet-frames.js';

export interface GateMark {
  stream: GatedStream;
  count: number;
}

const isAcknowledgement = (type: number): boolean => type === packetType.puback || type === packetType.pubrec;

class GatedStream extends GatheringPacketStream {
  readonly held = new FrameQueue();
  private readonly framer = new PacketFramer();

  constructor(
    socket: Duplex,
    private readonly gate: AcknowledgementGate,
  ) {
    super(socket);
  }

  /**
   * What may leave now goes to the socket in one write; acknowledgements wait while the gate holds.
   * Packets that leave side by side leave as the one piece of the bytes they are.
   */
  protected override pass(bytes: Buffer): boolean {
    const out: Buffer[] = [];
    let run: Buffer | undefined;
    let runStart = 0;
    let runEnd = 0;
    this.framer.scan(bytes, (type, source, start, end) => {
      if (isAcknowledgement(type)) {
        if (this.gate.frozen) return;
        if (this.gate.holding) {
          this.held.add(source, start, end);
          return;
        }
      }
      if (run === source && runEnd === start) {
        runEnd = end;
        return;
      }
      if (run) out.push(run.subarray(runStart, runEnd));
      run = source;
      runStart = start;
      runEnd = end;
    });
    if (run) out.push(run.subarray(runStart, runEnd));
    if (this.held.count >= this.gate.maxHeld) this.socket.pause();
    return out.length === 0 || this.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
  }

  /**
   * A clean close (after MQTT.js's DISCONNECT) sends what is held only if the gate allows it, then reads
   * and drops whatever the broker still sends until it closes its side: closing a socket with unread
   * data in it sends a reset, and a reset makes the broker drop what it had received but not yet read,
   * the last acknowledgements among it.
   */
  override _final(callback: (error?: Error | null) => void): void {
    this.flush();
    if (!this.gate.holding) this.releaseHeld(this.held.count);
    this.stopReading();
    this.socket.on('data', () => {});
    this.socket.resume();
    this.socket.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    this.held.clear();
    super._destroy(error, callback);
  }

  /** MQTT.js wants more: read on, unless the window is held. */
  override _read(): void {
    if (this.held.count < this.gate.maxHeld) super._read();
  }

  releaseHeld(count: number): void {
    const released = this.held.take(count);
    if (released === undefined || this.destroyed || this.socket.destroyed) return;
    this.socket.write(released);
    // Read on; if MQTT.js has not taken what was read before, the stream pauses the socket again.
    if (this.held.count < this.gate.maxHeld) this.socket.resume();
  }
}

export class AcknowledgementGate {
  holding = false;
  /** No acknowledgement written from now on leaves: see freeze(). */
  frozen = false;
  private current: GatedStream | undefined;

  /** maxHeld: the acknowledgements held at which the socket stops being read (the Receive Maximum asked for). */
  constructor(readonly maxHeld = Number.POSITIVE_INFINITY) {}

  /** The stream builder hook: MQTT.js talks to the returned stream instead of the socket. */
  wrap = (socket: Duplex): Duplex => {
    this.current = new GatedStream(socket, this);
    return this.current;
  };

  /** Something was received and is not yet recorded durably: hold the acknowledgements. */
  hold(): void {
    this.holding = true;
  }

  /**
   * A message arrived that will not be recorded (the consumer is stopping): from here on no
   * acknowledgement leaves, so the broker keeps the message for the next session. What was held before
   * still goes out once its batch is recorded.
   */
  freeze(): void {
    this.frozen = true;
  }

  /** What is held so far belongs to the batch about to be recorded. */
  mark(): GateMark | undefined {
    return this.current ? { stream: this.current, count: this.current.held.count } : undefined;
  }

  /** The batch is recorded: send what was held for it; keep holding if newer records wait. */
  release(mark: GateMark | undefined, stillPending: boolean): void {
    if (mark) mark.stream.releaseHeld(mark.count);
    if (!stillPending) {
      this.holding = false;
      if (this.current && this.current.held.count > 0) this.current.releaseHeld(this.current.held.count);
    }
  }
}
