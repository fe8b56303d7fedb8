/** The package as a user gets it: npm pack, installed into an empty prefix, its bins run from there. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../src/brokers/ports.js';
import { packageRoot, version } from '../../src/cli/package.js';
import { mosquittoSkip } from '../support/mosquitto.js';
import { waitFor } from '../support/wait.js';

const commands = ['producer', 'consumer', 'broker', 'demo', 'report'] as const;
/** ws's optional accelerators: required inside try/catch, used when present, never needed. */
const optionalModules = ['bufferutil', 'utf-8-validate'];

interface Packed {
  filename: string;
  files: Array<{ path: string }>;
}

const work = mkdtempSync(join(tmpdir(), 'mqtt-persistent-sessions-package-'));
const prefix = join(work, 'prefix');
const installed = join(prefix, 'lib', 'node_modules', 'mqtt-persistent-sessions');
// The installed bins start with "#!/usr/bin/env node": the node running the tests comes first.
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, NO_COLOR: '1', MQTT_URL: undefined, npm_lifecycle_event: undefined };
let packed: Packed;

function npm(args: string[]): string {
  const result = spawnSync('npm', args, { cwd: packageRoot, encoding: 'utf8', env, timeout: 60_000 });
  assert.equal(result.status, 0, `npm ${args.join(' ')}:\n${result.stderr}`);
  return result.stdout;
}

function bin(name: (typeof commands)[number], args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(join(prefix, 'bin', `mqtt-ps-${name}`), args, { encoding: 'utf8', env, timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Starts an installed bin and collects its output. */
function start(name: (typeof commands)[number], args: string[]): { output: () => string; exited: Promise<number | null>; stop: () => void } {
  const child = spawn(join(prefix, 'bin', `mqtt-ps-${name}`), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { output: () => output, exited, stop: () => void child.kill('SIGINT') };
}

/** import ... from "x", import "x", import("x"), require("x"). */
const moduleReference = /^\s*(?:import|export)\s[^;]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)|\brequire\(\s*["']([^"']+)["']\s*\)/gm;
const packageName = /^(?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(?:\/[\w./-]*)?$/;

/** The modules the shipped JavaScript imports or requires that are neither its own files nor Node's. */
function externalImports(folder: string): string[] {
  const found = new Set<string>();
  const builtins = new Set(builtinModules);
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.js')) {
        const text = readFileSync(path, 'utf8');
        for (const match of text.matchAll(moduleReference)) {
          const specifier = match.slice(1).find((group) => group !== undefined)!;
          if (!packageName.test(specifier) || specifier.startsWith('node:') || builtins.has(specifier.split('/')[0]!)) continue;
          found.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);
        }
      }
    }
  };
  walk(folder);
  return [...found].sort();
}

describe('the package, installed from its tarball', () => {
  before(() => {
    // npm pack builds the bundles itself (the prepare script), as it does on a fresh clone.
    packed = (JSON.parse(npm(['pack', '--json', '--pack-destination', work])) as Packed[])[0]!;
    npm(['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', join(work, packed.filename)]);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('ships the bundled commands, the broker configs and the licences, and none of the sources', () => {
    const paths = packed.files.map((file) => file.path);
    for (const name of commands) assert.ok(paths.includes(`dist/bin/${name}.js`), `dist/bin/${name}.js in ${paths.join(', ')}`);
    for (const file of ['scripts/mosquitto.conf', 'scripts/mosquitto-protected.conf', 'scripts/mosquitto-protected-access.json', 'dist/bin/THIRD-PARTY-LICENSES.txt', 'README.md']) {
      assert.ok(paths.includes(file), `${file} in ${paths.join(', ')}`);
    }
    assert.deepEqual(paths.filter((path) => /^(src|test|scripts\/.*\.ts)/.test(path)), []);
  });

  it('depends on exactly the packages its shipped code imports', () => {
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const imported = externalImports(join(installed, 'dist')).filter((name) => !optionalModules.includes(name));
    assert.deepEqual(Object.keys(manifest.dependencies ?? {}).sort(), imported);
  });

  it('each installed bin answers --help and --version, and bad input with one line and status 2', () => {
    for (const name of commands) {
      const help = bin(name, ['--help']);
      assert.equal(help.status, 0, `${name} --help: ${help.stderr}`);
      assert.match(help.stdout, new RegExp(`^Usage: mqtt-ps-${name} `));
      const shown = bin(name, ['--version']);
      assert.equal(shown.status, 0, shown.stderr);
      assert.equal(shown.stdout.trim(), version);
    }
    const bad = bin('consumer', ['-q', '7']);
    assert.equal(bad.status, 2);
    assert.deepEqual(bad.stderr.trim().split('\n'), ['consumer: option \'-q, --qos <level>\' argument \'7\' is invalid. QoS must be 0, 1 or 2.']);
  });

  it('the installed producer reaches the installed consumer through the Mosquitto the installed broker starts', { skip: mosquittoSkip() }, async () => {
    const port = await freePort();
    const broker = start('broker', ['--port', String(port)]);
    try {
      await waitFor('the broker', () => broker.output().includes('Ctrl+C stops it'), { detail: broker.output });
      assert.match(broker.output(), /Mosquitto on localhost:\d+, with scripts\/mosquitto.conf/);
      assert.match(broker.output(), /^For the embedded broker instead: mqtt-ps-broker --broker embedded$/m, 'the hint names the installed command');
      assert.doesNotMatch(broker.output(), /npm run/);
      const url = `mqtt://127.0.0.1:${port}`;
      const consumer = start('consumer', ['-L', url, '-i', 'installed', '-t', 'installed', '--state', join(work, 'consumer.json'), '-C', '500']);
      await waitFor('the subscription', () => consumer.output().includes('Subscribed to installed'), { detail: consumer.output });
      const producer = bin('producer', ['-L', url, '-t', 'installed', '--interval', '0', '-C', '500']);
      assert.equal(producer.status, 0, producer.stderr);
      assert.match(producer.stdout, /Summary: 500 sent, 500 acknowledged, 0 not acknowledged, last value 500/);
      assert.equal(await consumer.exited, 0, consumer.output());
      const values = consumer.output().split('\n').filter((line) => line.startsWith('Received message: ')).map((line) => Number.parseInt(line.slice(18), 10));
      assert.deepEqual(values, Array.from({ length: 500 }, (_, i) => i + 1));
      assert.match(consumer.output(), /Summary: 500 received, 500 unique, 0 missing, 0 duplicates/);
    } finally {
      broker.stop();
    }
    assert.equal(await broker.exited, 0, broker.output());
  });

  it('the installed demo replays the tutorial on its embedded broker, its producer and consumer run from the installed bundles', async () => {
    const demo = bin('demo', []);
    assert.equal(demo.status, 0, `${demo.stdout}\n${demo.stderr}`);
    assert.match(demo.stdout, /the embedded broker \(Aedes\)/);
    assert.match(demo.stdout, /PASS/);
  });
});
