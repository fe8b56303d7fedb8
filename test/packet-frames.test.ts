import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { PacketFramer, packetType } from '../src/core/packet-frames.js';

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
