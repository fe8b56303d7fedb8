/**
 * Holds back everything the client sends (acknowledgements first of all) while received messages are
 * not yet recorded, and lets it go once they are.
 *
 * MQTT.js handles one packet at a time, so making it wait for each checkpoint write would allow one
 * message per disk write. Instead it acknowledges at once, and the PUBACK (or PUBREC) it writes waits
 * here, at the transport, until the batch that records the message is durable. Ordering is kept: bytes
 * leave in the order MQTT.js wrote them.
 */
import { Duplex } from 'node:stream';

export interface GateMark {
  stream: GatedStream;
  count: number;
}

class GatedStream extends Duplex {
  readonly held: Buffer[] = [];

  constructor(
    private readonly socket: Duplex,
    private readonly gate: AcknowledgementGate,
  ) {
    super({ allowHalfOpen: false });
    socket.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (error) => this.destroy(error));
    socket.on('close', () => this.destroy());
    socket.on('connect', () => this.emit('connect'));
    socket.on('secureConnect', () => this.emit('secureConnect'));
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.gate.frozen) {
      callback();
      return;
    }
    if (this.gate.holding) this.held.push(chunk);
    else this.socket.write(chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    // A clean close sends what is held only if the gate allows it; otherwise it is dropped unsent.
    if (!this.gate.holding) this.releaseHeld(this.held.length);
    this.socket.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    this.held.length = 0;
    this.socket.destroy();
    callback(error);
  }

  releaseHeld(count: number): void {
    const chunks = this.held.splice(0, count);
    if (chunks.length === 0 || this.destroyed || this.socket.destroyed) return;
    this.socket.write(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  }
}

export class AcknowledgementGate {
  holding = false;
  /** Nothing written from now on leaves: see freeze(). */
  frozen = false;
  private current: GatedStream | undefined;

  /** The stream builder hook: MQTT.js talks to the returned stream instead of the socket. */
  wrap = (socket: Duplex): Duplex => {
    this.current = new GatedStream(socket, this);
    return this.current;
  };

  /** Something was received and is not yet recorded durably: hold what the client sends. */
  hold(): void {
    this.holding = true;
  }

  /**
   * A message arrived that will not be recorded (the consumer is stopping): from here on nothing the
   * client writes leaves, its acknowledgement included, so the broker keeps it for the next session.
   * What was held before still goes out once its batch is recorded.
   */
  freeze(): void {
    this.frozen = true;
  }

  /** What is held so far belongs to the batch about to be recorded. */
  mark(): GateMark | undefined {
    return this.current ? { stream: this.current, count: this.current.held.length } : undefined;
  }

  /** The batch is recorded: send what was held for it; keep holding if newer records wait. */
  release(mark: GateMark | undefined, stillPending: boolean): void {
    if (mark) mark.stream.releaseHeld(mark.count);
    if (!stillPending) {
      this.holding = false;
      if (this.current && this.current.held.length > 0) this.current.releaseHeld(this.current.held.length);
    }
  }
}
