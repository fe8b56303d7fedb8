/**
 * The client lifecycle both commands share, as wiring: MQTT.js events in, the link monitor's decisions
 * (core/link-monitor.ts) carried out. Given several brokers (the nodes of a cluster), each new attempt
 * goes to the next one, so a lost node is replaced by another.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { MqttClient, Store, type IClientOptions, type IConnackPacket, type IDisconnectPacket } from 'mqtt';
import { describeError, type CliError } from '../core/errors.js';
import type { ConnectionEvent } from '../core/events.js';
import { LinkMonitor, type LinkDecision, type LinkError } from '../core/link-monitor.js';
import { explainTlsError } from '../core/reasons.js';
import { isKeepaliveTimeout, ownReconnectPeriodMs, reconnectKeepingStores, type ClientStores } from './client-internals.js';
import { movableIntervalTimer } from './keepalive-timer.js';
import { maskUrl, type ConnectionSettings } from './settings.js';

export interface SessionRequest {
  clean: boolean;
  sessionExpiry?: number;
  receiveMaximum?: number;
}

/** Wraps the socket, e.g. to hold acknowledgements back until what they acknowledge is recorded. */
export type StreamWrapper = (socket: Duplex) => Duplex;

export interface ConnectionHandlers {
  /** A change of state, said once; 'connected' comes with the CONNACK, in the order of the wire. */
  onEvent: (event: ConnectionEvent) => void;
  /** What retrying cannot fix: the connection is closed already. */
  onFatal: (error: CliError) => void;
  /** The client can send (MQTT.js's 'connect', right after the CONNACK was handled). */
  onReady?: () => void;
}

export interface Connection {
  client: MqttClient;
  /** Closes cleanly (DISCONNECT sent, session kept on the broker), bounded in time. */
  close(timeoutMs?: number): Promise<void>;
  /** Drops the link at once. */
  abort(): void;
}

/**
 * Opens an MQTT client and keeps it connected: retries with a growing delay, reports each change of
 * state once, and turns what cannot be fixed by retrying (refused credentials, a session taken over,
 * the connect timeout) into a fatal error passed to onFatal.
 */
export function openConnection(settings: ConnectionSettings, session: SessionRequest, handlers: ConnectionHandlers, wrap?: StreamWrapper): Connection {
  const servers = settings.servers;
  const monitor = new LinkMonitor({
    urls: servers.map((server) => maskUrl(server.url)),
    clientId: settings.clientId,
    protocolVersion: settings.protocolVersion,
    keepalive: settings.keepalive,
    connectTimeoutMs: settings.connectTimeoutMs,
  });
  let current = 0;
  const streamBuilder = (): Duplex => {
    current = monitor.attempt();
    const server = servers[current]!;
    const socket = server.secure
      ? tls.connect({ host: server.host, port: server.port, servername: net.isIP(server.host) ? undefined : server.host, ...settings.tls })
      : net.connect({ host: server.host, port: server.port });
    socket.setNoDelay(true);
    socket.once(server.secure ? 'secureConnect' : 'connect', () => monitor.socketConnected());
    return wrap ? wrap(socket) : socket;
  };
  // Kept across attempts: QoS 1 and 2 messages in flight are sent again on the next connection.
  const stores: ClientStores = { incomingStore: new Store(), outgoingStore: new Store() };
  const options: IClientOptions = {
    clientId: settings.clientId,
    protocolVersion: settings.protocolVersion,
    clean: session.clean,
    keepalive: settings.keepalive,
    username: settings.username,
    password: settings.password,
    // Reconnection is this module's own: the monitor says when.
    reconnectPeriod: ownReconnectPeriodMs,
    connectTimeout: 10_000,
    resubscribe: false,
    queueQoSZero: false,
    // Otherwise mqtt-packet makes a buffer for each of the 65,536 message ids at the first write: 6 MB of
    // heap for the whole run, and 60 ms of start-up, to save one 2-byte buffer per packet.
    writeCache: false,
    // MQTT.js's documented `log` option: its debug calls, several per packet, cost even when DEBUG is off.
    ...(process.env.DEBUG ? {} : { log: () => {} }),
    // The keep-alive is moved on at every packet received: a deadline moved, not a Node timer replaced.
    timerVariant: movableIntervalTimer(),
    ...stores,
  };
  if (settings.protocolVersion === 5) {
    options.properties = {};
    if (session.sessionExpiry !== undefined) options.properties.sessionExpiryInterval = session.sessionExpiry;
    if (session.receiveMaximum !== undefined) options.properties.receiveMaximum = session.receiveMaximum;
  }

  let closing = false;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let deadlineTimer: NodeJS.Timeout | undefined;
  const stopTimers = (): void => {
    clearTimeout(reconnectTimer);
    clearTimeout(deadlineTimer);
  };
  const carryOut = (decisions: LinkDecision[]): void => {
    for (const decision of decisions) {
      if (closing) return;
      switch (decision.decision) {
        case 'say':
          handlers.onEvent(decision.event);
          break;
        case 'reconnect':
          reconnectTimer = setTimeout(() => {
            if (!closing) reconnectKeepingStores(client, stores);
          }, decision.inMs);
          break;
        case 'deadline':
          clearTimeout(deadlineTimer);
          if (decision.at !== null) {
            deadlineTimer = setTimeout(() => carryOut(monitor.deadlineReached(Date.now())), Math.max(0, decision.at - Date.now()));
            deadlineTimer.unref();
          }
          break;
        case 'stop':
          closing = true;
          stopTimers();
          client.end(true);
          handlers.onFatal(decision.error);
          return;
      }
    }
  };

  const client = new MqttClient(streamBuilder, options);
  carryOut(monitor.start(Date.now()));
  client.on('packetreceive', (packet) => {
    if (packet.cmd !== 'connack') return;
    const connack = packet as IConnackPacket;
    const code = (settings.protocolVersion === 5 ? connack.reasonCode : connack.returnCode) ?? 0;
    carryOut(monitor.connack({ code, sessionPresent: connack.sessionPresent, receiveMaximum: connack.properties?.receiveMaximum ?? null }, Date.now()));
  });
  client.on('connect', () => {
    if (!closing) handlers.onReady?.();
  });
  client.on('error', (error: Error & { code?: number | string }) => {
    carryOut(monitor.error(classifyError(error, servers[current]!.host)));
  });
  client.on('disconnect', (packet: IDisconnectPacket) => carryOut(monitor.disconnectPacket(packet.reasonCode ?? 0)));
  client.on('close', () => {
    if (!closing) carryOut(monitor.closed(Date.now()));
  });

  const end = (): void => {
    closing = true;
    stopTimers();
    monitor.end();
  };
  return {
    client,
    close(timeoutMs = 2000): Promise<void> {
      const connected = client.connected && !closing;
      end();
      return new Promise((resolve) => {
        if (!connected) {
          client.end(true, () => resolve());
          return;
        }
        const timer = setTimeout(() => client.end(true, () => resolve()), timeoutMs);
        client.end(false, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    abort(): void {
      end();
      client.end(true);
    },
  };
}

function classifyError(error: Error & { code?: number | string }, host: string): LinkError {
  if (isKeepaliveTimeout(error)) return { kind: 'keepalive-timeout' };
  const tlsRefusal = explainTlsError(error, host);
  if (tlsRefusal) return { kind: 'tls-refusal', text: tlsRefusal };
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return { kind: 'reset', text: describeError(error) };
  return { kind: 'other', text: describeError(error) };
}
