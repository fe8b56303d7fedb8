/**
 * The consumer at work: receives values, passes them through the sequence tracker, renders the events,
 * and acknowledges each message only after its line is written and the checkpoint that counts it is on
 * disk (group commit: one atomic write per batch, the batch's acknowledgements released after it).
 */
import type { IPublishPacket } from 'mqtt';
import { brokerIdentity, chapterReason, type BrokerIdentity } from '../core/chapter.js';
import { CliError, ExitCode, type ExitStatus } from '../core/errors.js';
import type { ConnectionEvent, ConsumerEvent, Renderer, Summary } from '../core/events.js';
import { explainRefusal } from '../core/reasons.js';
import { backlogQuietMs, SessionContext } from '../core/session-context.js';
import { SequenceTracker } from '../core/tracker.js';
import { readValueProperties } from '../core/wire.js';
import { readMessageValue, type ValueSource } from '../core/value-source.js';
import { nothingVerifiedEvent } from '../core/unreadable.js';
import type { Checkpoint, CheckpointData } from '../state/checkpoint.js';
import { AcknowledgementGate } from './ack-gate.js';
import { openConnection, type Connection } from './connection.js';
import { subackOf } from './client-internals.js';
import type { ConnectionSettings } from './settings.js';

export interface VerifierOptions {
  settings: ConnectionSettings;
  /** The topic filter subscribed to, "$share/GROUP/..." for a member of a consumer group. */
  topic: string;
  /** The shared-subscription group this consumer is a member of: it then judges no value missing. */
  group?: string;
  qos: 0 | 1 | 2;
  clean: boolean;
  sessionExpiry: number;
  /** Stop after this many messages. */
  count?: number;
  /** Opened (locked) by the caller. */
  checkpoint?: Checkpoint;
  /** Set the checkpoint's accounting aside and start afresh (a new chapter). */
  reset: boolean;
  renderer: Renderer<ConsumerEvent>;
  /** How many unacknowledged messages the broker may send ahead (MQTT 5 Receive Maximum). */
  receiveMaximum: number;
  /** The broker's limit of queued messages per client, when known: evidence for naming it as a cause. */
  queueLimit?: number;
  maxPayloadBytes: number;
  /** Where each message's value and producer are read: the producer's own payload when empty. */
  valueSource: ValueSource;
}

/** How often, and how far apart, a subscription refused by a cluster is tried (about 7 s in all). */
const subscribeAttempts = 8;
const subscribeRetryMs = 1000;

export class DeliveryVerifier {
  private readonly tracker: SequenceTracker;
  /** The broker this run's accounting belongs to, as the checkpoint records it. */
  private readonly broker: BrokerIdentity;
  private readonly gate: AcknowledgementGate;
  /** Which session each message arrives in, and the backlog; fed in the order of the wire. */
  private readonly sessions: SessionContext;
  private connection: Connection | undefined;
  private pending = false;
  private commitRunning: Promise<void> | undefined;
  private commitScheduled = false;
  /** Messages that arrived once the consumer had decided to stop: left unacknowledged in the session. */
  private leftInSession = 0;
  /** When the last CONNECT was written: what was sent before it waited in the broker, if the session was kept. */
  private connectSentAt: number | undefined;
  private backlogTimer: NodeJS.Timeout | undefined;
  /** The delay the backlog timer was made with: refresh() waits that long again. */
  private backlogTimerMs = 0;
  private received = 0;
  /** Messages of this run that held a value: none at all, and the run verified nothing. */
  private valuesRead = 0;
  /** The rejections counted before this run (carried by the checkpoint). */
  private rejectedBefore: Pick<Summary, 'invalid' | 'badPaths' | 'nonIntegers'> | undefined;
  private stopping = false;
  private finished: Promise<ExitStatus> | undefined;
  private settle!: { resolve: (status: ExitStatus) => void; reject: (error: unknown) => void };
  private warnedProperties = false;

