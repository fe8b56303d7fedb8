/**
 * The connection's decisions as a pure machine: what happened to the link (attempts, CONNACKs, errors,
 * DISCONNECTs, closes) and when, in; what to say, when to try again and when to give up, out. No I/O
 * and no clock: the caller passes the times and carries out the decisions.
 */
import { CliError } from './errors.js';
import type { ConnectionEvent, LinkReason } from './events.js';
import { describeLinkReason, explainConnackCode, explainDisconnect, isFatalConnackCode } from './reasons.js';

export interface LinkSettings {
  /** The brokers, as shown (credentials masked): several for the nodes of a cluster, tried in turn. */
  urls: string[];
  clientId: string;
  protocolVersion: 4 | 5;
  keepalive: number;
  /** Give up after this long without a connection; never when undefined. */
  connectTimeoutMs?: number;
}

/** Why a link failed, as far as the connection can tell. */
export type LinkError =
  | { kind: 'keepalive-timeout' }
  /** The peer reset the link (ECONNRESET, EPIPE): a broker closing a client's socket says no more. */
  | { kind: 'reset'; text: string }
  /** A secure connection that retrying cannot fix (an untrusted certificate, a certificate required). */
  | { kind: 'tls-refusal'; text: string }
  | { kind: 'other'; text: string };

export interface Connack {
  /** CONNACK return code (3.1.1) or reason code (5); 0 accepts. */
  code: number;
  sessionPresent: boolean;
  receiveMaximum: number | null;
}

export type LinkDecision =
  | { decision: 'say'; event: ConnectionEvent }
  /** Try the next attempt (on server `server`) after this long. */
  | { decision: 'reconnect'; inMs: number }
  /** Give up at this time unless connected before (null: no deadline). */
  | { decision: 'deadline'; at: number | null }
  | { decision: 'stop'; error: CliError };

const firstRetryMs = 250;
const longestRetryMs = 5000;
/** A failing attempt's reason already said is said again after this long. */
const sayAgainMs = 30_000;
const takeoverCloses = 3;
const takeoverWindowMs = 15_000;
/** A connection closed sooner than this after it was made, with nothing said, is one of a tug of war. */
const shortLivedMs = 2000;

type LinkState = 'connecting' | 'connected' | 'offline' | 'unreachable' | 'closed';

export class LinkMonitor {
  private state: LinkState = 'connecting';
  /** The server of the current (or next) attempt. */
  private current = 0;
  /** Attempts that reached no broker, or lost it, since the last connection. */
  private failedAttempts = 0;
  private retryMs = firstRetryMs;
  /** The current attempt's socket connected: a close before the CONNACK was then the broker's choice. */
  private reachedBroker = false;
  /** The current attempt was refused by its CONNACK: the error that follows says nothing new. */
  private refused = false;
  private lastError: LinkReason | null = null;
  private lastErrorWasReset = false;
  private lastReason: LinkReason | null = null;
  private deadline: number | null = null;
  private connectedAt = 0;
  /** The last connection was closed by the broker without a word (no DISCONNECT, no error). */
  private afterSilentClose = false;
  private readonly silentCloses: number[] = [];
  /** When each reason for failing attempts was last said, since the last connection. */
  private readonly reasonsSaid = new Map<string, number>();

  constructor(private readonly settings: LinkSettings) {}

  /** The link is being used: the first attempt starts now. */
  start(now: number): LinkDecision[] {
    return this.armDeadline(now);
  }

  /** A new attempt opens its socket: returns the index of the server to connect to. */
  attempt(): number {
    this.reachedBroker = false;
    this.refused = false;
    return this.current;
  }

  /** The attempt's socket (TCP, or TLS once secured) connected. */
  socketConnected(): void {
    this.reachedBroker = true;
  }

  connack(connack: Connack, now: number): LinkDecision[] {
    if (this.state === 'closed') return [];
    const { protocolVersion } = this.settings;
    if (connack.code !== 0) {
      this.refused = true;
      if (isFatalConnackCode(connack.code, protocolVersion)) {
        return this.stop(`${this.url} refused the connection: ${explainConnackCode(connack.code, protocolVersion)}`);
      }
      this.lastError = { code: 'refused', connackCode: connack.code, protocolVersion };
      this.lastErrorWasReset = false;
      return [];
    }
    this.connectedAt = now;
    this.reasonsSaid.clear();
    this.retryMs = firstRetryMs;
    this.failedAttempts = 0;
    this.state = 'connected';
    this.deadline = null;
    const event: ConnectionEvent = {
      event: 'connected',
      url: this.url,
      node: this.current + 1,
      nodes: this.settings.urls.length,
      clientId: this.settings.clientId,
      sessionPresent: connack.sessionPresent,
      receiveMaximum: connack.receiveMaximum,
      previousClosedSilently: this.afterSilentClose,
    };
    return [{ decision: 'deadline', at: null }, { decision: 'say', event }];
  }

