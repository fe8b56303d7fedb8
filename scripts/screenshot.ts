/**
 * The README's picture, made from a real run: the fault scenario kill-consumer-node on a NATS cluster of
 * three nodes that the demo starts, its history drawn by demo --html, then a screenshot of the page by
 * Debian's chromium, headless, into docs/run-page.png.   npm run screenshot (it builds the commands first)
 * Needs nats-server and chromium; prints the date and the command for the README's caption.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..');
const png = join(root, 'docs', 'run-page.png');
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
if (!chromium) {
  process.stderr.write('screenshot: chromium is not installed (apt-get install chromium)\n');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'mqtt-persistent-sessions-screenshot-'));
try {
  const page = join(dir, 'run.html');
  const args = ['--scenario', 'kill-consumer-node', '--broker', 'nats', '--nodes', '3', '--history', join(dir, 'run.jsonl'), '--html', page];
  // Started as a person would start it, so that the page names the command as it is typed.
  const demo = spawnSync('npm', ['run', '-s', 'demo', '--', ...args], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
  if (!existsSync(page)) {
    process.stderr.write(`screenshot: the demo wrote no page (exit ${String(demo.status)})\n`);
    process.exit(1);
  }
  // Root runs chromium without its sandbox; it opens nothing but the local page.
  execFileSync(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--user-data-dir=${join(dir, 'profile')}`, '--window-size=1400,820', `--screenshot=${png}`, pathToFileURL(page).href], { stdio: ['ignore', 'ignore', 'ignore'] });
  process.stdout.write(`\n${png} made on ${new Date().toISOString().slice(0, 10)} from: npm run demo -- ${args.slice(0, 6).join(' ')} --history run.jsonl --html run.html (exit ${String(demo.status)})\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
