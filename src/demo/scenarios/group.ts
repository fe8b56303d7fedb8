import { setTimeout as sleep } from 'node:timers/promises';
import { probeFinding } from '../../cli/output.js';
import type { GroupReport } from '../../core/group.js';
import { sharedVerdict } from '../../core/probe-facts.js';
import { judge } from '../checker.js';
import { Nemesis } from '../nemesis.js';
import { ChildCommand, messageValues, sentValues } from '../processes.js';
import { probeSharedSubscription } from '../shared-probe.js';
import { consumer, gapsOf, names, producer, receive, type Outcome, type Scenario, type ScenarioContext } from '../story.js';

export const group: Scenario = {
  name: 'group',
  title: 'A consumer group loses nothing while a member is away',
  claim:
    'Two members with persistent sessions share a topic ($share/GROUP/TOPIC); one leaves, values are sent, it returns: across the group every value arrives exactly once, those the broker held for the absent member included.',
  // On the broker under test, never on another: a PASS from a Mosquitto of its own would be credited to a broker that does not share.
  needsMosquitto: false,
  async run(context) {
    const probe = await probeSharedSubscription(context.url.split(',')[0]!, context.protocolVersion ?? 5);
    context.say(`Shared subscriptions on this broker: ${probeFinding(probe)}.`);
    if (sharedVerdict(probe.facts) !== 'honoured') {
      return { verdict: 'N/A', observed: `not applicable: the broker does not share a subscription (${probeFinding(probe)})`, facts: { shared: sharedVerdict(probe.facts) } };
    }
    return story(context);
  },
};

async function story(context: ScenarioContext): Promise<Outcome> {
  const nemesis = Nemesis.withoutCluster(context);
  const { topic, id, state } = names(context, 'group');
  const groupName = `demo-${context.tag}`;
  const member = (name: string): ChildCommand => consumer(context, context.url, `${id}-${name}`, topic, state.replace(/\.json$/, `-${name}.json`), ['--group', groupName]);
  const stay = member('a');
  const away = member('b');
  await Promise.all([stay.waitForEvent('subscribed'), away.waitForEvent('subscribed')]);
  const values = producer(context, context.url, topic, ['-i', `${id}-producer`]);
  let returned: ChildCommand | undefined;
  try {
    context.say(`Two members of the group ${groupName} share ${topic}; the producer sends a value every ${context.intervalMs} ms.`);
    await Promise.all([receive(stay, 3), receive(away, 3)]);
    await nemesis.stopClient(away);
    const leftAfter = Math.max(...sentValues(values));
    context.say(`Member b leaves (Ctrl+C) when the producer is at ${leftAfter}; member a stays.`);
    await sleep(context.intervalMs * 20);
    const backAt = Math.max(...sentValues(values));
    context.say(`Member b returns when the producer is at ${backAt}: ${backAt - leftAfter} values were sent while it was away.`);
    returned = member('b');
    await returned.waitForEvent('subscribed');
    await sleep(context.intervalMs * 5);
    await values.interrupt();
    const last = Math.max(...sentValues(values));
    const everyone = (): Set<number> => new Set([...messageValues(stay.events), ...messageValues(away.events), ...messageValues(returned!.events)]);
    await stay.waitUntil(`value ${last} at one member`, () => everyone().has(last), 10_000).catch(() => undefined);
    const exits = [(await stay.interrupt()).code, (await returned.interrupt()).code];
    const reportRun = ChildCommand.report([state.replace(/\.json$/, '-a.json'), state.replace(/\.json$/, '-b.json'), '--json']);
    const reportExit = (await reportRun.exitWithin(15_000)).code;
    const report = reportRun.events.find((e) => e.event === 'group-report') as unknown as GroupReport | undefined;
    const shares = report?.producers[0]?.members ?? [];
    const shareOf = (name: string): { received: number; queued: number } => shares.find((m) => m.member.endsWith(`-${name}`)) ?? { received: 0, queued: 0 };
    const facts = {
      sent: last,
      sentWhileAway: backAt - leftAfter,
      memberGaps: gapsOf(stay).length + gapsOf(away).length + gapsOf(returned).length,
      memberExits: exits.join(','),
      reportExit,
      values: report?.values ?? null,
      deliveredOnce: report?.deliveredOnce ?? null,
      deliveredTwice: report?.deliveredTwice ?? null,
      missing: report?.missing ?? null,
      waited: report?.waited ?? null,
      longestWaitMs: report?.longestWaitMs ?? null,
      receivedByA: shareOf('a').received,
      receivedByB: shareOf('b').received,
      queuedForB: shareOf('b').queued,
    };
    context.say(
      `The group report: ${String(facts.deliveredOnce)} of ${last} values delivered exactly once (a ${facts.receivedByA}, b ${facts.receivedByB}), ` +
        `${String(facts.missing)} missing, ${String(facts.deliveredTwice)} to two members; ${String(facts.waited)} waited in b's session while it was away.`,
    );
    // The verdict is the history's (the group's members answer together); the group report's figures and the members' own stay beside it.
    return { ...judge('group', nemesis.history, returned, context.say, facts), summary: undefined };
  } finally {
    await values.interrupt();
    await Promise.all([stay.kill(), away.kill(), returned?.kill()]);
  }
}
