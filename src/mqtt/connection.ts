/**
 * The client lifecycle both commands share: connect, keep connected with a growing retry delay, report
 * each change of state once, and stop on what retrying cannot fix. Given several brokers (the nodes of
 * a cluster), each new attempt goes to the next one, so a lost node is replaced by another.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { MqttClient, type IClientOptions, type IDisconnectPacket } from 'mqtt';
import { CliError, describeError } from '../core/errors.js';
import type { ConnectionEvent } from '../core/events.js';
import { explainConnackCode, explainDisconnect, explainKeepaliveTimeout, explainTlsError, isFatalConnackCode } from '../core/reasons.js';
import { maskUrl, type ConnectionSettings } from './settings.js';

export interface SessionRequest {
  clean: boolean;
  sessionExpiry?: number;
  receiveMaximum?: number;
}

/** Wraps the socket, e.g. to hold acknowledgements back until what they acknowledge is recorded. */
export type StreamWrapper = (socket: Duplex) => Duplex;

const firstRetryMs = 250;
const takeoverCloses = 3;
/** A failing attempt's reason already said is said again after this long. */
const sayAgainMs = 30_000;
const takeoverWindowMs = 15_000;
/** A connection closed sooner than this after it was made, with nothing said, is one of a tug of war. */
const shortLivedMs = 2000;
const longestRetryMs = 5000;

/**
 * Opens an MQTT client and keeps it connected: retries with a growing delay, reports each change of
 * state once, and turns what cannot be fixed by retrying (refused credentials, a session taken over,
 * the connect timeout) into a fatal error passed to onFatal. With several servers, a connection that
 * fails or is lost is followed by an attempt on the next server in the list (round robin); the delay
 * grows only once a whole round has failed.
 */
