/** A real Mosquitto for the tests, on a free port with its own config (never the system broker). */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before } from 'node:test';
import { findMosquitto, PrivateMosquitto, type MosquittoOptions } from '../../src/brokers/mosquitto.js';
import { ChildCommand } from '../../src/demo/processes.js';

export { PrivateMosquitto as TestMosquitto } from '../../src/brokers/mosquitto.js';

/** Why a Mosquitto test is skipped, or false to run it; under CI a missing Mosquitto fails instead. */
export function mosquittoSkip(): string | false {
  if (findMosquitto()) return false;
  if (process.env.CI) throw new Error('Mosquitto is not installed (apt-get install mosquitto); under CI that is a failure');
  return 'Mosquitto is not installed (apt-get install mosquitto)';
}

/**
 * One Mosquitto and one temporary folder for the tests of the enclosing describe: started before them; after
 * them, every command still running is killed, the broker stopped and the folder removed. Read broker and
 * dir inside the tests (they exist once the describe's before hooks have run).
 */
export function withMosquitto(folderPrefix: string, options: MosquittoOptions = {}): { readonly broker: PrivateMosquitto; readonly dir: string } {
  let broker: PrivateMosquitto | undefined;
  let dir: string | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), folderPrefix));
    broker = await new PrivateMosquitto(options).start();
  });
  after(async () => {
    await ChildCommand.killAll();
    await broker?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get broker() {
      assert.ok(broker, 'the broker is started by a before hook: read it inside a test');
      return broker;
    },
    get dir() {
      assert.ok(dir, 'the folder is made by a before hook: read it inside a test');
      return dir;
    },
  };
}

/** Publishes values with mosquitto_pub, one message per line, under MQTT 5 with the given user properties. */
export function mosquittoPub(port: number, topic: string, values: number[], properties: Record<string, string>, version: 'mqttv5' | 'mqttv311' = 'mqttv5'): void {
  const props = Object.entries(properties).flatMap(([name, value]) => ['-D', 'publish', 'user-property', name, value]);
  const result = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-V', version, '-q', '1', '-t', topic, '-l', ...props], {
    input: values.map(String).join('\n') + '\n',
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
}


/** The $SYS counts of what Mosquitto keeps for clients: stored sessions, their subscriptions, retained messages. */
export const keptCountTopics = ['$SYS/broker/clients/disconnected', '$SYS/broker/clients/total', '$SYS/broker/subscriptions/count', '$SYS/broker/retained messages/count'];

const uptimeTopic = '$SYS/broker/uptime';

/**
 * Mosquitto's $SYS counts as mosquitto_sub sees them (the broker needs sys_interval). One subscriber for
 * the whole test, so that its own connection and subscriptions are counted alike in every reading.
 */
export class SysCounts {
  private readonly child: ChildProcess;
  private readonly latest = new Map<string, string>();
  private ticks = 0;
  private waiters: Array<() => void> = [];
  private output = '';

  constructor(port: number) {
    const topics = [...keptCountTopics, uptimeTopic].flatMap((topic) => ['-t', topic]);
    this.child = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-v', ...topics], { stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const topic = [...keptCountTopics, uptimeTopic].find((name) => line.startsWith(`${name} `));
      if (!topic) return;
      this.latest.set(topic, line.slice(topic.length + 1));
      if (topic === uptimeTopic) this.ticks++;
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  /**
   * The counts once the broker has published its $SYS tree three more times: Mosquitto publishes the
   * uptime first in each round, so after the third the second round, made after this call, is complete.
   */
  async settled(timeoutMs = 20_000): Promise<Record<string, number>> {
    const target = this.ticks + 3;
    const deadline = Date.now() + timeoutMs;
    while (this.ticks < target || keptCountTopics.some((topic) => !this.latest.has(topic))) {
      if (Date.now() > deadline) throw new Error(`no $SYS update within ${timeoutMs / 1000} s (is sys_interval set?) ${this.output}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 500);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return Object.fromEntries(keptCountTopics.map((topic) => [topic.slice('$SYS/broker/'.length), Number(this.latest.get(topic))]));
  }

  close(): void {
    this.child.kill();
  }
}

/** Sets the retained message of a topic with mosquitto_pub -r (QoS 1): the broker hands it to every new subscription. */
export function mosquittoRetain(port: number, topic: string, payload: string): void {
  const result = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-r', '-t', topic, '-m', payload], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
}

/**
 * Publishes, with mosquitto_pub at QoS 1, a payload that is no counter value, after everything else on the topic:
 * once a consumer reports it invalid, whatever was published before it has reached that consumer too.
 */
export function mosquittoEndMarker(port: number, topic: string, version: 'mqttv5' | 'mqttv311' = 'mqttv5'): void {
  const result = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-V', version, '-q', '1', '-t', topic, '-m', 'end-marker'], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
}
