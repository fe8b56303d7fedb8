/**
 * The output machinery every command shares: colours (only on a terminal, never under NO_COLOR), lines
 * buffered and written in one go, and the choice between lines for a person and one JSON object per line.
 */
import { Chalk, supportsColor, type ChalkInstance } from 'chalk';
import type { ConsumerEvent, ProducerEvent, Renderer } from '../core/events.js';
import { isSettingWarning, warningText } from './notices.js';

/** Colours only on a terminal, never when NO_COLOR is set (https://no-color.org), forced by FORCE_COLOR. */
export function colorLevel(stream: NodeJS.WriteStream = process.stdout, env = process.env): 0 | 1 | 2 | 3 {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (env.FORCE_COLOR !== undefined) return supportsColor ? supportsColor.level : 1;
  if (!stream.isTTY) return 0;
  return supportsColor ? supportsColor.level : 0;
}

/** Colours as the stream takes them. */
export function chalkFor(stream: NodeJS.WriteStream = process.stdout): ChalkInstance {
  return new Chalk({ level: colorLevel(stream) });
}

class LineBuffer {
  private lines: string[] = [];
  constructor(private readonly stream: NodeJS.WriteStream) {}
  push(line: string): void {
    this.lines.push(line);
  }
  flush(): Promise<void> | undefined {
    if (this.lines.length === 0) return undefined;
    const text = this.lines.join('\n') + '\n';
    this.lines = [];
    // A reader that went away (| head) reads no more: the lines are dropped, the accounting goes on.
    if (this.stream.destroyed || !this.stream.writable) return undefined;
    const written = new Promise<void>((resolve) => this.stream.write(text, () => resolve()));
    // Files, and pipes on Linux, are written before write() returns: nothing is left to wait for.
    return this.stream.writableLength === 0 ? undefined : written;
  }
}

/** The JSON form of an event: plain fields only (no packets), one object per line. */
export function toJson(event: ConsumerEvent | ProducerEvent): Record<string, unknown> {
  if (event.event === 'connected') {
    return { event: 'connected', url: event.url, node: event.node, nodes: event.nodes, clientId: event.clientId, sessionPresent: event.sessionPresent };
  }
  return { ...event };
}

/** Where the lines go: stdout for what happened, stderr for what a person must know about the settings. */
export interface Streams {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
}

/** A renderer that writes JSON lines, or the lines that line() makes for a person (null: nothing to say). */
export function createRenderer<E extends ConsumerEvent | ProducerEvent>(
  json: boolean,
  streams: Streams,
  line: (event: E, chalk: ChalkInstance) => string | null,
): Renderer<E> {
  const buffer = new LineBuffer(streams.out);
  const chalk = chalkFor(streams.out);
  return {
    render: (event) => {
      if (event.event === 'warning' && isSettingWarning(event)) {
        streams.err.write(`Warning: ${warningText(event)}\n`);
        return;
      }
      if (json) {
        buffer.push(JSON.stringify(toJson(event)));
        return;
      }
      const text = line(event, chalk);
      if (text !== null) buffer.push(text);
    },
    flush: () => buffer.flush(),
  };
}
