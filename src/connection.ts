import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { Command, InvalidArgumentError, Option } from 'commander';
import { MqttClient, type IClientOptions, type IConnackPacket, type IDisconnectPacket } from 'mqtt';
import { integerIn } from './cli.js';
import { CliError, UsageError, describeError } from './errors.js';
import { explainConnackCode, explainDisconnect, explainKeepaliveTimeout, explainTlsError, isFatalConnackCode } from './reasons.js';

export interface ConnectionOptions {
  url: string;
  id?: string;
  protocolVersion: 4 | 5;
  keepalive: number;
  username?: string;
  password?: string;
  ca?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
  connectTimeout?: number;
}

export interface ConnectionSettings {
  url: URL;
  host: string;
  port: number;
  secure: boolean;
  clientId: string;
  protocolVersion: 4 | 5;
  keepalive: number;
  username?: string;
  password?: string;
  tls: tls.ConnectionOptions;
  connectTimeoutMs?: number;
  /** Things a person must be told before connecting (e.g. certificate checks turned off). */
  warnings: string[];
}

/** The options both commands share, with Mosquitto's letters where Mosquitto has one. */
export function addConnectionOptions(program: Command, defaultId: string | undefined): Command {
  return program
    .addOption(
      new Option('-L, --url <url>', 'broker URL: mqtt://host:port or mqtts://host:port')
        .env('MQTT_URL')
        .default('mqtt://localhost:1883'),
    )
    .addOption(
      defaultId === undefined
        ? new Option('-i, --id <client-id>', 'client identifier (default: a random one)')
        : new Option('-i, --id <client-id>', 'client identifier').default(defaultId),
    )
    .addOption(
      new Option('-V, --protocol-version <version>', 'MQTT protocol version: 5 or 4 (3.1.1)')
        .default(5)
        .argParser(parseProtocolVersion),
    )
    .addOption(
      new Option('-k, --keepalive <seconds>', 'seconds between pings; a dead link is noticed after about 1.5 times this')
        .argParser(integerIn(0, 65535, 'the keep-alive'))
        .default(60),
    )
    .addOption(new Option('-u, --username <name>', 'user name').env('MQTT_USERNAME'))
    .addOption(
      new Option('-P, --password <password>', 'password (prefer the MQTT_PASSWORD variable: it stays out of the process list)').env(
        'MQTT_PASSWORD',
      ),
    )
    .addOption(new Option('--ca <file>', 'CA certificate(s) to trust, PEM (mqtts://)'))
    .addOption(new Option('--cert <file>', 'client certificate, PEM (mqtts://)'))
    .addOption(new Option('--key <file>', 'client private key, PEM (mqtts://)'))
    .addOption(new Option('--insecure', 'do not verify the broker certificate (unsafe: anyone can pretend to be the broker)'))
    .addOption(
      new Option('--connect-timeout <seconds>', 'give up (exit 1) when the broker cannot be reached for this long (default: keep trying)').argParser(
        integerIn(1, 86400, 'the connect timeout'),
      ),
    );
}

function parseProtocolVersion(raw: string): 4 | 5 {
  if (raw === '5' || raw === 'mqttv5') return 5;
  if (raw === '4' || raw === '311' || raw === 'mqttv311') return 4;
  throw new InvalidArgumentError('the protocol version must be 5 or 4 (3.1.1).');
}

export function maskUrl(url: URL | string): string {
  const copy = new URL(url.toString());
  if (copy.password) copy.password = '***';
  return copy.toString().replace(/\/$/, '');
}

function readPem(file: string | undefined, what: string): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (error) {
    throw new UsageError(`cannot read the ${what} ${file}: ${describeError(error)}`);
  }
}

