/**
 * The producer at work: counts, keeps every value until the broker acknowledges it (across broker
 * outages, and with a state file across its own crashes), and sends in order within the broker's
 * in-flight window.
 */
import { addValue, type ValueRange } from '../core/delivery-join.js';
import { randomUUID } from 'node:crypto';
import type { IClientPublishOptions } from 'mqtt';
import { CliError, ExitCode, type ExitStatus } from '../core/errors.js';
import type { ConnectionEvent, ProducerEvent, Renderer } from '../core/events.js';
import { explainRefusal } from '../core/reasons.js';
import { valuePayload, valueProperties } from '../core/wire.js';
import type { ProducerStateFile } from '../state/producer-state.js';
import { fromRanges, toRanges } from '../core/value-ranges.js';
import { openConnection, type Connection } from './connection.js';
import { publishRefusalCode } from './client-internals.js';
import { GatheringPacketStream } from './packet-stream.js';
import type { ConnectionSettings } from './settings.js';

export interface PublisherOptions {
  settings: ConnectionSettings;
  topic: string;
  qos: 0 | 1 | 2;
  /** The producer's identity, which outlives a run (the client id given with -i); else the state file's, else the client id. */
  producerId?: string;
  /** Send "id:value" rather than the bare number, so that consumers can tell producers apart on MQTT 3.1.1 too. */
  idInPayload: boolean;
  /** Milliseconds between values; 0 sends back to back, as fast as the broker acknowledges. */
  intervalMs: number;
  count?: number;
  start: number;
  /** Opened (locked) by the caller. */
  stateFile?: ProducerStateFile;
  renderer: Renderer<ProducerEvent>;
  /** How long Ctrl+C waits for outstanding acknowledgements. */
  drainTimeoutMs: number;
}

/** The most values in flight at once, whatever the broker allows. */
const largestWindow = 1000;
/** With a state file, how many windows of values are written ahead of those in flight. */
const outboxWindows = 8;

export class CounterPublisher {
  /** This run's id; a restart from the state file continues the saved run. */
  private runId: string;
  private producerId: string;
  private nextValue: number;
  /** The run's first value; not known when continuing from a state file written before it was kept. */
  private firstValue: number | undefined;
  /** The values the broker acknowledged in this process, as ranges, for the report that joins producer and consumers. */
  private readonly acknowledgedValues: ValueRange[] = [];
  /** Durable (saved when a state file is used) and waiting to be published, in order. */
  private unsent: number[] = [];
  private unsentHead = 0;
  /** Generated, not yet durable. */
  private fresh: number[] = [];
  /** QoS 1 and 2 values published and not yet acknowledged. */
  private readonly inflight = new Set<number>();
  /** Values whose publish failed before MQTT.js kept them for a resend: published again first. */
  private returned: number[] = [];
  /**
   * QoS 0 values handed to the connection whose write has not completed (the socket's buffer is full):
   * nothing acknowledges them, but they pace the next ones. Only the current connection's count.
   */
  private writing = 0;
  private connection = 0;
  private readonly again = new Set<number>();
  private generated = 0;
  private sent = 0;
  private acknowledged = 0;
  private lastValue: number | null = null;
  private window = 20;
  private connected = false;
  /** The broker is known to be away (not merely being connected to for the first time). */
  private brokerAway = false;
  private link: Connection | undefined;
  private timer: NodeJS.Timeout | undefined;
  private saveRunning: Promise<void> | undefined;
  private saveWanted = false;
  private flushScheduled = false;
  private pumpScheduled = false;
  private stopping = false;
  private finished: Promise<ExitStatus> | undefined;
  private settle!: { resolve: (status: ExitStatus) => void; reject: (error: unknown) => void };
  private drained: (() => void) | undefined;

  constructor(private readonly options: PublisherOptions) {
    this.runId = randomUUID().slice(0, 8);
    this.producerId = options.producerId ?? options.settings.clientId;
    this.nextValue = options.start;
    this.firstValue = options.start;
  }

