/**
 * A TCP relay between a client and a broker for tests that need a link to misbehave in one precise way:
 * cut (both sides closed), stalled (open, carrying nothing), or answering only the CONNACK (the
 * broker's replies after the first packet dropped, as a broker that takes a session but never
 * acknowledges a publish).
 */
import net from 'node:net';
import { after, before } from 'node:test';
import { ChildCommand } from '../../src/demo/processes.js';

export type RelayMode = 'pass' | 'connack-only';

/** The length of the first MQTT packet in data (fixed header: type byte, then a variable-length integer), or undefined if incomplete. */
function firstPacketLength(data: Buffer): number | undefined {
  let length = 0;
  for (let i = 1, shift = 0; i < Math.min(data.length, 5); i++, shift += 7) {
    length += (data[i]! & 0x7f) << shift;
    if ((data[i]! & 0x80) === 0) return i + 1 + length;
  }
  return undefined;
}

export class TestRelay {
  private server: net.Server | undefined;
  private readonly links = new Set<{ client: net.Socket; upstream: net.Socket }>();
  /** How the links made from now on carry the broker's replies. */
  mode: RelayMode = 'pass';
  /** Links opened so far (a client's reconnections counted). */
  opened = 0;
  port = 0;

  constructor(private readonly brokerPort: number) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = net.createServer((client) => {
      this.opened += 1;
      const upstream = net.connect({ host: '127.0.0.1', port: this.brokerPort });
      const link = { client, upstream };
      this.links.add(link);
      const close = (): void => {
        this.links.delete(link);
        client.destroy();
        upstream.destroy();
      };
      for (const socket of [client, upstream]) {
        socket.on('error', close);
        socket.once('close', close);
      }
      client.pipe(upstream);
      if (this.mode === 'pass') {
        upstream.pipe(client);
        return;
      }
      let pending = Buffer.alloc(0);
      let passed = false;
      upstream.on('data', (data: Buffer) => {
        if (passed) return;
        pending = Buffer.concat([pending, data]);
        const length = firstPacketLength(pending);
        if (length === undefined || pending.length < length) return;
        passed = true;
        client.write(pending.subarray(0, length));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** Stops carrying anything on the open links, both ways, keeping them open. */
  stall(): void {
    for (const { client, upstream } of this.links) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      upstream.removeAllListeners('data');
      client.resume();
      upstream.resume();
    }
  }

  /** Closes every open link; new ones are taken as `mode` says. */
  cut(): void {
    for (const { client, upstream } of this.links) {
      client.destroy();
      upstream.destroy();
    }
    this.links.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** A relay to the broker on that port for the tests of a describe block: started before them, closed after them with every command they started. */
export function withRelay(brokerPort: () => number): { readonly relay: TestRelay } {
  let relay: TestRelay | undefined;
  before(async () => {
    relay = await new TestRelay(brokerPort()).start();
  });
  after(async () => {
    await ChildCommand.killAll();
    await relay?.close();
  });
  return {
    get relay() {
      if (!relay) throw new Error('the relay is started by a before hook: read it inside a test');
      return relay;
    },
  };
}
