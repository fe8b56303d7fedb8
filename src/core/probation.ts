/**
 * The sequence of publishers that give no producer id, wrapped around one ProducerSequence: its first
 * values are on probation (a gap or restart among them is said only once they show one publisher), and
 * once its values keep going back it is taken as shared by several, counted from then on, never judged.
 */
import type { Delivery } from './accounting.js';
import type { Segment, SequenceSnapshot, TopicSummary } from './counts.js';
import type { GapEvent, LastValue, RestartEvent, SharedTopicEvent, TrackerEvent } from './events.js';
import { messageEvent, ProducerSequence, type Placed } from './sequence.js';

/**
 * Publishers without an id share a sequence when it keeps going back: at least this many steps back,
 * and at least one in this many values (a single publisher steps back once per redelivery, not per value).
 */
const sharedStepsBack = 4;
const sharedOneIn = 20;

/**
 * An unnamed publisher's first values are on probation: a gap among them is said only once this many
 * values have shown no sign of a second publisher (one counting from 1 and one from 101 would otherwise
 * make a false gap of 99 before the sharing shows).
 */
export const probationValues = 20;

type Held = GapEvent | RestartEvent;

/** What is left of a sequence found shared: its values are counted, never judged. */
type SharedCounts = Pick<SequenceSnapshot, 'topic' | 'producerId' | 'runId' | 'first' | 'highest' | 'received' | 'queued' | 'longestQueuedWaitMs' | 'stepsBack'>;

/** Each held gap cut to what is still missing of it in these segments, frozen (no longer cut) from then on. */
function clip(held: Array<{ event: Held; frozen: boolean }>, segments: readonly Segment[]): Held[] {
  const out: Held[] = [];
  for (const { event, frozen } of held) {
    if (frozen || event.event !== 'gap') {
      out.push(event);
      continue;
    }
    for (const segment of segments) {
      if (segment.kind !== 'missing' || segment.to < event.from || segment.from > event.to) continue;
      const from = Math.max(segment.from, event.from);
      const to = Math.min(segment.to, event.to);
      out.push({ ...event, from, to, missing: to - from + 1 });
    }
  }
  return out;
}

export class UnnamedSequence {
  /** Gaps and restarts said once the probation is over; a gap is frozen once its run has ended. */
  private held: Array<{ event: Held; frozen: boolean }> = [];
  private shared: SharedCounts | null = null;

  private constructor(private sequence: ProducerSequence | null) {}

  static wrap(sequence: ProducerSequence): UnnamedSequence {
    return new UnnamedSequence(sequence);
  }

  static restore(saved: SequenceSnapshot, groupMember: boolean): UnnamedSequence {
    if (!saved.shared) return new UnnamedSequence(ProducerSequence.restore(saved, groupMember));
    const restored = new UnnamedSequence(null);
    const { topic, producerId, runId, first, highest, received, queued, longestQueuedWaitMs, stepsBack } = saved;
    restored.shared = { topic, producerId, runId, first, highest, received, queued, longestQueuedWaitMs, stepsBack };
    return restored;
  }

  /** Where the sequence stands: its producer and the highest value seen. */
  lastValue(): LastValue {
    const { topic, producerId, highest } = this.shared ?? this.sequence!;
    return { topic, producerId, value: highest };
  }

  accept(delivery: Delivery, waitedMs: number | null): Placed {
    if (this.shared) return { events: [this.countShared(this.shared, delivery, waitedMs)], endedRun: null };
    const sequence = this.sequence!;
    const stepsBack = sequence.stepsBack;
    const placed = sequence.accept(delivery, waitedMs);
    const onProbation = sequence.received < probationValues;
    let events: TrackerEvent[] = placed.events;
    if (onProbation) {
      events = [];
      for (const event of placed.events) {
        if (event.event === 'gap') this.held.push({ event, frozen: false });
        else if (event.event === 'producer-restart') this.held = [...clip(this.held, placed.endedRun ?? []).map((e) => ({ event: e, frozen: true })), { event, frozen: true }];
        else events.push(event);
      }
    }
    const steppedBack = sequence.stepsBack > stepsBack;
    if (steppedBack && sequence.stepsBack >= sharedStepsBack && sequence.stepsBack * sharedOneIn >= sequence.received) {
      events.push(this.share(sequence));
    } else if (sequence.received === probationValues && this.held.length > 0) {
      events.push(...this.settle());
    }
    return { events, endedRun: placed.endedRun };
  }

  /** The probation is over, or the consumer stops: what was held is said now, as far as it still stands. */
  settle(): Held[] {
    if (this.sequence === null) return [];
    const released = clip(this.held, this.sequence.segments);
    this.held = [];
    return released;
  }

  private countShared(shared: SharedCounts, delivery: Delivery, waitedMs: number | null): TrackerEvent {
    shared.received++;
    if (delivery.queued) {
      shared.queued++;
      if (waitedMs !== null && (shared.longestQueuedWaitMs === null || waitedMs > shared.longestQueuedWaitMs)) shared.longestQueuedWaitMs = waitedMs;
    }
    if (delivery.value > shared.highest) shared.highest = delivery.value;
    if (delivery.value < shared.first) shared.first = delivery.value;
    return messageEvent(delivery, waitedMs, false, false);
  }

  /**
   * Several unnamed publishers share this sequence: what was judged on it (gaps, duplicates, restarts)
   * is withdrawn, and from now on its values are counted, never judged.
   */
  private share(sequence: ProducerSequence): SharedTopicEvent {
    const { topic, producerId, runId, first, highest, received, queued, longestQueuedWaitMs, stepsBack } = sequence;
    this.shared = { topic, producerId, runId, first, highest, received, queued, longestQueuedWaitMs, stepsBack };
    this.sequence = null;
    this.held = [];
    return { event: 'shared-topic', topic, received, stepsBack, withdrawn: { missing: sequence.missing, duplicates: sequence.duplicates, restarts: sequence.restarts } };
  }

  view(): TopicSummary {
    if (this.sequence) return this.sequence.view();
    const { topic, producerId, runId, first, highest, received, queued, longestQueuedWaitMs } = this.shared!;
    return { topic, producerId, runId, first, highest, received, unique: 0, missing: 0, duplicates: 0, outOfOrder: 0, queued, restarts: 0, longestQueuedWaitMs, shared: true, segments: [] };
  }

  snapshot(): SequenceSnapshot {
    return this.sequence ? this.sequence.snapshot() : { ...this.view(), stepsBack: this.shared!.stepsBack };
  }
}
