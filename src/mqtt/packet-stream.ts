/**
 * The socket as MQTT.js sees it: reads pass through, and what MQTT.js writes in one turn leaves in one
 * socket write. MQTT.js writes a packet in many small pieces (a PUBLISH with three user properties is
 * about twenty, strings among them) and corks the stream until the next tick; handed to the socket, a
 * window of a thousand packets becomes one writev of twenty thousand pieces, which costs more than
 * copying them into one buffer here.
 */
import { Duplex } from 'node:stream';

type Piece = { chunk: Buffer | string; encoding: BufferEncoding };

/** The pieces, strings encoded, in one buffer: one pass, room enough for any UTF-8 (3 bytes a UTF-16 unit). */
export function joinPieces(pieces: readonly Piece[]): Buffer {
  let room = 0;
  for (let i = 0; i < pieces.length; i++) {
    const chunk = pieces[i]!.chunk;
    room += typeof chunk === 'string' ? chunk.length * 3 : chunk.length;
  }
  const joined = Buffer.allocUnsafe(room);
  let offset = 0;
  for (let i = 0; i < pieces.length; i++) {
    const { chunk, encoding } = pieces[i]!;
    if (typeof chunk === 'string') {
      const ascii = chunk.length < 64 && encoding === 'utf8' ? writeAscii(joined, chunk, offset) : -1;
      offset += ascii >= 0 ? ascii : joined.write(chunk, offset, encoding);
    } else if (chunk.length < 16) {
      // Most pieces are a few bytes (a length, an id): a loop costs less than a call into the runtime.
      for (let j = 0; j < chunk.length; j++) joined[offset + j] = chunk[j]!;
      offset += chunk.length;
    } else {
      chunk.copy(joined, offset);
      offset += chunk.length;
    }
  }
  return joined.subarray(0, offset);
}

/**
 * A short string (a topic, a property's name or value, a number) byte by byte: a loop costs less than a
 * call into the runtime. The bytes written, or -1 at the first character outside ASCII (then none count).
 */
function writeAscii(target: Buffer, text: string, offset: number): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return -1;
    target[offset + i] = code;
  }
  return text.length;
}

export class PacketStream extends Duplex {
  private readonly forward = (chunk: Buffer): void => {
    if (!this.push(chunk)) this.socket.pause();
  };

  constructor(protected readonly socket: Duplex) {
    // Strings stay strings until joined: converting each to a Buffer on its own is the garbage avoided here.
    super({ allowHalfOpen: false, decodeStrings: false });
    socket.on('data', this.forward);
    socket.on('end', () => this.push(null));
    socket.on('error', (error) => this.destroy(error));
    socket.on('close', () => this.destroy());
    socket.on('connect', () => this.emit('connect'));
    socket.on('secureConnect', () => this.emit('secureConnect'));
  }

  /** Nothing more the socket reads reaches MQTT.js. */
  protected stopReading(): void {
    this.socket.off('data', this.forward);
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer | string, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.whenSent(this.pass(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk), callback);
  }

  override _writev(pieces: Piece[], callback: (error?: Error | null) => void): void {
    this.whenSent(this.pass(pieces.length === 1 && typeof pieces[0]!.chunk !== 'string' ? pieces[0]!.chunk : joinPieces(pieces)), callback);
  }

  /** The socket's back-pressure is MQTT.js's: the next write waits until the socket has room. */
  private whenSent(socketHasRoom: boolean, callback: () => void): void {
    if (socketHasRoom || this.socket.destroyed) callback();
    else this.socket.once('drain', callback);
  }

  /** What MQTT.js wrote, whole packets or not, on its way to the socket; false when the socket is full. */
  protected pass(bytes: Buffer): boolean {
    return this.socket.write(bytes);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}

type WriteCallback = (error?: Error | null) => void;

/**
 * The producer's stream: a PUBLISH with its user properties is some twenty writes, and at full rate
 * Node's Writable (a call chain and a buffered entry for each) cost more than the packet itself. Here
 * MQTT.js's writes are gathered as they come and leave in one socket write at the end of the turn, when
 * the corked Writable would have sent them. Back-pressure as Writable's: false once a turn's bytes pass
 * the high-water mark or the socket is full, then 'drain' when the socket has room again.
 */
export class GatheringPacketStream extends PacketStream {
  private gathered: Piece[] = [];
  private gatheredLength = 0;
  private flushScheduled = false;
  /** write() returned false: a 'drain' is owed once the socket has room. */
  private drainOwed = false;

  constructor(socket: Duplex) {
    super(socket);
    socket.on('drain', () => this.drainIfOwed());
  }

  override write(chunk: unknown, encodingOrCallback?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean {
    // What MQTT.js does not do (a callback, bytes that are not a Buffer, a write after end) takes Writable's way.
    if (typeof encodingOrCallback === 'function' || callback !== undefined || this.writableEnded || this.destroyed || !(typeof chunk === 'string' || Buffer.isBuffer(chunk))) {
      this.flush();
      return super.write(chunk, encodingOrCallback as BufferEncoding, callback);
    }
    this.gathered.push({ chunk, encoding: encodingOrCallback ?? 'utf8' });
    this.gatheredLength += chunk.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flush);
    }
    if (this.gatheredLength < this.writableHighWaterMark && !this.socket.writableNeedDrain) return true;
    this.drainOwed = true;
    return false;
  }

  /** Nothing is held in Writable's buffer, so there is nothing to cork: writes wait here until the turn ends. */
  override cork(): void {}
  override uncork(): void {}

  protected readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.gathered.length === 0) return;
    const pieces = this.gathered;
    this.gathered = [];
    this.gatheredLength = 0;
    if (this.socket.destroyed) return;
    if (this.pass(pieces.length === 1 && typeof pieces[0]!.chunk !== 'string' ? pieces[0]!.chunk : joinPieces(pieces))) this.drainIfOwed();
  };

  private drainIfOwed(): void {
    if (!this.drainOwed || this.gatheredLength > 0 || this.socket.writableNeedDrain) return;
    this.drainOwed = false;
    this.emit('drain');
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.flush();
    super._final(callback);
  }
}
