/**
 * What this program relies on in MQTT.js beyond its README (src/mqtt/client-internals.ts), checked
 * against the installed MQTT.js and a real Mosquitto. A newer MQTT.js that breaks one fails here.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Duplex } from 'node:stream';
import { connectAsync, MqttClient, Store, type IClientOptions, type IPublishPacket } from 'mqtt';
import { PacketFramer, packetType } from '../src/core/packet-frames.js';
import { isKeepaliveTimeout, ownReconnectPeriodMs, reconnectKeepingStores } from '../src/mqtt/client-internals.js';
import { mosquittoSkip, TestMosquitto } from './support/mosquitto.js';

/** A TCP relay to the broker that can go silent, as a dead link does: nothing passes either way. */
class SilentableLink {
  silent = false;
  private readonly server = net.createServer((client) => {
    const broker = net.connect(this.brokerPort, '127.0.0.1');
    client.on('data', (data) => this.silent || broker.write(data));
    broker.on('data', (data) => this.silent || client.write(data));
    client.on('close', () => broker.destroy());
    broker.on('close', () => client.destroy());
    client.on('error', () => broker.destroy());
    broker.on('error', () => client.destroy());
  });
  port = 0;

  constructor(private readonly brokerPort: number) {}

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  close(): void {
    this.server.close();
  }
}

const once = <T>(client: MqttClient, event: 'connect' | 'error' | 'close'): Promise<T> => new Promise((resolve) => client.once(event, resolve as () => void));

describe('MQTT.js internals this program relies on', { skip: mosquittoSkip() }, () => {
  let broker: TestMosquitto;
  before(async () => {
    broker = await new TestMosquitto().start();
  });
  after(() => broker.dispose());

  it('a dead link ends in the keep-alive timeout error; a QoS 1 message in flight is sent again after reconnecting with the same stores', async () => {
    const link = await new SilentableLink(broker.port).start();
    const receiver = await connectAsync(broker.url, { clientId: 'internals-receiver', reconnectPeriod: 0 });
    await receiver.subscribeAsync('internals/flight', { qos: 1 });
    const delivered: string[] = [];
    receiver.on('message', (_topic, payload) => delivered.push(payload.toString()));

    const stores = { incomingStore: new Store(), outgoingStore: new Store() };
    const options: IClientOptions = { clientId: 'internals-sender', keepalive: 1, reconnectPeriod: ownReconnectPeriodMs, clean: true, ...stores };
    const sender = new MqttClient(() => net.connect(link.port, '127.0.0.1'), options);
    await once(sender, 'connect');
    let reconnectsByItself = 0;
    sender.on('reconnect', () => reconnectsByItself++);

    link.silent = true;
    const acknowledged = new Promise<Error | undefined>((resolve) => sender.publish('internals/flight', 'in flight', { qos: 1 }, (error) => resolve(error ?? undefined)));
    const error = await once<Error>(sender, 'error');
    assert.equal(isKeepaliveTimeout(error), true, `the error of a dead link: ${error.message}`);
    await once(sender, 'close');
    assert.equal(sender.connected, false);

    link.silent = false;
    reconnectKeepingStores(sender, stores);
    // Bounded: a newer MQTT.js that forgets the message never calls back at all.
    let bound: NodeJS.Timeout | undefined;
    const forgotten = new Promise<string>((resolve) => (bound = setTimeout(() => resolve('never acknowledged within 15 s'), 15_000)));
    assert.equal(await Promise.race([acknowledged, forgotten]), undefined, 'the message in flight is acknowledged on the next connection');
    clearTimeout(bound);
    assert.equal(reconnectsByItself, 1, 'one attempt: the one asked for, none by MQTT.js itself');
    while (delivered.length === 0) await new Promise((resolve) => receiver.once('message', resolve));
    assert.deepEqual(delivered, ['in flight']);
    await sender.endAsync();
    await receiver.endAsync();
    link.close();
  });

  for (const qos of [1, 2] as const) {
    it(`at QoS ${qos}, the acknowledgement of a PUBLISH is written after its 'packetreceive' and before the next packet's`, async () => {
      const log: string[] = [];
      let completed = 0;
      const framer = new PacketFramer();
      const recordWrites = (socket: Duplex): Duplex => {
        const write = socket.write.bind(socket) as (chunk: Buffer, ...rest: unknown[]) => boolean;
        socket.write = ((chunk: Buffer, ...rest: unknown[]) => {
          for (const frame of framer.push(Buffer.from(chunk))) {
            if (frame.type === packetType.puback || frame.type === packetType.pubrec) log.push(`ack ${frame.bytes.readUInt16BE(2)}`);
            if (frame.type === packetType.pubcomp) completed++;
          }
          return write(chunk, ...rest);
        }) as typeof socket.write;
        return socket;
      };
      const consumer = new MqttClient(() => recordWrites(net.connect(broker.port, '127.0.0.1')), { clientId: `internals-order-${qos}`, protocolVersion: 5, reconnectPeriod: 0 });
      await once(consumer, 'connect');
      consumer.on('packetreceive', (packet) => {
        if (packet.cmd === 'publish') log.push(`receive ${(packet as IPublishPacket).messageId}`);
        else log.push(`receive ${packet.cmd}`);
      });
      await consumer.subscribeAsync('internals/order', { qos });
      const count = 50;
      const producer = await connectAsync(broker.url, { clientId: `internals-producer-${qos}`, reconnectPeriod: 0 });
      await Promise.all(Array.from({ length: count }, (_, i) => producer.publishAsync('internals/order', String(i), { qos })));
      const acks = (): number => log.filter((line) => line.startsWith('ack')).length;
      // At QoS 2 the exchange ends with the consumer's PUBCOMP; ending before it is written would write after the end.
      while (acks() < count || (qos === 2 && completed < count)) await new Promise((resolve) => setImmediate(resolve));
      // Each PUBLISH's acknowledgement follows its 'packetreceive' at once: no other packet is received in between.
      log.forEach((line, index) => {
        if (line.startsWith('ack')) assert.equal(log[index - 1], `receive ${line.split(' ')[1]}`, log.slice(Math.max(0, index - 3), index + 1).join(', '));
      });
      assert.equal(log.filter((line) => /^receive \d+$/.test(line)).length, count);
      await producer.endAsync();
      await consumer.endAsync();
    });
  }
});
