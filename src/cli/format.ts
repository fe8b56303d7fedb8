/** The pieces every command's text is made of, formatted in one way wherever they appear. */
import type { BrokerIdentity } from '../core/chapter.js';
import { valueRanges } from '../core/value-ranges.js';

/** "850 ms", "12.5 s", "3.0 min", "2.5 h". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  // Tenths of a second in whole numbers: a queued value's line says its wait, and toFixed costs more.
  if (ms < 120_000) {
    const tenths = Math.round(ms / 100);
    return `${Math.trunc(tenths / 10)}.${tenths % 10} s`;
  }
  const seconds = ms / 1000;
  const minutes = seconds / 60;
  if (minutes < 120) return `${minutes.toFixed(1)} min`;
  return `${(minutes / 60).toFixed(1)} h`;
}

/** "1 value", "3 values": a count and its noun, plural when it is not one. */
export function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Always in seconds, to a tenth: "2.0 s", "90.0 s" (the steps of a story, compared with each other). */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** "7" or "3-5". */
export function formatRange(from: number, to: number): string {
  return from === to ? `${from}` : `${from}-${to}`;
}

/** Ranges in one line, the middle left out when there are more than most: "3-5, 9". */
export function formatRanges(ranges: ReadonlyArray<{ from: number; to: number }>, most = 8): string {
  const shown = ranges.map((r) => formatRange(r.from, r.to));
  if (shown.length <= most) return shown.join(', ');
  const head = shown.slice(0, most - 2);
  const tail = shown.slice(-2);
  return `${head.join(', ')}, ... (${shown.length - most} more ranges) ..., ${tail.join(', ')}`;
}

/** Sorted values as ranges, every one of them: [3, 4, 5, 9] is "3-5, 9". */
export function formatValues(values: readonly number[]): string {
  return formatRanges(valueRanges(values), Infinity);
}

/** "0x8F". */
export function hex(code: number): string {
  return `0x${code.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** "my_topic" or, when the sequence belongs to a named producer, "my_topic from sensor-1". */
export function sequenceName(topic: string, producerId: string | null): string {
  return producerId === null ? topic : `${topic} from ${producerId}`;
}

/** "mqtt://127.0.0.1:1883 (MQTT 5)". */
export function brokerText(broker: BrokerIdentity): string {
  return `${broker.urls.join(', ')} (MQTT ${broker.protocolVersion === 4 ? '3.1.1' : '5'})`;
}

/** Which of several brokers a connection reached; nothing when only one was given. */
export function nodeOf(event: { node: number; nodes: number }): string {
  return event.nodes > 1 ? ` (node ${event.node} of ${event.nodes})` : '';
}