  constructor(private readonly options: VerifierOptions) {
    this.tracker = new SequenceTracker({ groupMember: options.group !== undefined });
    // Read no further ahead of the checkpoint than the window the broker was given.
    this.gate = new AcknowledgementGate(options.receiveMaximum);
    this.broker = brokerIdentity(options.settings.servers, options.settings.protocolVersion);
    this.sessions = new SessionContext({ clean: options.clean, queueLimit: options.queueLimit ?? null });
  }

  /** Connects and verifies until stop(), the count, or a fatal error. */
  run(): Promise<ExitStatus> {
    const { options } = this;
    const result = new Promise<ExitStatus>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    if (options.checkpoint) {
      const saved = options.checkpoint.loadFor(options.settings.clientId, options.topic);
      if (saved) this.continueFrom(saved, options.checkpoint.path);
    }
    this.rejectedBefore = this.tracker.summary();
    if (!options.clean && options.sessionExpiry === 0 && options.settings.protocolVersion === 5) {
      this.emit({ event: 'warning', code: 'session-expiry-zero' });
    }
    // Said at once, before any line to flush or record to commit.
    for (const warning of options.settings.warnings) options.renderer.render({ event: 'warning', ...warning });
    // The session is known from the CONNACK's 'packetreceive' and the messages from theirs: the order of the wire.
    this.connection = openConnection(
      options.settings,
      { clean: options.clean, sessionExpiry: options.sessionExpiry, receiveMaximum: options.receiveMaximum },
      { onEvent: (event) => this.onConnection(event), onFatal: (error) => void this.stop(error), onReady: () => this.subscribe() },
      this.gate.wrap,
    );
    // 'packetreceive' comes before MQTT.js handles the packet, so before it writes any acknowledgement
    // (PUBACK, or PUBREC at QoS 2), on MQTT 3.1.1 and 5 alike (see client-internals.ts); the gate holds
    // that acknowledgement until the record is on disk.
    this.connection.client.on('packetsend', (packet) => {
      if (packet.cmd === 'connect') this.connectSentAt = Date.now();
    });
    this.connection.client.on('packetreceive', (packet) => {
      if (packet.cmd !== 'publish') return;
      if (this.stopping) {
        this.leftInSession++;
        this.gate.freeze();
      } else {
        this.record(packet);
      }
    });
    this.flushSoon();
    return result;
  }

  /** Continues the saved accounting, or starts a new chapter when it belongs to another broker or --reset asks. */
  private continueFrom(saved: CheckpointData, path: string): void {
    const { totals } = saved.tracker;
    const reason = chapterReason(saved.broker, this.broker, this.options.reset);
    if (reason === null) {
      this.tracker.restore(saved.tracker);
      this.sessions.hadSession = saved.hadSession && !this.options.clean;
      this.emit({ event: 'checkpoint', path, lastValues: this.tracker.lastValues(), received: totals.received, missing: totals.missing });
      return;
    }
    // After --reset the session on the same broker is still this client's; another broker never had it.
    const sameBroker = chapterReason(saved.broker, this.broker, false) === null;
    if (reason === 'reset' && sameBroker) this.sessions.hadSession = saved.hadSession && !this.options.clean;
    this.emit({ event: 'chapter', path, reason, previous: saved.broker ?? null, broker: this.broker, earlier: { received: totals.received, missing: totals.missing } });
  }

  private emit(event: ConsumerEvent): void {
    this.options.renderer.render(event);
    this.pending = true;
    this.flushSoon();
  }

  private onConnection(event: ConnectionEvent): void {
    this.emit(event);
    if (event.event === 'connected' && this.sessions.connected(event, Date.now(), this.connectSentAt).sessionLost) {
      this.emit({ event: 'session-lost', clientId: this.options.settings.clientId, lastValues: this.tracker.lastValues() });
    }
  }