export function connectionSettings(options: ConnectionOptions, clientId: string): ConnectionSettings {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new UsageError(`invalid broker URL '${options.url}': expected mqtt://host:port or mqtts://host:port`);
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme !== 'mqtt' && scheme !== 'mqtts' && scheme !== 'tcp' && scheme !== 'ssl') {
    throw new UsageError(`unsupported URL scheme '${scheme}://' in ${maskUrl(url)}: use mqtt:// or mqtts://`);
  }
  if (!url.hostname) throw new UsageError(`the broker URL ${maskUrl(url)} names no host`);
  const secure = scheme === 'mqtts' || scheme === 'ssl';
  const tlsFiles = options.ca ?? options.cert ?? options.key;
  if (!secure && tlsFiles) throw new UsageError('--ca, --cert and --key need an mqtts:// URL');
  const username = options.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const password = options.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  return {
    url,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : secure ? 8883 : 1883,
    secure,
    clientId,
    protocolVersion: options.protocolVersion,
    keepalive: options.keepalive,
    username,
    password,
    tls: {
      ca: readPem(options.ca, 'CA file'),
      cert: readPem(options.cert, 'certificate file'),
      key: readPem(options.key, 'key file'),
      rejectUnauthorized: !options.insecure,
    },
    connectTimeoutMs: options.connectTimeout === undefined ? undefined : options.connectTimeout * 1000,
    warnings:
      options.insecure && secure
        ? ["--insecure: the broker's certificate is NOT checked; anyone on the path can pretend to be the broker and read or change every message"]
        : [],
  };
}

/** Everything worth telling a person about the link, whichever command holds it. */
export type ConnectionEvent =
  | { event: 'connected'; url: string; clientId: string; sessionPresent: boolean; connack: IConnackPacket }
  | { event: 'offline'; url: string; reason: string }
  | { event: 'unreachable'; url: string; reason: string; retryInMs: number };

export interface SessionRequest {
  clean: boolean;
  sessionExpiry?: number;
  receiveMaximum?: number;
}

/** Wraps the socket, e.g. to hold acknowledgements back until what they acknowledge is recorded. */
export type StreamWrapper = (socket: Duplex) => Duplex;

const firstRetryMs = 250;
const takeoverCloses = 3;
const takeoverWindowMs = 15_000;
/** A connection closed sooner than this after it was made, with nothing said, is one of a tug of war. */
const shortLivedMs = 2000;
const longestRetryMs = 5000;

/**
 * Opens an MQTT client and keeps it connected: retries with a growing delay, reports each change of
 * state once, and turns what cannot be fixed by retrying (refused credentials, a session taken over,
 * the connect timeout) into a fatal error passed to onFatal.
 */
