/** Waiting, bounded, until a broker accepts an MQTT session: a port that answers is not yet a broker that does. */
import { setTimeout as sleep } from 'node:timers/promises';
import { connectAsync } from 'mqtt';

/**
 * Waits until the broker at url accepts an MQTT 3.1.1 connection (clean session), trying every 250 ms.
 * Throws after timeoutMs with the last refusal, naming the broker as `what`.
 */
export async function waitForMqttSession(url: string, clientId: string, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      // allowRetries false: a connection closed before its CONNACK (a node still starting) is an error;
      // otherwise the promise never settles, and the wait is no longer bounded.
      const client = await connectAsync(url, { protocolVersion: 4, clientId, clean: true, reconnectPeriod: 0, connectTimeout: 3000 }, false);
      await client.endAsync();
      return;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
      await sleep(250);
    }
  }
  throw new Error(`${what} at ${url.replace(/\/\/[^@/]*@/, '//')} did not accept an MQTT session within ${timeoutMs / 1000} s (${last})`);
}
