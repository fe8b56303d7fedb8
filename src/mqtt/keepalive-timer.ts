/**
 * The timer MQTT.js's keep-alive runs on (its documented `timerVariant` option: an object with set and
 * clear, used as setInterval and clearInterval). MQTT.js moves the keep-alive on at every packet it
 * receives: a clear and a set each time, which with Node's own timers takes a timer out of its list and
 * puts a new one in, thousands of times a second at full rate. Here a set that follows a clear reuses
 * the interval and only moves its deadline; its Node timer notices when it fires and waits the rest.
 */
import type { Timer } from 'mqtt';

/** One interval: what to call, how often, and when next. */
interface Interval {
  id: number;
  callback: () => void;
  everyMs: number;
  /** Date.now() at which the callback is due. */
  due: number;
  active: boolean;
  /** The Node timer that wakes this interval up; undefined when none is pending. */
  timeout: NodeJS.Timeout | undefined;
}

/**
 * A timer object for MQTT.js's `timerVariant`: setInterval's behaviour, each interval counted from its
 * set(). Its Node timers do not keep the process alive: the socket does while connected, and without
 * one the keep-alive has nothing to watch.
 */
export function movableIntervalTimer(): Timer {
  const active = new Map<number, Interval>();
  /** The last interval cleared, whose Node timer may still be pending: the next set() takes it over. */
  let idle: Interval | undefined;
  let lastId = 0;

  const arm = (interval: Interval, ms: number): void => {
    interval.timeout = setTimeout(wake, ms, interval);
    interval.timeout.unref();
  };
  const wake = (interval: Interval): void => {
    interval.timeout = undefined;
    if (!interval.active) return;
    const rest = interval.due - Date.now();
    if (rest > 0) {
      arm(interval, rest);
      return;
    }
    interval.due += interval.everyMs;
    arm(interval, interval.everyMs);
    interval.callback();
  };

  return {
    set(callback: () => void, everyMs = 0): number {
      const due = Date.now() + everyMs;
      let interval = idle;
      if (interval !== undefined && interval.everyMs === everyMs) {
        idle = undefined;
        interval.callback = callback;
        interval.due = due;
        interval.active = true;
        // A Node timer still pending fires no later than this deadline, and then waits the rest.
        if (interval.timeout === undefined) arm(interval, everyMs);
      } else {
        interval = { id: ++lastId, callback, everyMs, due, active: true, timeout: undefined };
        arm(interval, everyMs);
      }
      active.set(interval.id, interval);
      return interval.id;
    },
    clear(id: number): void {
      const interval = active.get(id);
      if (interval === undefined) return;
      active.delete(id);
      interval.active = false;
      if (idle !== undefined) {
        clearTimeout(idle.timeout);
        idle.timeout = undefined;
      }
      idle = interval;
    },
  };
}
