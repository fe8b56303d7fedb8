#!/usr/bin/env node
/** The group report: the records of a consumer group's members merged, per producer; or a saved history of the demo checked again. */
import { Option } from 'commander';
import { createProgram, parseArguments } from './cli/program.js';
import { runCommand } from './cli/run.js';
import { ExitCode, UsageError, type ExitStatus } from './core/errors.js';
import type { MemberRecord } from './core/group.js';

const program = createProgram(
  'report',
  "Merge the records of a consumer group's members (their state files, or their --json output): per producer, the values delivered exactly once across the group, missing from the whole group, still waiting in the session of a member that is away, delivered to two members or again to the same one, and those that waited in an absent member's session.",
  [
    { args: '~/.local/state/mqtt-persistent-sessions/member-1.json ~/.local/state/mqtt-persistent-sessions/member-2.json', note: "the members' state files" },
    { args: 'member-1.jsonl member-2.jsonl --json', note: "their --json output; the report as one JSON object" },
    { args: '--history demo-history.jsonl', note: "a history the demo saved (demo --history FILE) checked again: the same verdicts and figures" },
    { args: '--history demo-history.jsonl --html run.html', note: 'the same, and a page that shows each run: its timeline, the faults, what was lost' },
    { args: '--producer producer.jsonl ~/.local/state/mqtt-persistent-sessions/my-consumer.json', note: "the producer's --json output joined with a consumer's record: what was acknowledged and never delivered" },
  ],
)
  .argument('[records...]', "the members' state files or --json outputs")
  .addOption(
    new Option('--producer <file>', "join a producer's record (its --json output or its state file) with the consumers': acknowledged values never delivered; repeat for several producers")
      .argParser((file: string, earlier: string[] | undefined) => [...(earlier ?? []), file]),
  )
  .addOption(new Option('--json', 'print the report as one JSON object (see docs/producers-and-groups.md)'))
  .addOption(new Option('--history <file>', 'check again a history saved by the demo (--history FILE): each scenario\'s verdict and the checkers\' figures, from its operations alone (see docs/clusters.md)'))
  .addOption(new Option('--html <file>', 'with --history: also write a page (HTML, self-contained) that shows each scenario as a timeline: values sent, acknowledged and delivered, the faults, the lost values, the failover, beside its figures'))
  .addHelpText(
    'after',
    "\nA value no member has is waiting, not missing, when it comes after the last value of its producer that a member received before leaving with a session the broker still keeps (by its expiry): it may be parked there until that member returns.\n" +
      '\nWith --producer: the values the broker acknowledged to the producer that no consumer received, also after the last value a consumer had (the tail no gap reveals).\n' +
      '\nExit status: 0 every value reached a member (with --producer: every acknowledged value was delivered), 3 values lost (missing from the whole group; with --producer: acknowledged and never delivered), 4 nothing lost but values waiting for an absent member, 2 invalid usage, 1 a record that cannot be read.\n' +
      'With --history: 0 every scenario judged passes, 3 one fails (acknowledged values lost, or another condition of its claim), 1 a history that cannot be read (the first bad line is named).\n',
  );

runCommand('report', async () => {
  if (!parseArguments(program, process.argv)) return ExitCode.ok;
  const { history: historyFile, html } = program.opts<{ history?: string; html?: string }>();
  if (html !== undefined && historyFile === undefined) throw new UsageError('--html draws a saved history: give it with --history FILE');
  if (historyFile !== undefined) {
    if (program.args.length > 0) throw new UsageError('--history checks a saved history alone: give no member records with it');
    const { readHistory, recheckHistory } = await import('./cli/history-report.js');
    const history = readHistory(historyFile);
    const status = recheckHistory(history);
    if (html !== undefined) (await import('./cli/history-page.js')).writeHistoryPage(history, historyFile, html);
    return status;
  }
  if (program.args.length === 0) throw new UsageError("give the members' records (state files or --json outputs), or --history FILE");
  const [{ renderGroupReport }, { mergeGroup }, { readMemberRecord }] = await Promise.all([
    import('./cli/group-render.js'),
    import('./core/group.js'),
    import('./state/member-record.js'),
  ]);
  const records = program.args.map(readMemberRecord);
  const seen = new Map<string, string>();
  program.args.forEach((path, i) => {
    const member = records[i]!.member;
    const earlier = seen.get(member);
    if (earlier !== undefined) throw new UsageError(`${earlier} and ${path} are both the record of ${member}: give each member once`);
    seen.set(member, path);
  });
  const groups = [...new Set(records.map((record) => record.group).filter((group) => group !== null))];
  if (groups.length > 1) throw new UsageError(`the records belong to different groups (${groups.join(', ')}): a report merges the members of one group`);
  const options = program.opts<{ json?: boolean; producer?: string[] }>();
  if (options.producer !== undefined) return joinProducers(options.producer, records, options.json === true);
  const report = mergeGroup(records, Date.now());
  renderGroupReport(report, options.json === true);
  if (report.missing > 0) return ExitCode.missing;
  return report.waiting > 0 ? ExitCode.waiting : ExitCode.ok;
});

/** The producers' records joined with the consumers': exit 3 when acknowledged values were lost. */
async function joinProducers(files: string[], consumers: MemberRecord[], json: boolean): Promise<ExitStatus> {
  const [{ joinRecords, runMismatches }, { readProducerRecord }, { renderJoinedReport }] = await Promise.all([
    import('./core/delivery-join.js'),
    import('./state/producer-record.js'),
    import('./cli/joined-render.js'),
  ]);
  const producers = files.map(readProducerRecord);
  const mismatch = runMismatches(producers, consumers)[0];
  if (mismatch) {
    const { producer, runsSeen } = mismatch;
    throw new UsageError(
      `${producer.source} is run ${producer.runId} of ${producer.producerId}, but the consumers' records hold its run ${runsSeen.join(', ')}: give the record of that run (a producer's --state file spans its restarts)`,
    );
  }
  const report = joinRecords(producers, consumers, Date.now());
  renderJoinedReport(report, json);
  if (report.lost > 0) return ExitCode.missing;
  return report.waiting > 0 ? ExitCode.waiting : ExitCode.ok;
}