  run(): Promise<ExitStatus> {
    const { options } = this;
    const result = new Promise<ExitStatus>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    if (options.stateFile) {
      const saved = options.stateFile.load();
      if (saved) {
        if (saved.topic !== options.topic) {
          throw new CliError(`the state file ${options.stateFile.path} belongs to topic ${saved.topic}, not ${options.topic}: give this producer its own --state`, ExitCode.usage);
        }
        this.runId = saved.runId;
        this.producerId = options.producerId ?? saved.producerId ?? this.producerId;
        this.nextValue = saved.nextValue;
        this.firstValue = saved.firstValue;
        this.unsent = fromRanges(saved.unacknowledged);
        for (const value of this.unsent) this.again.add(value);
        this.emit({ event: 'state', path: options.stateFile.path, qos: options.qos, runId: saved.runId, nextValue: saved.nextValue, pending: this.unsent.length });
      }
    }
    for (const warning of options.settings.warnings) this.emit({ event: 'warning', ...warning });
    this.link = openConnection(
      options.settings,
      { clean: true },
      { onEvent: (event) => this.onConnection(event), onFatal: (error) => void this.stop(error), onReady: () => this.pump() },
      (socket) => new GatheringPacketStream(socket),
    );
    if (options.intervalMs > 0) {
      this.tick();
      this.timer = setInterval(() => this.tick(), options.intervalMs);
    }
    return result;
  }