  /**
   * Subscribes on every connection. A cluster may refuse a subscription for a few seconds after losing
   * a node, while it elects new leaders (NATS 2.9: SUBACK 0x80, "unspecified error"), so with several
   * URLs that refusal is tried again, a bounded number of times; any other refusal, or one from a
   * single broker, is final.
   */
  private subscribe(attempt = 1): void {
    const { topic, qos, settings } = this.options;
    const connection = this.sessions.connection;
    this.connection!.client.subscribe(topic, { qos }, (error, granted, packet) => {
      // A refusal comes as an error that carries the SUBACK: its reason code says why.
      const suback = subackOf(error, packet);
      const refusal = suback?.granted.find((code) => typeof code === 'number' && code >= 0x80);
      if (typeof refusal === 'number') {
        const transient = refusal === 0x80 && settings.servers.length > 1;
        if (transient && attempt < subscribeAttempts) {
          this.emit({ event: 'warning', code: 'subscription-retry', topic, reasonCode: refusal, retryInMs: subscribeRetryMs, attempt: attempt + 1, attempts: subscribeAttempts });
          // Not on a connection that has ended meanwhile: the next one subscribes afresh.
          setTimeout(() => {
            if (!this.stopping && this.sessions.connection === connection && this.connection?.client.connected) this.subscribe(attempt + 1);
          }, subscribeRetryMs);
          return;
        }
        const tries = attempt > 1 ? ` (${attempt} attempts, ${subscribeRetryMs / 1000} s apart)` : '';
        void this.stop(new CliError(`subscription to ${topic} refused: ${explainRefusal(refusal)}${tries}`));
        return;
      }
      if (error) return; // a connection lost meanwhile: subscribed again on the next connect
      this.emit({ event: 'subscribed', topic, qos: (granted?.[0]?.qos ?? qos) as 0 | 1 | 2 });
    });
  }

  /** One received message, synchronously: tracker, renderer, and a commit scheduled. */
  private record(packet: IPublishPacket): void {
    this.gate.hold();
    this.pending = true;
    const now = Date.now();
    const topic = packet.topic;
    const payload = packet.payload;
    this.received++;
    if (payload.length > this.options.maxPayloadBytes) {
      this.emit(this.tracker.reject(topic, { reason: 'too-large', bytes: payload.length, limit: this.options.maxPayloadBytes }));
    } else {
      const parsed = readMessageValue(this.options.valueSource, payload, packet.properties?.userProperties);
      if ('error' in parsed) {
        this.emit(this.tracker.reject(topic, parsed.error));
      } else {
        this.valuesRead++;
        const origin = readValueProperties(packet.properties?.userProperties);
        if (origin.problem && !this.warnedProperties) {
          this.warnedProperties = true;
          this.emit({ event: 'warning', code: 'malformed-property', topic, ...origin.problem });
        }
        const retained = packet.retain;
        const { queued, context } = this.sessions.arrived({ retained, qos: packet.qos, sentAt: origin.sentAt });
        const events = this.tracker.accept({
          topic,
          value: parsed.value,
          // A producer read where --producer-field or --producer-property points comes first.
          producerId: this.options.valueSource.producer ? parsed.producerId : (origin.producerId ?? parsed.producerId),
          runId: origin.runId,
          sentAt: origin.sentAt,
          receivedAt: now,
          queued,
          retained,
          qos: packet.qos,
          context,
        });
        const queuedWaits: Array<number | null> = [];
        for (const event of events) if (event.event === 'message' && event.queued) queuedWaits.push(event.waitedMs);
        const backlog = this.sessions.recorded({ retained, queued: queued === true }, queuedWaits, now);
        if (backlog) this.emit(backlog);
        this.watchBacklog(now);
        for (const event of events) this.options.renderer.render(event);
      }
    }
    this.flushSoon();
    if (this.options.count !== undefined && this.received >= this.options.count) void this.stop();
  }

  /**
   * Says the backlog once it has been quiet long enough. The quiet time is the same after every queued
   * value, so one timer is moved on (refresh), not made anew per message.
   */
  private watchBacklog(now: number): void {
    const quietAt = this.sessions.quietAt;
    if (quietAt === null) {
      clearTimeout(this.backlogTimer);
      this.backlogTimer = undefined;
      return;
    }
    const delay = quietAt - now;
    if (this.backlogTimer && delay === backlogQuietMs && this.backlogTimerMs === delay) {
      this.backlogTimer.refresh();
      return;
    }
    clearTimeout(this.backlogTimer);
    this.backlogTimerMs = delay;
    this.backlogTimer = setTimeout(() => {
      this.backlogTimer = undefined;
      const at = Date.now();
      const backlog = this.sessions.quiet(at);
      // The timer's clock is the event loop's, which may lag the wall clock a little: woken early, wait the rest.
      if (backlog) this.emit(backlog);
      else this.watchBacklog(at);
    }, delay);
    this.backlogTimer.unref();
  }

