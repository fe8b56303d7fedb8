import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seeded } from './support/random.js';
import mqttPacket from 'mqtt-packet';
import { FrameQueue, PacketFramer, packetType } from '../src/core/packet-frames.js';

const encode = (packet: mqttPacket.Packet): Buffer => mqttPacket.generate(packet, { protocolVersion: 5 });

describe('packet frames: an MQTT byte stream cut into whole packets', () => {
  const puback = encode({ cmd: 'puback', messageId: 7 });
  const pingreq = encode({ cmd: 'pingreq' });
  // A Remaining Length of 2 bytes (over 127) and one of 3 bytes (over 16,383).
  const medium = encode({ cmd: 'publish', topic: 't', payload: Buffer.alloc(200), qos: 1, messageId: 1, dup: false, retain: false });
  const large = encode({ cmd: 'publish', topic: 't', payload: Buffer.alloc(20_000), qos: 0, dup: false, retain: false });

  it('packets written whole, one after another in one chunk, come out one by one with their type', () => {
    const frames = new PacketFramer().push(Buffer.concat([puback, pingreq, medium, large]));
    assert.deepEqual(
      frames.map((frame) => frame.type),
      [packetType.puback, packetType.pingreq, packetType.publish, packetType.publish],
    );
    assert.deepEqual(frames.map((frame) => frame.bytes.length), [puback.length, pingreq.length, medium.length, large.length]);
    assert.ok(frames[3]!.bytes.equals(large));
  });

  it('a stream written a byte at a time gives the same packets, each once its last byte came', () => {
    const stream = Buffer.concat([large, puback, medium]);
    const framer = new PacketFramer();
    const completedAt: number[] = [];
    const frames = [];
    for (let i = 0; i < stream.length; i++) {
      const done = framer.push(stream.subarray(i, i + 1));
      if (done.length > 0) completedAt.push(i + 1);
      frames.push(...done);
    }
    assert.deepEqual(completedAt, [large.length, large.length + puback.length, stream.length]);
    assert.ok(Buffer.concat(frames.map((frame) => frame.bytes)).equals(stream));
  });

  it('a header split inside its Remaining Length waits for the rest', () => {
    const framer = new PacketFramer();
    assert.deepEqual(framer.push(large.subarray(0, 2)), []);
    assert.deepEqual(framer.push(large.subarray(2, 3)), []);
    const frames = framer.push(large.subarray(3));
    assert.equal(frames.length, 1);
    assert.ok(frames[0]!.bytes.equals(large));
  });

  it('a Remaining Length of more than four bytes is malformed', () => {
    assert.throws(() => new PacketFramer().push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])), /malformed MQTT Remaining Length/);
  });
});

describe('packet frames: scanned where they lie', () => {
  it('visits each whole packet with its type and its place in the bytes, a tail kept for the next chunk', () => {
    const puback = encode({ cmd: 'puback', messageId: 9 });
    const pingreq = encode({ cmd: 'pingreq' });
    const stream = Buffer.concat([puback, pingreq, puback]);
    const framer = new PacketFramer();
    const seen: Array<[number, number, number]> = [];
    const visit = (type: number, source: Buffer, start: number, end: number): void => void seen.push([type, start, end]);
    framer.scan(stream.subarray(0, puback.length + 1), visit);
    assert.deepEqual(seen, [[packetType.puback, 0, puback.length]]);
    framer.scan(stream.subarray(puback.length + 1), visit);
    // The second call's source is the kept tail and the new chunk together.
    assert.deepEqual(seen.slice(1), [
      [packetType.pingreq, 0, pingreq.length],
      [packetType.puback, pingreq.length, pingreq.length + puback.length],
    ]);
  });
});

describe('a frame queue: packets held end to end, taken from the front', () => {
  it('gives back what was added, in order, in the counts asked for, growing past its first buffer', () => {
    const queue = new FrameQueue(8);
    const frames = Array.from({ length: 40 }, (_, i) => encode({ cmd: 'puback', messageId: i + 1 }));
    for (const frame of frames) queue.add(frame, 0, frame.length);
    assert.equal(queue.count, 40);
    assert.ok(queue.take(3)!.equals(Buffer.concat(frames.slice(0, 3))));
    assert.equal(queue.count, 37);
    assert.ok(queue.take(100)!.equals(Buffer.concat(frames.slice(3))));
    assert.equal(queue.count, 0);
    assert.equal(queue.take(1), undefined);
  });

  it('a taken Buffer is its own: what is added later does not change it', () => {
    const queue = new FrameQueue(4);
    queue.add(Buffer.from([1, 2, 3, 4]), 0, 4);
    queue.add(Buffer.from([5, 6]), 0, 2);
    const first = queue.take(1)!;
    queue.add(Buffer.from([7, 8, 9, 10]), 0, 4);
    assert.deepEqual([...first], [1, 2, 3, 4]);
    assert.deepEqual([...queue.take(2)!], [5, 6, 7, 8, 9, 10]);
  });

  it('holds what a list of Buffers would, whatever the adds, takes and clears (300 seeded cases)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const random = seeded(seed);
      const queue = new FrameQueue(1 + random(16));
      let model: Buffer[] = [];
      for (let step = 0; step < 60; step++) {
        const action = random(10);
        if (action < 6) {
          const source = Buffer.from(Array.from({ length: 1 + random(40) }, () => random(256)));
          const start = random(source.length);
          const end = start + 1 + random(source.length - start);
          queue.add(source, start, end);
          model.push(Buffer.from(source.subarray(start, end)));
        } else if (action < 9) {
          const count = random(6);
          const expected = model.slice(0, count);
          model = model.slice(count);
          const taken = queue.take(count);
          if (expected.length === 0) assert.equal(taken, undefined, `seed ${seed} step ${step}`);
          else assert.ok(taken!.equals(Buffer.concat(expected)), `seed ${seed} step ${step}`);
        } else {
          queue.clear();
          model = [];
        }
        assert.equal(queue.count, model.length, `seed ${seed} step ${step}`);
      }
    }
  });
});
