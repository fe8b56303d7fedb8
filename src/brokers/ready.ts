/** Waiting, bounded, until a broker accepts an MQTT session: a port that answers is not yet a broker that does. */
import { setTimeout as sleep } from 'node:timers/promises';
import { connectAsync, type MqttClient } from 'mqtt';

/** One probe's own bound: a node that has not answered by then is tried again. */
const probeTimeoutMs = 5000;

/**
 * Waits until the broker at url accepts an MQTT 3.1.1 connection (clean session) and grants a QoS 1
 * subscription, trying every 250 ms: on a cluster, the second needs the replicated state to have its
 * leaders, which a bare connection may not. Throws after timeoutMs with the last refusal, naming the
 * broker as `what`.
 */
export async function waitForMqttSession(url: string, clientId: string, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      await probe(url, clientId);
      return;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
      await sleep(250);
    }
  }
  throw new Error(`${what} at ${url.replace(/\/\/[^@/]*@/, '//')} did not accept an MQTT session within ${timeoutMs / 1000} s (${last})`);
}

async function probe(url: string, clientId: string): Promise<void> {
  let client: MqttClient | undefined;
  let over = false;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${probeTimeoutMs / 1000} s`)), probeTimeoutMs);
  });
  try {
    await Promise.race([
      (async () => {
        // allowRetries false: a connection closed before its CONNACK (a node still starting) is an error.
        client = await connectAsync(url, { protocolVersion: 4, clientId, clean: true, reconnectPeriod: 0, connectTimeout: probeTimeoutMs }, false);
        // Connected after the probe had given up: not left open.
        if (over) client.end(true);
        const [granted] = await client.subscribeAsync(`mqtt-persistent-sessions/${clientId}`, { qos: 1 });
        if (!granted || granted.qos !== 1) throw new Error(`QoS 1 subscription refused (granted ${String(granted?.qos)})`);
      })(),
      timedOut,
    ]);
  } finally {
    over = true;
    clearTimeout(timer);
    (client as MqttClient | undefined)?.end(true);
  }
}