export function openConnection(
  settings: ConnectionSettings,
  session: SessionRequest,
  handlers: { onEvent: (event: ConnectionEvent) => void; onFatal: (error: CliError) => void },
  wrap?: StreamWrapper,
): MqttClient {
  const servers = settings.servers;
  const shownUrls = servers.map((server) => maskUrl(server.url));
  /** The server of the current (or next) attempt: MQTT.js builds a new stream for every attempt. */
  let current = 0;
  /** Attempts that reached no broker, or lost it, since the last connection. */
  let failedAttempts = 0;
  const shownUrl = (): string => shownUrls[current]!;
  /** The current attempt's socket connected: a close before the CONNACK was then the broker's choice. */
  let reachedBroker = false;
  const streamBuilder = (): Duplex => {
    const server = servers[current]!;
    const socket = server.secure
      ? tls.connect({ host: server.host, port: server.port, servername: net.isIP(server.host) ? undefined : server.host, ...settings.tls })
      : net.connect({ host: server.host, port: server.port });
    socket.setNoDelay(true);
    reachedBroker = false;
    socket.once(server.secure ? 'secureConnect' : 'connect', () => (reachedBroker = true));
    return wrap ? wrap(socket) : socket;
  };
  // Some brokers close an MQTT 5 CONNECT without a word (RabbitMQ 3.10 speaks only 3.1.1).
  const unanswered = (): string =>
    !reachedBroker
      ? 'no answer'
      : settings.protocolVersion === 5
        ? 'the broker closed the connection without answering the CONNECT; a broker that speaks only MQTT 3.1.1 (RabbitMQ 3.10) does so to MQTT 5: try -V 4'
        : 'the broker closed the connection without answering the CONNECT';
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
  /** The link ended with a reset: a broker that closes a client's socket, unread data in it, says no more than that. */
  let lastErrorWasReset = false;
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
      fatal(new CliError(`gave up: no connection to ${shownUrls.join(', ')} for ${settings.connectTimeoutMs! / 1000} s (${lastError || lastReason || 'no answer'})`));
    }, settings.connectTimeoutMs);
    givingUpTimer.unref();
  };
  armTimeout();

  let connectedAt = 0;
  /** The last connection was closed by the broker without a word (no DISCONNECT, no error). */
  let afterSilentClose = false;
  client.on('connect', (connack) => {
    connectedAt = Date.now();
    reasonsSaid.clear();
    clearTimeout(givingUpTimer);
    givingUpTimer = undefined;
    client.options.reconnectPeriod = firstRetryMs;
    failedAttempts = 0;
    state = 'connected';
    handlers.onEvent({
      event: 'connected',
      url: shownUrl(),
      node: current + 1,
      nodes: servers.length,
      clientId: settings.clientId,
      sessionPresent: connack.sessionPresent,
      receiveMaximum: connack.properties?.receiveMaximum ?? null,
      previousClosedSilently: afterSilentClose,
    });
  });
  client.on('error', (error: Error & { code?: number | string }) => {
    if (typeof error.code === 'number' && isFatalConnackCode(error.code, settings.protocolVersion)) {
      fatal(new CliError(`${shownUrl()} refused the connection: ${explainConnackCode(error.code, settings.protocolVersion)}`));
      return;
    }
    const tlsRefusal = explainTlsError(error, servers[current]!.host);
    if (tlsRefusal) {
      fatal(new CliError(`cannot connect securely to ${shownUrl()}: ${tlsRefusal}`));
      return;
    }
    lastError = error.message === 'Keepalive timeout' ? explainKeepaliveTimeout(settings.keepalive) : describeError(error);
    lastErrorWasReset = error.code === 'ECONNRESET' || error.code === 'EPIPE';
  });
  client.on('disconnect', (packet: IDisconnectPacket) => {
    const code = packet.reasonCode ?? 0;
    const explained = explainDisconnect(code);
    if (explained.fatal) {
      fatal(new CliError(`${shownUrl()} closed the connection: ${explained.text}`));
      return;
    }
    lastError = explained.text;
    lastErrorWasReset = false;
  });
  // Mosquitto 2.0 closes the socket of a client whose id another client takes, without a DISCONNECT
  // saying so; the two clients then take the session from each other in turn. So a silent close soon
  // after a reconnect that itself followed a silent close is counted, and a few in a row mean a tug of
  // war. A link cut now and then (its connections live longer) is not one.
  const silentCloses: number[] = [];
  /** When each reason for failing attempts was last said, since the last connection. */
  const reasonsSaid = new Map<string, number>();
  client.on('close', () => {
    if (state === 'closed' || client.disconnecting) return;
    const retryInMs = client.options.reconnectPeriod ?? firstRetryMs;
    const silent = state === 'connected' && (!lastError || lastErrorWasReset);
    if (silent && afterSilentClose && Date.now() - connectedAt < shortLivedMs) {
      const now = Date.now();
      silentCloses.push(now);
      while (silentCloses.length > 0 && silentCloses[0]! < now - takeoverWindowMs) silentCloses.shift();
      if (silentCloses.length >= takeoverCloses) {
        fatal(
          new CliError(
            `${shownUrl()} closed the connection ${takeoverCloses} times in ${takeoverWindowMs / 1000} s right after it was made: most likely the session was taken over by another client with the client id ${settings.clientId} (stopping here, so that the two do not take it from each other in a loop)`,
          ),
        );
        return;
      }
    }
    if (state === 'connected') {
      afterSilentClose = silent;
      state = 'offline';
      handlers.onEvent({ event: 'offline', url: shownUrl(), reason: lastError || 'connection lost' });
      armTimeout();
    } else {
      // Said at the first failure, then again only for a reason not said in the last 30 s: a client that
      // keeps trying shows it is still at it without a line per attempt.
      const reason = lastError || unanswered();
      const now = Date.now();
      const saidAt = reasonsSaid.get(reason);
      if (saidAt === undefined || now - saidAt >= sayAgainMs) {
        handlers.onEvent({ event: 'unreachable', url: shownUrl(), reason, retryInMs });
        reasonsSaid.set(reason, now);
      }
      if (state !== 'offline') state = 'unreachable';
    }
    failedAttempts += 1;
    current = (current + 1) % servers.length;
    if (failedAttempts % servers.length === 0) client.options.reconnectPeriod = Math.min(longestRetryMs, retryInMs * 2);
    lastReason = lastError || (reachedBroker ? unanswered() : lastReason);
    lastError = '';
    lastErrorWasReset = false;
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
