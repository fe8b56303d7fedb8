import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seeded } from './support/random.js';
import { BufferList } from 'bl';
import { DirectReadList } from '../src/mqtt/direct-reads.js';

/** What a call gave: its value, or the kind of error it threw. */
function outcome(call: () => unknown): unknown {
  try {
    return call();
  } catch (error) {
    return `throws ${(error as Error).name}`;
  }
}

type Reads = Pick<DirectReadList, 'readUInt8' | 'readUInt16BE' | 'readUInt32BE' | 'toString'>;

/** Every read the parser makes, at every offset (and past the end), on both lists. */
function assertSameReads(direct: Reads, reference: Reads, length: number, random: (below: number) => number, context: string): void {
  for (let offset = 0; offset <= length + 4; offset++) {
    for (const read of ['readUInt8', 'readUInt16BE', 'readUInt32BE'] as const) {
      assert.deepEqual(outcome(() => direct[read](offset)), outcome(() => reference[read](offset)), `${context}: ${read}(${offset})`);
    }
    const end = offset + random(40);
    assert.equal(direct.toString('utf8', offset, end), reference.toString('utf8', offset, end), `${context}: toString(utf8, ${offset}, ${end})`);
  }
  assert.equal(direct.toString(), reference.toString(), `${context}: toString()`);
}

describe("the parser's byte list: bl's reads, made without slicing", () => {
  it('reads what bl reads, wherever the buffers were cut and whatever was consumed (500 seeded cases)', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const random = seeded(seed);
      const direct = new DirectReadList();
      const reference = new BufferList();
      for (let step = 0; step < 6; step++) {
        // Bytes of every value, and text with two-, three- and four-byte characters, cut anywhere.
        const chunk = random(3) === 0 ? Buffer.from('aé€😀z'.repeat(1 + random(4))) : Buffer.from(Array.from({ length: random(30) }, () => random(256)));
        direct.append(chunk);
        reference.append(chunk);
        if (random(2) === 0) {
          const bytes = random(direct.length + 2);
          direct.consume(bytes);
          reference.consume(bytes);
        }
        assert.equal(direct.length, reference.length);
        assertSameReads(direct, reference, reference.length, random, `seed ${seed}, step ${step}`);
      }
    }
  });

  it('reads in place when one buffer holds the bytes, and across buffers as bl does', () => {
    const list = new DirectReadList(Buffer.from([0x01, 0x02]));
    list.append(Buffer.from([0x03, 0x04, 0x05]));
    assert.equal(list.readUInt8(2), 0x03);
    assert.equal(list.readUInt16BE(0), 0x0102);
    assert.equal(list.readUInt16BE(1), 0x0203, 'the two bytes lie in two buffers');
    assert.equal(list.readUInt32BE(1), 0x02030405);
    assert.throws(() => list.readUInt16BE(4), RangeError);
    list.consume(3);
    assert.equal(list.readUInt16BE(0), 0x0405);
    assert.equal(new DirectReadList(Buffer.from('topic/€')).toString('utf8', 6, 9), '€');
  });
});
