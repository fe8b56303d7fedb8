/**
 * The embedded broker: Aedes (2.0.0-beta.1, the first to speak MQTT 5 with session expiry) in this
 * process, for machines without Mosquitto. Sessions and queued messages live in memory only.
 */
import net from 'node:net';
import { Aedes, type Client } from 'aedes';

export interface RunningBroker {
  kind: 'embedded' | 'mosquitto';
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Aedes restores a returning client's subscriptions before it sends that client's stored backlog, so a
 * value published in between can overtake the backlog. New publishes therefore wait (milliseconds)
 * while a session that may hold a backlog resumes, as Mosquitto delivers it: backlog first, then live.
 */
class ResumeGate {
  private readonly resuming = new Map<Client, NodeJS.Timeout>();
  private waiting: Array<() => void> = [];

  hold(client: Client): void {
    this.release(client, false);
    // A connect that neither completes nor fails within this time must not hold publishes forever.
    const timer = setTimeout(() => this.release(client), 5000);
    timer.unref();
    this.resuming.set(client, timer);
  }

  release(client: Client, open = true): void {
    clearTimeout(this.resuming.get(client));
    this.resuming.delete(client);
    if (open && this.resuming.size === 0) {
      const waiting = this.waiting;
      this.waiting = [];
      for (const go of waiting) go();
    }
  }

  whenOpen(go: () => void): void {
    if (this.resuming.size === 0) go();
    else this.waiting.push(go);
  }
}

/** Starts Aedes on host:port (port 0: any free port). Rejects with EADDRINUSE when the port is taken. */
export async function startEmbeddedBroker(port: number, host = '127.0.0.1'): Promise<RunningBroker> {
  const gate = new ResumeGate();
  const aedes = await Aedes.createBroker({
    receiveMaximum: 1000,
    preConnect: (client, packet, callback) => {
      if (!packet.clean) gate.hold(client);
      callback(null, true);
    },
    authorizePublish: (_client, packet, callback) =>
      gate.whenOpen(() => callback(packet.topic.startsWith('$SYS') ? new Error('$SYS topics are reserved') : null)),
  });
  const release = (client: Client): void => gate.release(client);
  aedes.on('clientReady', release).on('clientDisconnect', release);
  aedes.on('clientError', release).on('connectionError', release);
  const server = net.createServer(aedes.handle);
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;
  return {
    kind: 'embedded',
    url: `mqtt://${host}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => aedes.close(() => resolve()));
      }),
  };
}
