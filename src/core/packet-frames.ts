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

export class PacketFramer {
  private pending: Buffer = Buffer.alloc(0);

  /** The packets completed by this chunk, in order; a packet's tail still to come is kept. */
  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      const length = frameLength(this.pending);
      if (length === undefined || this.pending.length < length) break;
      frames.push({ type: this.pending[0]! >> 4, bytes: this.pending.subarray(0, length) });
      this.pending = this.pending.subarray(length);
    }
    return frames;
  }
}

/** The whole packet's length in bytes once its header is complete, else undefined. */
function frameLength(bytes: Buffer): number | undefined {
  let remaining = 0;
  for (let i = 1; i <= 4; i++) {
    if (i >= bytes.length) return undefined;
    const byte = bytes[i]!;
    remaining += (byte & 0x7f) * 128 ** (i - 1);
    if ((byte & 0x80) === 0) return 1 + i + remaining;
  }
  throw new Error('malformed MQTT Remaining Length');
}
