/**
 * The list of received bytes mqtt-packet's parser reads from, in the bundled commands (wired in
 * scripts/build.ts): bl's own BufferList, with the reads the parser makes answered from the buffer that
 * holds them. bl answers each read by slicing a new Buffer first and reading that: about twenty slices
 * per PUBLISH with three user properties, a fifth of the consumer's CPU in a drain. A read whose bytes
 * span two buffers, or anything else, is bl's.
 */
import { BufferList } from 'bl';

/** What of bl's BufferList is used here, as methods (its types declare the reads as properties). */
interface ByteList {
  readonly length: number;
  append(bytes: Buffer): this;
  consume(bytes: number): this;
  getBuffers(): Buffer[];
  readUInt8(offset?: number): number;
  readUInt16BE(offset?: number): number;
  readUInt32BE(offset?: number): number;
  toString(encoding?: BufferEncoding, start?: number, end?: number): string;
}
const ByteList = BufferList as unknown as new (data?: Buffer) => ByteList;

export class DirectReadList extends ByteList {
  /** Set by holds(): the buffer holding the bytes asked for, and where they start in it. */
  private holder: Buffer = Buffer.alloc(0);
  private at = 0;

  /** True when one buffer holds bytes offset .. offset + size - 1 (then holder and at say where). */
  private holds(offset: number, size: number): boolean {
    if (!Number.isInteger(offset) || offset < 0) return false;
    const buffers = this.getBuffers();
    let start = offset;
    for (let i = 0; i < buffers.length; i++) {
      const buffer = buffers[i]!;
      if (start < buffer.length) {
        if (start + size > buffer.length) return false;
        this.holder = buffer;
        this.at = start;
        return true;
      }
      start -= buffer.length;
    }
    return false;
  }

  override readUInt8(offset = 0): number {
    return this.holds(offset, 1) ? this.holder[this.at]! : super.readUInt8(offset);
  }

  override readUInt16BE(offset = 0): number {
    return this.holds(offset, 2) ? this.holder.readUInt16BE(this.at) : super.readUInt16BE(offset);
  }

  override readUInt32BE(offset = 0): number {
    return this.holds(offset, 4) ? this.holder.readUInt32BE(this.at) : super.readUInt32BE(offset);
  }

  override toString(encoding?: BufferEncoding, start?: number, end?: number): string {
    if (typeof start === 'number' && typeof end === 'number' && end > start && this.holds(start, end - start)) {
      return this.holder.toString(encoding, this.at, this.at + end - start);
    }
    return super.toString(encoding, start, end);
  }
}