  error(error: LinkError): LinkDecision[] {
    if (this.state === 'closed' || this.refused) return [];
    if (error.kind === 'tls-refusal') return this.stop(`cannot connect securely to ${this.url}: ${error.text}`);
    this.lastError = error.kind === 'keepalive-timeout' ? { code: 'keepalive-timeout', keepalive: this.settings.keepalive } : { code: 'socket-error', error: error.text };
    this.lastErrorWasReset = error.kind === 'reset';
    return [];
  }

  /** The broker sent DISCONNECT (MQTT 5) with this reason code. */
  disconnectPacket(reasonCode: number): LinkDecision[] {
    if (this.state === 'closed') return [];
    const explained = explainDisconnect(reasonCode);
    if (explained.fatal) return this.stop(`${this.url} closed the connection: ${explained.text}`);
    this.lastError = { code: 'disconnected', reasonCode };
    this.lastErrorWasReset = false;
    return [];
  }

  /** The attempt or the connection ended; not called for a close the user asked for (see stop()). */
  closed(now: number): LinkDecision[] {
    if (this.state === 'closed') return [];
    const decisions: LinkDecision[] = [];
    const retryInMs = this.retryMs;
    const silent = this.state === 'connected' && (!this.lastError || this.lastErrorWasReset);
    // Mosquitto 2.0 closes the socket of a client whose id another client takes, without a DISCONNECT
    // saying so; the two clients then take the session from each other in turn. So a silent close soon
    // after a reconnect that itself followed a silent close is counted, and a few in a row mean a tug of
    // war. A link cut now and then (its connections live longer) is not one.
    if (silent && this.afterSilentClose && now - this.connectedAt < shortLivedMs) {
      this.silentCloses.push(now);
      while (this.silentCloses.length > 0 && this.silentCloses[0]! < now - takeoverWindowMs) this.silentCloses.shift();
      if (this.silentCloses.length >= takeoverCloses) {
        return this.stop(
          `${this.url} closed the connection ${takeoverCloses} times in ${takeoverWindowMs / 1000} s right after it was made: most likely the session was taken over by another client with the client id ${this.settings.clientId} (stopping here, so that the two do not take it from each other in a loop)`,
        );
      }
    }
    if (this.state === 'connected') {
      this.afterSilentClose = silent;
      this.state = 'offline';
      decisions.push({ decision: 'say', event: { event: 'offline', url: this.url, reason: this.lastError ?? { code: 'connection-lost' } } });
      decisions.push(...this.armDeadline(now));
    } else {
      // Said at the first failure, then again only for a reason not said in the last 30 s: a client that
      // keeps trying shows it is still at it without a line per attempt.
      const reason = this.lastError ?? this.unanswered();
      const key = JSON.stringify(reason);
      const saidAt = this.reasonsSaid.get(key);
      if (saidAt === undefined || now - saidAt >= sayAgainMs) {
        decisions.push({ decision: 'say', event: { event: 'unreachable', url: this.url, reason, retryInMs } });
        this.reasonsSaid.set(key, now);
      }
      if (this.state !== 'offline') this.state = 'unreachable';
    }
    this.failedAttempts += 1;
    this.current = (this.current + 1) % this.settings.urls.length;
    // The delay grows only once a whole round of servers has failed.
    if (this.failedAttempts % this.settings.urls.length === 0) this.retryMs = Math.min(longestRetryMs, retryInMs * 2);
    this.lastReason = this.lastError ?? (this.reachedBroker ? this.unanswered() : this.lastReason);
    this.lastError = null;
    this.lastErrorWasReset = false;
    decisions.push({ decision: 'reconnect', inMs: retryInMs });
    return decisions;
  }

  /** The deadline set by a 'deadline' decision has come. */
  deadlineReached(now: number): LinkDecision[] {
    if (this.state === 'closed' || this.deadline === null || now < this.deadline) return [];
    const { urls, connectTimeoutMs } = this.settings;
    return this.stop(`gave up: no connection to ${urls.join(', ')} for ${connectTimeoutMs! / 1000} s (${describeLinkReason(this.lastError ?? this.lastReason ?? { code: 'no-answer' })})`);
  }

  /** The user stops: whatever happens to the link from now on decides nothing. */
  end(): void {
    this.state = 'closed';
    this.deadline = null;
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  private get url(): string {
    return this.settings.urls[this.current]!;
  }

  private armDeadline(now: number): LinkDecision[] {
    if (this.settings.connectTimeoutMs === undefined || this.deadline !== null) return [];
    this.deadline = now + this.settings.connectTimeoutMs;
    return [{ decision: 'deadline', at: this.deadline }];
  }

  private stop(message: string): LinkDecision[] {
    this.end();
    return [{ decision: 'stop', error: new CliError(message) }];
  }

  private unanswered(): LinkReason {
    return this.reachedBroker ? { code: 'no-connack', protocolVersion: this.settings.protocolVersion } : { code: 'no-answer' };
  }
}
