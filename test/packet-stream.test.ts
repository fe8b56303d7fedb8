import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { describe, it } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { GatheringPacketStream, joinPieces, PacketStream } from '../src/mqtt/packet-stream.js';

const publish: mqttPacket.IPublishPacket = {
  cmd: 'publish',
  topic: 'température/∆',
  payload: '42',
  qos: 1,
  messageId: 513,
  dup: false,
  retain: false,
  properties: { userProperties: { 'producer-id': 'capteur-é', 'run-id': 'a1b2c3d4', 'sent-at': '1764460800000' } },
};

/** A listening socket on a free port and a client connected to it: both ends of a real TCP link. */
async function socketPair(): Promise<{ client: net.Socket; server: net.Socket; close: () => void }> {
  const listener = net.createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const accepted = once(listener, 'connection');
  const client = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
  const [server] = (await accepted) as [net.Socket];
  await once(client, 'connect').catch(() => undefined);
  return {
    client,
    server,
    close: () => {
      client.destroy();
      server.destroy();
      listener.close();
    },
  };
}

describe('the packet stream: what MQTT.js writes in pieces leaves in one socket write', () => {
  it('pieces of buffers and strings, multi-byte UTF-8 among them, joined in order into the exact bytes', () => {
    const pieces = [
      { chunk: Buffer.from([0x32]), encoding: 'buffer' as BufferEncoding },
      { chunk: 'température/∆', encoding: 'utf8' as BufferEncoding },
      { chunk: Buffer.alloc(40, 7), encoding: 'buffer' as BufferEncoding },
      { chunk: '', encoding: 'utf8' as BufferEncoding },
      { chunk: '😀 ok', encoding: 'utf8' as BufferEncoding },
    ];
    const expected = Buffer.concat(pieces.map(({ chunk }) => (typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk)));
    assert.deepEqual(joinPieces(pieces), expected);
  });

  for (const Stream of [PacketStream, GatheringPacketStream]) {
  it(`${Stream.name}: MQTT.js's way of writing (corked, a piece at a time) gives the bytes mqtt-packet would generate whole, as one socket write`, async () => {
    const { client, server, close } = await socketPair();
    try {
      const writes: number[] = [];
      const write = client.write.bind(client);
      client.write = ((bytes: Buffer, ...rest: never[]) => {
        writes.push(bytes.length);
        return write(bytes, ...rest);
      }) as typeof client.write;
      const stream = new Stream(client);
      const packets = Array.from({ length: 100 }, (_, i) => ({ ...publish, messageId: i + 1, payload: String(i + 1) }));
      for (const packet of packets) mqttPacket.writeToStream(packet, stream, { protocolVersion: 5 });
      const expected = Buffer.concat(packets.map((packet) => mqttPacket.generate(packet, { protocolVersion: 5 })));
      const received: Buffer[] = [];
      let length = 0;
      server.on('data', (chunk: Buffer) => {
        received.push(chunk);
        length += chunk.length;
      });
      while (length < expected.length) await once(server, 'data');
      assert.deepEqual(Buffer.concat(received), expected);
      assert.deepEqual(writes, [expected.length]);
    } finally {
      close();
    }
  });
  }

  it('a peer that does not read holds the writer back: the next write waits until the socket drains', async () => {
    const { client, server, close } = await socketPair();
    try {
      server.pause();
      const stream = new PacketStream(client);
      const block = Buffer.alloc(1 << 20, 1);
      let callbacks = 0;
      // Far more than the kernel's buffers take: the socket fills, and the stream must stop calling back.
      for (let i = 0; i < 64; i++) stream.write(block, () => callbacks++);
      await new Promise((resolve) => setImmediate(resolve));
      const whilePaused = callbacks;
      assert.ok(whilePaused < 64, `all ${whilePaused} writes were taken while the peer read nothing`);
      let read = 0;
      server.on('data', (chunk: Buffer) => (read += chunk.length));
      server.resume();
      while (callbacks < 64) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(callbacks, 64);
      while (read < 64 * block.length) await new Promise((resolve) => setTimeout(resolve, 10));
    } finally {
      close();
    }
  });

  it('the gathering stream: a turn that writes past the high-water mark is told to wait, and told to go on once the socket has taken it', async () => {
    const { client, server, close } = await socketPair();
    try {
      server.pause();
      const stream = new GatheringPacketStream(client);
      const piece = Buffer.alloc(1024, 2);
      let taken = 0;
      // MQTT.js's way: write() until it returns false, then wait for 'drain'; the peer reads nothing meanwhile.
      while (!client.writableNeedDrain) {
        const answers: boolean[] = [];
        for (let i = 0; i < 64; i++) {
          answers.push(stream.write(piece));
          taken += piece.length;
        }
        assert.equal(answers.at(-1), false, 'a turn of 64 KiB is past the high-water mark');
        const drained = once(stream, 'drain');
        await new Promise((resolve) => setImmediate(resolve));
        // The socket took the turn's bytes: go on.
        if (!client.writableNeedDrain) await drained;
      }
      let drained = false;
      stream.once('drain', () => (drained = true));
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(drained, false, "no 'drain' while the socket is full");
      let read = 0;
      server.on('data', (chunk: Buffer) => (read += chunk.length));
      server.resume();
      while (!drained) await once(stream, 'drain');
      while (read < taken) await once(server, 'data');
      assert.equal(read, taken, 'every byte written reached the peer');
    } finally {
      close();
    }
  });

  it('the gathering stream: what is written in the turn that ends the stream reaches the peer before the end', async () => {
    const { client, server, close } = await socketPair();
    try {
      const stream = new GatheringPacketStream(client);
      const received: Buffer[] = [];
      server.on('data', (chunk: Buffer) => received.push(chunk));
      const ended = once(server, 'end');
      mqttPacket.writeToStream(publish, stream, { protocolVersion: 5 });
      mqttPacket.writeToStream({ cmd: 'disconnect' }, stream, { protocolVersion: 5 });
      stream.end();
      await ended;
      const expected = Buffer.concat([mqttPacket.generate(publish, { protocolVersion: 5 }), mqttPacket.generate({ cmd: 'disconnect' }, { protocolVersion: 5 })]);
      assert.deepEqual(Buffer.concat(received), expected);
    } finally {
      close();
    }
  });
});
