import { setTimeout as sleep } from 'node:timers/promises';
import { acknowledgedBy, finishDelivery, firstValueAfterConnection, judge, msUntil } from '../../checker.js';
import { formatSeconds } from '../../../cli/output.js';
import { Nemesis } from '../../nemesis.js';
import { consumer, names, producer, receive, type Scenario } from '../../story.js';

export const pauseNode: Scenario = {
  name: 'pause-node',
  title: "The consumer's node freezes for longer than the keep-alive",
  claim: 'A node paused (SIGSTOP) for longer than 1.5 times the keep-alive is noticed as dead; the consumer resumes its session on another node, and when the node is resumed (SIGCONT) no acknowledged value is lost.',
  needsMosquitto: false,
  needsCluster: true,
  needsActions: ['pause', 'resume'],
  async run(context) {
    const nemesis = Nemesis.of(context);
    await nemesis.heal();
    const count = 1000;
    const pauseMs = 6000;
    const { topic, id, state } = names(context, 'pause-node');
    const receiver = consumer(context, nemesis.urls(1, 2, 3), id, topic, state, ['-k', '2']);
    await receiver.waitForEvent('subscribed', () => true, 20_000);
    const values = producer(context, nemesis.urls(2, 3), topic, ['--interval', '10', '--count', String(count)]);
    context.say(`The consumer is on node 1 with a keep-alive of 2 s; the producer sends ${count} values, one every 10 ms, through node 2.`);
    try {
      await receive(receiver, 100, 30_000);
      const pausedAt = await nemesis.pause(1);
      // Waited for here, to pace the story; the verdict and its figures come from the history.
      let throughOtherNodeMs: number | null;
      let noticedMs: number | null;
      try {
        noticedMs = await msUntil(receiver, pausedAt, 'the lost link noticed', () => receiver.eventsOf('offline').length > 0, pauseMs);
        if (noticedMs !== null) context.say(`The consumer declares the link dead after ${formatSeconds(noticedMs)}.`);
        throughOtherNodeMs = await msUntil(receiver, pausedAt, 'a value through another node', () => firstValueAfterConnection(receiver.events, 2) !== undefined, Math.max(0, pausedAt + pauseMs - Date.now()));
        await sleep(Math.max(0, pausedAt + pauseMs - Date.now()));
      } finally {
        await nemesis.resume(1);
      }
      throughOtherNodeMs ??= await msUntil(receiver, pausedAt, 'a value through another node', () => firstValueAfterConnection(receiver.events, 2) !== undefined, 30_000);
      const reconnected = receiver.eventsOf('connected')[1];
      if (reconnected) context.say(`The consumer goes on through node ${String(nemesis.nodeAt(reconnected.url))}: ${reconnected.sessionPresent === true ? 'session resumed' : 'no session there'}.`);
      const reopen = (): ReturnType<typeof consumer> => consumer(context, nemesis.urls(1, 2, 3), id, topic, state, ['-k', '2']);
      const { last, facts } = await finishDelivery(receiver, await acknowledgedBy(values, count, context.say), reopen, context.say, { waitMs: 60_000 });
      return judge('pause-node', nemesis.history, last, context.say, { missingAtEnd: (receiver.eventsOf('summary').at(-1)?.missing as number | undefined) ?? null, ...facts });
    } finally {
      await values.kill();
      await receiver.kill();
    }
  },
};
