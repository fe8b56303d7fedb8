/**
 * The report card of a broker given by URL: the article's claims that need no control of the broker
 * (no restart, no node to kill, no settings to choose), then the probes of what it grants, how long it
 * keeps an offline session and how much of a backlog; a table of both at the end.
 */
import { probeProtocols, probeQos2, probeQueue, probeSessionLifetime, type ProbeResult } from './probes.js';
import { createDemoRun, type ScenarioResult } from './run.js';
import { scenarios } from './scenarios.js';

export interface ReportCard {
  claims: ScenarioResult[];
  probes: ProbeResult[];
}

/** The claims a report card runs: those that bring no broker of their own and stop or kill no node. */
export const reportCardScenarios = scenarios.filter((scenario) => !scenario.needsMosquitto && !scenario.needsCluster && !scenario.needsStartedBroker);

export async function reportCard(url: string, asked: 4 | 5, intervalMs: number, out: (line?: string) => void): Promise<ReportCard> {
  out(`Report card of ${url.replace(/:[^:@/]*@/g, ':***@')}`);
  const protocols = await probeProtocols(url.split(',')[0]!);
  out(`Protocol versions: ${protocols.finding}`);
  if (protocols.versions.length === 0) throw new Error(`${url.split(',')[0]} accepts neither MQTT 5 nor 3.1.1: ${protocols.finding}`);
  const version = protocols.versions.includes(asked) ? asked : protocols.versions[0]!;
  if (version !== asked) out(`It refused MQTT ${asked === 5 ? '5' : '3.1.1'}: the claims run on MQTT ${version === 5 ? '5' : '3.1.1'}.`);
  const demo = createDemoRun({ url, description: 'the broker under test', target: { kind: 'url', protocolVersion: version }, close: async () => {} }, out);
  let claims: ScenarioResult[];
  try {
    claims = await demo.run(reportCardScenarios, intervalMs);
  } finally {
    await demo.stop();
  }
  const first = url.split(',')[0]!;
  const probes: ProbeResult[] = [protocols];
  for (const probe of [() => probeQos2(first, version), () => probeSessionLifetime(first, version), () => probeQueue(first, version)]) {
    const result = await probe().catch((error: Error): ProbeResult => ({ name: 'probe', finding: `the probe failed: ${error.message}`, facts: {} }));
    out(`${result.name}: ${result.finding}`);
    probes.push(result);
  }
  out();
  const width = Math.max(...probes.map((probe) => probe.name.length)) + 2;
  out('Probe'.padEnd(width) + 'Finding');
  for (const probe of probes) out(`${probe.name.padEnd(width)}${probe.finding}`);
  return { claims, probes };
}
