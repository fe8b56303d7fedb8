/**
 * An edge Mosquitto bridged to a central broker: the mosquitto.conf lines of its bridge, from settings
 * named as Mosquitto names them (man mosquitto.conf, "Configuring Bridges"), and the edge itself.
 */
import { CliError } from '../core/errors.js';
import { PrivateMosquitto } from './mosquitto.js';

export interface BridgeSettings {
  /** The bridge's name, also its client id on the central broker. */
  name: string;
  /** The central broker: mqtt://[user:password@]host[:port]. */
  centre: string;
  /** The topic filter forwarded from the edge to the centre. */
  topic: string;
  /** The QoS the edge forwards with: at 0 nothing is queued while the link is down. */
  qos: 0 | 1;
  /** `cleansession`: false keeps the bridge's session on the centre across a dropped link. */
  cleanSession: boolean;
  /** `local_cleansession` (Mosquitto's default: the value of cleansession): false keeps the edge's queue for the centre while the link is down. */
  localCleanSession?: boolean;
}

/** The central broker's address as `address` takes it; a CliError for what a bridge cannot reach (TLS needs certificates of its own). */
export function bridgeAddress(centre: string): { address: string; username: string; password: string } {
  let url: URL;
  try {
    url = new URL(centre);
  } catch {
    throw new CliError(`the central broker's URL ${centre} is not a URL (mqtt://host:port)`);
  }
  if (url.protocol !== 'mqtt:') throw new CliError(`the bridge connects with mqtt:// only (a TLS bridge needs its certificates in mosquitto.conf): ${url.protocol}//${url.host}`);
  return { address: `${url.hostname}:${url.port || '1883'}`, username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
}

/** The bridge section of mosquitto.conf; it goes last, as every line after `connection` belongs to the bridge. */
export function bridgeLines(settings: BridgeSettings): string[] {
  const { address, username, password } = bridgeAddress(settings.centre);
  return [
    `connection ${settings.name}`,
    `address ${address}`,
    ...(username ? [`remote_username ${username}`] : []),
    ...(password ? [`remote_password ${password}`] : []),
    // MQTT 3.1.1 is what every broker the project starts speaks (NATS and RabbitMQ 3.10 no other).
    'bridge_protocol_version mqttv311',
    `topic ${settings.topic} out ${settings.qos}`,
    `cleansession ${String(settings.cleanSession)}`,
    ...(settings.localCleanSession === undefined ? [] : [`local_cleansession ${String(settings.localCleanSession)}`]),
    // Try again every second rather than Mosquitto's backoff of 5 to 30 s.
    'restart_timeout 1',
    // Its state messages ($SYS/broker/connection/...) would be retained on the centre for ever.
    'notifications false',
  ];
}

export interface EdgeOptions {
  bridge: BridgeSettings;
  persistence: boolean;
  /** max_queued_messages: what the edge keeps per client, the bridge included (default: PrivateMosquitto's). */
  queueLimit?: number;
  port?: number;
  listenHost?: string;
  persistenceLocation?: string;
  /** Lines before the bridge section (a served edge's tutorial config). */
  config?: string[];
}

/** An edge Mosquitto (not yet started) that forwards what is published to it to the central broker. */
export function edgeMosquitto(options: EdgeOptions): PrivateMosquitto {
  return new PrivateMosquitto({
    persistence: options.persistence,
    port: options.port,
    listenHost: options.listenHost,
    persistenceLocation: options.persistenceLocation,
    config: [...(options.config ?? []), ...(options.queueLimit === undefined ? [] : [`max_queued_messages ${options.queueLimit}`]), ...bridgeLines(options.bridge)],
  });
}