  private emit(event: ProducerEvent): void {
    this.options.renderer.render(event);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.options.renderer.flush();
    });
  }

  private onConnection(event: ConnectionEvent): void {
    this.emit(event);
    // A link that ended will never complete its writes: the next connection starts with none.
    this.connection++;
    this.writing = 0;
    if (event.event === 'connected') {
      const brokerWindow = event.receiveMaximum ?? (this.options.settings.protocolVersion === 5 ? 65535 : 100);
      this.window = Math.max(1, Math.min(largestWindow, brokerWindow));
      this.connected = true;
      this.brokerAway = false;
    } else {
      this.connected = false;
      this.brokerAway = true;
    }
  }

  private get countReached(): boolean {
    return this.options.count !== undefined && this.generated >= this.options.count;
  }

  private get outstanding(): number {
    return this.inflight.size + this.returned.length + (this.unsent.length - this.unsentHead) + this.fresh.length;
  }

  /** One value per interval, connected or not: a broker outage does not stop the counter. */
  private tick(): void {
    if (this.stopping || this.countReached) {
      clearInterval(this.timer);
      return;
    }
    const value = this.generate(1)[0]!;
    if (this.brokerAway) this.emit({ event: 'kept', value, pending: this.outstanding });
    void this.makeDurable();
  }

  private generate(howMany: number): number[] {
    const values: number[] = [];
    for (let i = 0; i < howMany && !this.countReached; i++) {
      values.push(this.nextValue++);
      this.generated++;
    }
    this.fresh.push(...values);
    return values;
  }

  /** Saves the state (when there is a state file) so that every generated value is durable, then sends. */
  private async makeDurable(): Promise<void> {
    if (!this.options.stateFile) {
      this.moveFreshToUnsent();
      // Soon, not now: at QoS 0 nothing in flight would stop pump() and makeDurable() calling each other.
      this.pumpSoon();
      return;
    }
    if (this.saveRunning) {
      this.saveWanted = true;
      return this.saveRunning;
    }
    const running = this.saveLoop().finally(() => {
      this.saveRunning = undefined;
    });
    this.saveRunning = running;
    this.saveRunning.catch((error: unknown) => void this.stop(error));
    return this.saveRunning;
  }

  private async saveLoop(): Promise<void> {
    do {
      this.saveWanted = false;
      const becomingDurable = this.fresh.length;
      await this.options.stateFile!.save({
        version: 1,
        runId: this.runId,
        producerId: this.producerId,
        topic: this.options.topic,
        ...(this.firstValue === undefined ? {} : { firstValue: this.firstValue }),
        qos: this.options.qos,
        nextValue: this.nextValue,
        unacknowledged: toRanges(this.unacknowledgedValues()),
      });
      this.moveFreshToUnsent(becomingDurable);
      this.pump();
    } while (this.saveWanted);
  }

  private unacknowledgedValues(): number[] {
    const values = [...this.inflight, ...this.returned];
    for (let i = this.unsentHead; i < this.unsent.length; i++) values.push(this.unsent[i]!);
    values.push(...this.fresh);
    return values.sort((a, b) => a - b);
  }

  private moveFreshToUnsent(howMany = this.fresh.length): void {
    if (this.unsentHead > 4096 && this.unsentHead * 2 > this.unsent.length) {
      this.unsent = this.unsent.slice(this.unsentHead);
      this.unsentHead = 0;
    }
    for (const value of this.fresh.splice(0, howMany)) this.unsent.push(value);
  }

  /**
   * Acknowledgements arrive many to a read: refill the window once for all of them, so that the
   * next publishes leave in one socket write instead of one write each.
   */
  private pumpSoon(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Publishes durable values while the broker's window has room; back to back with --interval 0. */
  private pump(): void {
    if (!this.connected || !this.link?.client.connected) return;
    while (this.inflight.size + this.writing < this.window && this.returned.length > 0) this.publish(this.returned.shift()!);
    while (this.inflight.size + this.writing < this.window && this.unsentHead < this.unsent.length) {
      this.publish(this.unsent[this.unsentHead++]!);
    }
    if (this.options.intervalMs === 0 && !this.stopping && !this.countReached && this.fresh.length === 0) {
      // With a state file, the next windows are written while this one is in flight: the broker is never
      // left waiting for a save, and one save covers many windows.
      const ahead = this.options.stateFile ? outboxWindows * this.window : this.window;
      const room = ahead - this.outstanding - this.writing;
      if (room > 0) {
        this.generate(room);
        void this.makeDurable();
      }
    }
    this.checkDone();
  }

  private publish(value: number): void {
    const { topic, qos, settings } = this.options;
    const publishOptions: IClientPublishOptions = { qos };
    if (settings.protocolVersion === 5) publishOptions.properties = { userProperties: valueProperties(this.producerId, this.runId, Date.now()) };
    this.sent++;
    this.lastValue = value;
    this.emit({ event: 'sent', topic, value, again: this.again.delete(value) });
    const payload = valuePayload(value, this.options.idInPayload ? this.producerId : undefined);
    if (qos === 0) {
      // Nothing answers a QoS 0 PUBLISH: the value is sent once handed to the connection. MQTT.js calls
      // back when the socket has taken it (at once, or at its 'drain'), or never if the link ends first.
      const connection = this.connection;
      this.writing++;
      this.link!.client.publish(topic, payload, publishOptions, () => {
        if (connection !== this.connection) return;
        this.writing--;
        if (this.options.stateFile && this.writing === 0) void this.makeDurable();
        this.pumpSoon();
      });
      return;
    }
    this.inflight.add(value);
    this.link!.client.publish(topic, payload, publishOptions, (error) => {
      if (error) {
        const code = publishRefusalCode(error);
        if (code !== undefined) {
          void this.stop(new CliError(`the broker refused value ${value} on ${topic}: ${explainRefusal(code)}`));
        }
        // An error is a publish MQTT.js did not complete: one that was waiting for the resends of the
        // last connection when this one ended is not kept for the next, so it is published again here.
        if (this.inflight.delete(value)) {
          this.returned.push(value);
          this.again.add(value);
        }
        return;
      }
      this.inflight.delete(value);
      this.acknowledged++;
      this.emit({ event: 'acknowledged', topic, value });
      addValue(this.acknowledgedValues, value);
      if (this.options.stateFile && this.inflight.size === 0) void this.makeDurable();
      this.pumpSoon();
    });
  }

  private checkDone(): void {
    if (this.outstanding > 0) return;
    if (this.drained) this.drained();
    else if (this.countReached && !this.stopping) void this.stop();
  }

  /** Stops counting, waits a bounded time for acknowledgements, saves, disconnects, sums up. */
  stop(error?: unknown): Promise<ExitStatus> {
    if (this.finished) return this.finished;
    this.stopping = true;
    clearInterval(this.timer);
    this.finished = (async (): Promise<ExitStatus> => {
      let failure = error;
      if (failure === undefined && this.outstanding > 0 && this.connected) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.options.drainTimeoutMs);
          this.drained = () => {
            clearTimeout(timer);
            resolve();
          };
          this.pump();
        });
      }
      if (failure === undefined && this.options.stateFile) {
        try {
          while (this.saveRunning) await this.saveRunning;
          await this.makeDurable();
        } catch (saveError) {
          failure = saveError;
        }
      }
      this.options.renderer.render({
        event: 'producer-summary',
        qos: this.options.qos,
        sent: this.sent,
        acknowledged: this.options.qos === 0 ? null : this.acknowledged,
        pending: this.outstanding,
        lastValue: this.lastValue,
        topic: this.options.topic,
        producerId: this.producerId,
        runId: this.runId,
        acknowledgedValues: this.options.qos === 0 ? null : this.acknowledgedValues,
      });
      await this.options.renderer.flush();
      if (this.link) {
        if (failure === undefined) await this.link.close();
        else this.link.abort();
      }
      if (failure !== undefined) throw failure;
      return ExitCode.ok;
    })();
    this.finished.then(this.settle.resolve, this.settle.reject);
    return this.finished;
  }
}
