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
    if (typeof chunk === 'string') offset += joined.write(chunk, offset, encoding);
    else if (chunk.length < 16) {
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
