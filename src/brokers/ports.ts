/** Ports on this machine: a free one for a private broker, and waiting until one answers. */
import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * A free port for a private broker, below the range the system takes outgoing connections' ports from:
 * a broker restarted on its port (a node killed and started again) would otherwise find it taken, now
 * and then, by some client's connection. Never the same port twice in one process.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  const floor = 10_000;
  if (low - floor >= 1000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = floor + Math.floor(Math.random() * (low - floor));
      if (handedOut.has(port)) continue;
      if (await canListen(port)) {
        handedOut.add(port);
        return port;
      }
    }
  }
  const port = await listenAndClose(0);
  handedOut.add(port);
  return port;
}

const handedOut = new Set<number>();

/** The system's range for outgoing connections' ports (Linux), or its default. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low!, high!];
  } catch {
    // not Linux
  }
  return [32768, 60999];
}

async function canListen(port: number): Promise<boolean> {
  try {
    await listenAndClose(port);
    return true;
  } catch {
    return false;
  }
}

function listenAndClose(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(bound));
    });
  });
}

/** Something already listens on this port of 127.0.0.1 (it answers within timeoutMs). */
export async function portTaken(port: number, timeoutMs = 200): Promise<boolean> {
  try {
    await waitForPort(port, timeoutMs);
    return true;
  } catch {
    return false;
  }
}

export async function waitForPort(port: number, timeoutMs = 5000, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
