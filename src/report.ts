#!/usr/bin/env node
/** The group report: the records of a consumer group's members merged, per producer; or a saved history of the demo checked again. */
import { Option } from 'commander';
import { createProgram, parseArguments } from './cli/program.js';
import { runCommand } from './cli/run.js';
import { ExitCode, UsageError } from './core/errors.js';

const program = createProgram(
  'report',
  "Merge the records of a consumer group's members (their state files, or their --json output): per producer, the values delivered exactly once across the group, missing from the whole group, still waiting in the session of a member that is away, delivered to two members or again to the same one, and those that waited in an absent member's session.",
  [
    { args: '~/.local/state/mqtt-persistent-sessions/member-1.json ~/.local/state/mqtt-persistent-sessions/member-2.json', note: "the members' state files" },
    { args: 'member-1.jsonl member-2.jsonl --json', note: "their --json output; the report as one JSON object" },
    { args: '--history demo-history.jsonl', note: "a history the demo saved (demo --history FILE) checked again: the same verdicts and figures" },
    { args: '--history demo-history.jsonl --html run.html', note: 'the same, and a page that shows each run: its timeline, the faults, what was lost' },
  ],
)
  .argument('[records...]', "the members' state files or --json outputs")
  .addOption(new Option('--json', 'print the report as one JSON object (see docs/producers-and-groups.md)'))
  .addOption(new Option('--history <file>', 'check again a history saved by the demo (--history FILE): each scenario\'s verdict and the checkers\' figures, from its operations alone (see docs/clusters.md)'))
  .addOption(new Option('--html <file>', 'with --history: also write a page (HTML, self-contained) that shows each scenario as a timeline: values sent, acknowledged and delivered, the faults, the lost values, the failover, beside its figures'))
  .addHelpText(
    'after',
    "\nA value no member has is waiting, not missing, when it comes after the last value of its producer that a member received before leaving with a session the broker still keeps (by its expiry): it may be parked there until that member returns.\n" +
      '\nExit status: 0 every value reached a member, 3 values missing from the whole group, 4 nothing missing but values waiting for an absent member, 2 invalid usage, 1 a record that cannot be read.\n' +
      'With --history: 0 every scenario judged passes, 3 one fails (acknowledged values lost, or another condition of its claim), 1 a history that cannot be read (the first bad line is named).\n',
  );

runCommand('report', async () => {
  if (!parseArguments(program, process.argv)) return ExitCode.ok;
  const { history: historyFile, html } = program.opts<{ history?: string; html?: string }>();
  if (html !== undefined && historyFile === undefined) throw new UsageError('--html draws a saved history: give it with --history FILE');
  if (historyFile !== undefined) {
    if (program.args.length > 0) throw new UsageError('--history checks a saved history alone: give no member records with it');
    const { recheckHistory } = await import('./cli/history-report.js');
    const status = recheckHistory(historyFile);
    if (html !== undefined) (await import('./cli/history-page.js')).writeHistoryPage(historyFile, html);
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
  const report = mergeGroup(records, Date.now());
  renderGroupReport(report, program.opts<{ json?: boolean }>().json === true);
  if (report.missing > 0) return ExitCode.missing;
  return report.waiting > 0 ? ExitCode.waiting : ExitCode.ok;
});
