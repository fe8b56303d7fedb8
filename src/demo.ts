#!/usr/bin/env node
/** The demo: the article's claims replayed unattended against a broker, each with PASS or FAIL. */
import { onInterrupt, parseArguments } from './cli/program.js';
import { onOutputClosed, runCommand } from './cli/run.js';
import { CliError, ExitCode } from './core/errors.js';
import { demoPlan, demoProgram } from './demo/command.js';
import { createDemoRun, nodesFileBroker, startDemoBroker, stopScenarios } from './demo/run.js';
import { reportCard } from './demo/report-card.js';

const program = demoProgram();

runCommand('demo', async () => {
  if (!parseArguments(program, process.argv)) return ExitCode.ok;
  const plan = demoPlan(program);
  const out = (line = ''): void => void process.stdout.write(`${line}\n`);
  if (plan.mode === 'report-card') {
    onInterrupt(() => void stopScenarios(out).then(() => process.exit(130)));
    const card = await reportCard(plan.url, plan.protocolVersion, plan.interval, out);
    const failed = card.claims.filter((result) => result.outcome.verdict === 'FAIL').length;
    if (failed > 0) throw new CliError(`${failed} of ${card.claims.length} claims failed on this broker`);
    return ExitCode.ok;
  }
  const faults = plan.chosen.some((scenario) => scenario.needsCluster);
  const broker = !plan.broker
    ? undefined
    : plan.broker.kind === 'nodes'
      ? nodesFileBroker(plan.broker.file, plan.protocolVersion)
      : await startDemoBroker(plan.broker.kind, plan.broker.nodes, plan.broker.url, plan.protocolVersion, faults);
  const demo = createDemoRun(broker, out, plan.ownFaultNodes);
  onInterrupt(() => void demo.stop().then(() => process.exit(130)));
  onOutputClosed(() => void demo.stop().then(() => process.exit(ExitCode.ok)));
  let failed: number;
  try {
    failed = (await demo.run(plan.chosen, plan.interval)).filter((result) => result.outcome.verdict === 'FAIL').length;
  } finally {
    await demo.stop();
  }
  if (failed > 0) throw new CliError(`${failed} of ${plan.chosen.length} scenarios failed`);
  return ExitCode.ok;
});
