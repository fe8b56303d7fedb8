/**
 * Everything this program relies on in MQTT.js that its README does not promise, in one place. The test
 * test/client-internals.test.ts checks each against the installed MQTT.js and a real broker; package.json
 * pins `mqtt` to the minor version it passed with (see docs/development.md).
 *
 * Besides the functions below, the acknowledgement gate (ack-gate.ts) relies on an order: MQTT.js
 * emits 'packetreceive' for a PUBLISH before it writes the PUBACK or PUBREC for it, and writes that
 * acknowledgement before it emits 'packetreceive' for the next packet.
 */
import type { ClientSubscribeCallback, IClientReconnectOptions, MqttClient, Store } from 'mqtt';

type SubackPacket = NonNullable<Parameters<ClientSubscribeCallback>[2]>;

export interface ClientStores {
  incomingStore: Store;
  outgoingStore: Store;
}

/**
 * Starts a new attempt keeping the client's stores: the README's reconnect() says it connects "using
 * the same options", yet without them it starts with empty stores, forgetting the QoS 1 and 2 messages
 * in flight (their callbacks would never be called).
 */
export function reconnectKeepingStores(client: MqttClient, stores: ClientStores): void {
  const options: IClientReconnectOptions = { incomingStore: stores.incomingStore, outgoingStore: stores.outgoingStore };
  client.reconnect(options);
}

/**
 * MQTT.js's own reconnection is left on but never fires (the longest delay a Node timer takes), as the
 * connection reconnects by itself: with reconnectPeriod 0, a clean client whose link is dropped by
 * MQTT.js (a keep-alive or CONNACK timeout) fails the callbacks of its QoS 1 and 2 messages in flight
 * while it still sends them again on the next connection.
 */
export const ownReconnectPeriodMs = 2_147_483_647;

/** The error MQTT.js emits when nothing came back within 1.5 times the keep-alive (a dead link). */
export function isKeepaliveTimeout(error: Error): boolean {
  return error.message === 'Keepalive timeout';
}

/**
 * The SUBACK of a subscription: on a refusal MQTT.js passes no packet to the callback but an error that
 * carries it (test/full/security.test.ts: a subscription the broker refuses is named with its reason).
 */
export function subackOf(error: Error | null, packet: SubackPacket | undefined): SubackPacket | undefined {
  return packet ?? (error as (Error & { packet?: SubackPacket }) | null)?.packet;
}

/**
 * The reason code of a PUBACK or PUBREC that refused a publish (MQTT 5): MQTT.js fails the publish with
 * an error whose `code` is that number (test/full/security.test.ts: the producer names the refused value).
 */
export function publishRefusalCode(error: Error): number | undefined {
  const code = (error as Error & { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}
