/**
 * A TCP relay on loopback between a client and the broker, that breaks the link on demand: cut it
 * (both sides see it close), or stall it (a half-open link: the sockets stay open, nothing gets through),
 * without taking away any session on the broker.
 */
import net from 'node:net';

interface Link {
  client: net.Socket;
  upstream: net.Socket;
  stalled: boolean;
}

export class LinkProxy {
  private server: net.Server | undefined;
  private readonly links = new Set<Link>();
  private up = true;
  port = 0;

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = net.createServer((client) => {
      if (!this.up) {
        client.destroy();
        return;
      }
      const upstream = net.connect({ host: this.targetHost, port: this.targetPort });
      const link: Link = { client, upstream, stalled: false };
      this.links.add(link);
      const close = (): void => {
        // A stalled link says nothing, not even that one side has gone.
        if (link.stalled) return;
        this.links.delete(link);
        client.destroy();
        upstream.destroy();
      };
      for (const socket of [client, upstream]) {
        socket.on('error', close);
        socket.once('close', close);
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** The broker is gone: open links are closed and new ones refused until restore(). */
  cut(): void {
    this.up = false;
    for (const link of [...this.links]) {
      link.stalled = false;
      link.client.destroy();
      link.upstream.destroy();
    }
    this.links.clear();
  }

  restore(): void {
    this.up = true;
  }

  /** Half-open: the open links stop carrying anything but stay open; new connections go through. */
  stall(): void {
    for (const link of this.links) {
      link.stalled = true;
      link.client.unpipe(link.upstream);
      link.upstream.unpipe(link.client);
      // Read and drop whatever arrives, as a link that has silently died would.
      link.client.resume();
      link.upstream.resume();
    }
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
