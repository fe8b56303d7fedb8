/**
 * Cuts a stream of MQTT bytes into whole packets, whatever pieces it is written in: the fixed header's
 * first byte (packet type), the Remaining Length (a variable byte integer), then that many bytes.
 */

/** MQTT control packet types (the high four bits of the first byte). */
export const packetType = { publish: 3, puback: 4, pubrec: 5, pubrel: 6, pubcomp: 7, subscribe: 8, pingreq: 12, disconnect: 14 } as const;

export interface Frame {
  type: number;
  bytes: Buffer;
}

/** Called with each whole packet: its type, and where it lies in source (start inclusive, end exclusive). */
export type FrameVisitor = (type: number, source: Buffer, start: number, end: number) => void;

const empty = Buffer.alloc(0);

export class PacketFramer {
  private pending: Buffer = empty;

  /** The packets completed by this chunk, in order; a packet's tail still to come is kept. */
  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    this.scan(chunk, (type, source, start, end) => frames.push({ type, bytes: source.subarray(start, end) }));
    return frames;
  }

  /** As push(), each packet handed to visit where it lies, without a Buffer or an object made for it. */
  scan(chunk: Buffer, visit: FrameVisitor): void {
    const source = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let offset = 0;
    try {
      for (;;) {
        const length = frameLength(source, offset);
        if (length === undefined || source.length - offset < length) break;
        visit(source[offset]! >> 4, source, offset, offset + length);
        offset += length;
      }
    } finally {
      this.pending = offset === source.length ? empty : source.subarray(offset);
    }
  }
}

/**
 * Packets queued end to end in one buffer that grows as needed, and taken from the front by count: one
 * buffer and a list of numbers however many are held, where a Buffer each would be as many objects for the
 * garbage collector to carry until they leave.
 */
export class FrameQueue {
  private bytes: Buffer;
  private used = 0;
  /** Where each queued packet ends in bytes. */
  private ends: number[] = [];

  constructor(initialBytes = 4096) {
    this.bytes = Buffer.allocUnsafe(initialBytes);
  }

  get count(): number {
    return this.ends.length;
  }

  /** Queues a copy of source[start, end). */
  add(source: Buffer, start: number, end: number): void {
    const length = end - start;
    if (this.used + length > this.bytes.length) {
      const larger = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + length));
      this.bytes.copy(larger, 0, 0, this.used);
      this.bytes = larger;
    }
    source.copy(this.bytes, this.used, start, end);
    this.used += length;
    this.ends.push(this.used);
  }

  /** The first count packets (all, if fewer are queued) in a Buffer of their own, no longer queued; undefined if none. */
  take(count: number): Buffer | undefined {
    const taken = Math.min(count, this.ends.length);
    if (taken <= 0) return undefined;
    const cut = this.ends[taken - 1]!;
    const out = Buffer.from(this.bytes.subarray(0, cut));
    this.bytes.copy(this.bytes, 0, cut, this.used);
    this.used -= cut;
    const rest = this.ends.length - taken;
    for (let i = 0; i < rest; i++) this.ends[i] = this.ends[i + taken]! - cut;
    this.ends.length = rest;
    return out;
  }

  clear(): void {
    this.used = 0;
    this.ends.length = 0;
  }
}

/** The whole packet's length in bytes, the packet starting at offset, once its header is complete; else undefined. */
function frameLength(bytes: Buffer, offset: number): number | undefined {
  let remaining = 0;
  for (let i = 1; i <= 4; i++) {
    if (offset + i >= bytes.length) return undefined;
    const byte = bytes[offset + i]!;
    remaining += (byte & 0x7f) * 128 ** (i - 1);
    if ((byte & 0x80) === 0) return 1 + i + remaining;
  }
  throw new Error('malformed MQTT Remaining Length');
}
