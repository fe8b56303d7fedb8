/**
 * The sessions the demo makes on a broker, and their end: every consumer a scenario starts is
 * remembered with the broker that keeps its session, and ended once the scenario is over (or the demo
 * interrupted), so that a broker the demo does not own keeps nothing of it. A session is ended by
 * connecting with its client id and a clean start that keeps nothing after the DISCONNECT (MQTT 5:
 * clean start and session expiry 0; MQTT 3.1.1: clean session).
 */
import { connect } from 'mqtt';

export interface MadeSession {
  clientId: string;
  /** The broker that keeps the session: one address, or a cluster's, separated by commas. */
  url: string;
  /** The address the client was given: the broker, a link in front of it, or a broker of the scenario's own. */
  connectedTo: string;
  protocolVersion: 4 | 5;
}

export interface SessionLeft {
  session: MadeSession;
  reason: string;
}

/** How long ending a session may take on one address. */
const endTimeoutMs = 5000;

const remembered = new Map<string, MadeSession>();

export function rememberSession(session: MadeSession): void {
  remembered.set(`${session.clientId}\n${session.url}`, session);
}

/** The broker at this address is gone, and every session it kept with it: nothing there to end. */
export function forgetSessionsOn(address: string): void {
  for (const [key, session] of remembered) if (session.connectedTo === address) remembered.delete(key);
}

/** Connects to one address with the client id and a clean start, then disconnects; bounded in time. */
async function endOn(address: string, clientId: string, protocolVersion: 4 | 5): Promise<void> {
  const client = connect(address, {
    clientId,
    protocolVersion,
    clean: true,
    reconnectPeriod: 0,
    // The bound is the one below, for the CONNACK and the DISCONNECT together.
    connectTimeout: endTimeoutMs * 2,
    ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 0 } } : {}),
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${endTimeoutMs / 1000} s`)), endTimeoutMs);
      let answered = false;
      client.once('connect', () => {
        answered = true;
        client.endAsync().then(resolve, reject);
      });
      // Kept for the whole connection: an error with no listener would throw.
      client.on('error', reject);
      client.once('close', () => answered || reject(new Error('the broker closed the connection without a CONNACK')));
    });
  } finally {
    clearTimeout(timer);
    // Without a CONNACK, or if the DISCONNECT could not be sent: nothing more to wait for.
    if (!client.disconnected) client.end(true);
  }
}

/** Ends one session on the broker (on a cluster, through the first address that answers); throws why it could not. */
export async function endSession(url: string, clientId: string, protocolVersion: 4 | 5): Promise<void> {
  const reasons: string[] = [];
  for (const address of url.split(',')) {
    try {
      await endOn(address, clientId, protocolVersion);
      return;
    } catch (error) {
      reasons.push(error instanceof Error ? error.message : String(error));
    }
  }
  throw new Error(reasons.join('; '));
}

/** Ends every remembered session, all at once; those that could not be ended, with why. */
export async function endRememberedSessions(): Promise<SessionLeft[]> {
  const sessions = [...remembered.values()];
  remembered.clear();
  const results = await Promise.all(
    sessions.map((session) =>
      endSession(session.url, session.clientId, session.protocolVersion).then(
        () => undefined,
        (error: Error): SessionLeft => ({ session, reason: error.message }),
      ),
    ),
  );
  return results.filter((left) => left !== undefined);
}