export function openConnection(
  settings: ConnectionSettings,
  session: SessionRequest,
  handlers: { onEvent: (event: ConnectionEvent) => void; onFatal: (error: CliError) => void },
  wrap?: StreamWrapper,
): MqttClient {
  const shownUrl = maskUrl(settings.url);
  const streamBuilder = (): Duplex => {
    const socket = settings.secure
      ? tls.connect({ host: settings.host, port: settings.port, servername: net.isIP(settings.host) ? undefined : settings.host, ...settings.tls })
      : net.connect({ host: settings.host, port: settings.port });
    socket.setNoDelay(true);
    return wrap ? wrap(socket) : socket;
  };
  const options: IClientOptions = {
    clientId: settings.clientId,
    protocolVersion: settings.protocolVersion,
    clean: session.clean,
    keepalive: settings.keepalive,
    username: settings.username,
    password: settings.password,
    reconnectPeriod: firstRetryMs,
    connectTimeout: 10_000,
    resubscribe: false,
    queueQoSZero: false,
  };
  if (settings.protocolVersion === 5) {
    options.properties = {};
    if (session.sessionExpiry !== undefined) options.properties.sessionExpiryInterval = session.sessionExpiry;
    if (session.receiveMaximum !== undefined) options.properties.receiveMaximum = session.receiveMaximum;
  }
  const client = new MqttClient(streamBuilder, options);

  let state: 'connecting' | 'connected' | 'offline' | 'unreachable' | 'closed' = 'connecting';
  let lastError = '';
  let lastReason = '';
  let givingUpTimer: NodeJS.Timeout | undefined;
  const fatal = (error: CliError): void => {
    if (state === 'closed') return;
    state = 'closed';
    clearTimeout(givingUpTimer);
    client.end(true);
    handlers.onFatal(error);
  };
  const armTimeout = (): void => {
    if (settings.connectTimeoutMs === undefined || givingUpTimer) return;
    givingUpTimer = setTimeout(() => {
      fatal(new CliError(`gave up: no connection to ${shownUrl} for ${settings.connectTimeoutMs! / 1000} s (${lastError || lastReason || 'no answer'})`));
    }, settings.connectTimeoutMs);
    givingUpTimer.unref();
  };
  armTimeout();

  let connectedAt = 0;
  client.on('connect', (connack) => {
    connectedAt = Date.now();
    clearTimeout(givingUpTimer);
    givingUpTimer = undefined;
    client.options.reconnectPeriod = firstRetryMs;
    state = 'connected';
    handlers.onEvent({ event: 'connected', url: shownUrl, clientId: settings.clientId, sessionPresent: connack.sessionPresent, connack });
  });
  client.on('error', (error: Error & { code?: number | string }) => {
    if (typeof error.code === 'number' && isFatalConnackCode(error.code, settings.protocolVersion)) {
      fatal(new CliError(`${shownUrl} refused the connection: ${explainConnackCode(error.code, settings.protocolVersion)}`));
      return;
    }
    const tlsRefusal = explainTlsError(error, settings.host);
    if (tlsRefusal) {
      fatal(new CliError(`cannot connect securely to ${shownUrl}: ${tlsRefusal}`));
      return;
    }
    lastError = error.message === 'Keepalive timeout' ? explainKeepaliveTimeout(settings.keepalive) : describeError(error);
  });
  client.on('disconnect', (packet: IDisconnectPacket) => {
    const code = packet.reasonCode ?? 0;
    const explained = explainDisconnect(code);
    if (explained.fatal) {
      fatal(new CliError(`${shownUrl} closed the connection: ${explained.text}`));
      return;
    }
    lastError = explained.text;
  });
  // Mosquitto 2.0 closes the socket of a client whose id another client takes, without a DISCONNECT
  // saying so; the two clients then take the session from each other in turn. So a silent close soon
  // after a reconnect that itself followed a silent close is counted, and a few in a row mean a tug of
  // war. A link cut now and then (its connections live longer) is not one.
  const silentCloses: number[] = [];
  let afterSilentClose = false;
  client.on('close', () => {
    if (state === 'closed' || client.disconnecting) return;
    const retryInMs = client.options.reconnectPeriod ?? firstRetryMs;
    const silent = state === 'connected' && !lastError;
    if (silent && afterSilentClose && Date.now() - connectedAt < shortLivedMs) {
      const now = Date.now();
      silentCloses.push(now);
      while (silentCloses.length > 0 && silentCloses[0]! < now - takeoverWindowMs) silentCloses.shift();
      if (silentCloses.length >= takeoverCloses) {
        fatal(
          new CliError(
            `${shownUrl} closed the connection ${takeoverCloses} times in ${takeoverWindowMs / 1000} s right after it was made: most likely the session was taken over by another client with the client id ${settings.clientId} (stopping here, so that the two do not take it from each other in a loop)`,
          ),
        );
        return;
      }
    }
    if (state === 'connected') {
      afterSilentClose = silent;
      state = 'offline';
      handlers.onEvent({ event: 'offline', url: shownUrl, reason: lastError || 'connection lost' });
      armTimeout();
    } else if (state !== 'unreachable' && state !== 'offline') {
      state = 'unreachable';
      handlers.onEvent({ event: 'unreachable', url: shownUrl, reason: lastError || 'no answer', retryInMs });
    }
    client.options.reconnectPeriod = Math.min(longestRetryMs, retryInMs * 2);
    if (lastError) lastReason = lastError;
    lastError = '';
  });
  client.on('end', () => {
    if (state !== 'closed') state = 'closed';
  });
  return client;
}

/** Closes the client cleanly (DISCONNECT sent, session kept on the broker), bounded in time. */
export function closeConnection(client: MqttClient, timeoutMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    if (client.disconnected && !client.reconnecting) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      client.end(true, () => resolve());
    }, timeoutMs);
    client.end(false, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
