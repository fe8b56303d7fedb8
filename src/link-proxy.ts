/**
 * A TCP relay on loopback that can cut the link to the broker and restore it: what a producer sees
 * when the broker goes away, without taking away the consumers' sessions.
 */
import net from 'node:net';

export class LinkProxy {
  private server: net.Server | undefined;
  private readonly links = new Set<net.Socket>();
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
      for (const socket of [client, upstream]) {
        this.links.add(socket);
        socket.once('close', () => this.links.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** The broker is gone: open links are cut and new ones refused until restore(). */
  cut(): void {
    this.up = false;
    for (const socket of this.links) socket.destroy();
  }

  restore(): void {
    this.up = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