  /** Group commit: one commit runs at a time; whatever arrives meanwhile joins the next one. */
  private flushSoon(): void {
    if (this.commitScheduled || this.commitRunning) return;
    this.commitScheduled = true;
    setImmediate(() => {
      this.commitScheduled = false;
      void this.commit();
    });
  }

  private commit(): Promise<void> {
    if (this.commitRunning) return this.commitRunning;
    const running = this.writeBatch().finally(() => {
      this.commitRunning = undefined;
      if (this.pending && !this.stopping) this.flushSoon();
    });
    this.commitRunning = running;
    running.catch((error: unknown) => void this.stop(error));
    return running;
  }

  /**
   * Output first, then the checkpoint, then the acknowledgements held for this batch. The batch is what
   * had arrived when it began: the record is taken then, so that a message arriving while the output
   * drains, its line not yet written, is not recorded before it is shown (a crash between the two would
   * make it a duplicate that was never seen).
   */
  private async writeBatch(): Promise<void> {
    const mark = this.gate.mark();
    this.pending = false;
    const record: CheckpointData | undefined = this.options.checkpoint && {
      version: 3,
      clientId: this.options.settings.clientId,
      topic: this.options.topic,
      hadSession: this.sessions.hadSession,
      broker: this.broker,
      sessionExpiry: this.sessionExpiry,
      savedAt: new Date().toISOString(),
      tracker: this.tracker.snapshot(),
    };
    // Each await waits for the turn to end (the rest of what was read is handled first): none when
    // the lines are already written, so that the checkpoint's flush starts at once.
    const output = this.options.renderer.flush();
    if (output) await output;
    if (record) await this.options.checkpoint!.save(record);
    this.gate.release(mark, this.pending);
  }

  /** The session expiry asked for; MQTT 3.1.1 has none (the broker decides). */
  private get sessionExpiry(): number | null {
    return this.options.settings.protocolVersion === 5 ? this.options.sessionExpiry : null;
  }

  /** Records what is pending, says the summary, disconnects leaving the session on the broker. */
  stop(error?: unknown): Promise<ExitStatus> {
    if (this.finished) return this.finished;
    this.stopping = true;
    for (const event of this.tracker.settle()) this.emit(event);
    this.finished = (async (): Promise<ExitStatus> => {
      let failure = error;
      if (failure === undefined) {
        try {
          while (this.pending || this.commitRunning) await this.commit();
        } catch (commitError) {
          failure = commitError;
        }
      }
      clearTimeout(this.backlogTimer);
      const backlog = this.sessions.endBacklog();
      if (backlog) this.emit(backlog);
      const departure = {
        persistentSession: this.sessions.hadSession && this.sessionExpiry !== 0,
        sessionExpiry: this.sessionExpiry,
        at: new Date().toISOString(),
      };
      const summary = { ...this.tracker.summary(), leftInSession: this.leftInSession, group: this.options.group ?? null, departure };
      const nothingVerified = this.received > 0 && this.valuesRead === 0;
      if (nothingVerified) this.options.renderer.render(nothingVerifiedEvent(this.received, this.rejectedBefore!, summary, this.options.valueSource));
      this.options.renderer.render(summary);
      await this.options.renderer.flush();
      if (this.connection) {
        // Everything recorded is acknowledged by now: no later message is, and DISCONNECT leaves after all.
        this.gate.freeze();
        if (failure === undefined) await this.connection.close();
        else this.connection.abort();
      }
      if (failure !== undefined) throw failure;
      if (summary.missing > 0) return ExitCode.missing;
      return nothingVerified ? ExitCode.nothingVerified : ExitCode.ok;
    })();
    this.finished.then(this.settle.resolve, this.settle.reject);
    return this.finished;
  }
}
