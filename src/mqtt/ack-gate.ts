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

/** MQTT's DISCONNECT with no reason code and no properties: the same two bytes in 3.1.1 and 5. */
const disconnectPacket = Buffer.from([0xe0, 0x00]);

class GatedStream extends Duplex {
  readonly held: Buffer[] = [];
  /** The link is being closed by closeGracefully(): the socket is no longer MQTT.js's to destroy. */
  private closing = false;
  private readonly forward = (chunk: Buffer): void => {
    if (!this.push(chunk)) this.socket.pause();
  };

  constructor(
    private readonly socket: Duplex,
    private readonly gate: AcknowledgementGate,
  ) {
    super({ allowHalfOpen: false });
    socket.on('data', this.forward);
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
    if (!this.closing) this.socket.destroy();
    callback(error);
  }

  /**
   * Sends DISCONNECT after everything released so far, then reads and drops whatever the broker still
   * sends until it closes its side. Closing a socket with unread data in it sends a reset, and a reset
   * makes the broker drop what it had received but not yet read: the last acknowledgements among it.
   */
  closeGracefully(timeoutMs: number): Promise<void> {
    this.closing = true;
    const socket = this.socket;
    if (socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => socket.destroy(), timeoutMs);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.off('data', this.forward);
      socket.on('data', () => {});
      socket.resume();
      socket.end(disconnectPacket);
    });
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

  /**
   * Ends the link once everything recorded is acknowledged: nothing more from the client leaves (see
   * freeze()), a DISCONNECT goes out, and the socket closes without a reset. MQTT.js may be ended with
   * force meanwhile: the socket is no longer its to destroy.
   */
  close(timeoutMs = 2000): Promise<void> {
    this.frozen = true;
    return this.current && !this.current.destroyed ? this.current.closeGracefully(timeoutMs) : Promise.resolve();
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
