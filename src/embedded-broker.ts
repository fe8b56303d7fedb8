/**
 * The embedded broker: Aedes (2.0.0-beta.1, the first to speak MQTT 5 with session expiry) in this
 * process, for machines without Mosquitto. Sessions and queued messages live in memory only.
 */
import net from 'node:net';
import { Aedes } from 'aedes';

export interface RunningBroker {
  kind: 'embedded' | 'mosquitto';
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts Aedes on host:port (port 0: any free port). Rejects with EADDRINUSE when the port is taken. */
export async function startEmbeddedBroker(port: number, host = '127.0.0.1'): Promise<RunningBroker> {
  const aedes = await Aedes.createBroker({ receiveMaximum: 1000 });
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
