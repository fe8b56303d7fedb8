/** A real headless browser for the tests: Debian's chromium, each run with a profile of its own. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const candidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export function findChromium(): string | undefined {
  return candidates.find((path) => existsSync(path));
}

/** Why a browser test is skipped, or false to run it; under CI a missing chromium fails instead. */
export function chromiumSkip(): string | false {
  if (findChromium()) return false;
  if (process.env.CI) throw new Error('chromium is not installed (apt-get install chromium); under CI that is a failure');
  return 'chromium is not installed (apt-get install chromium)';
}

function chromium(args: string[]): string {
  const profile = mkdtempSync(join(tmpdir(), 'mqtt-persistent-sessions-chromium-'));
  try {
    // Root runs it without the sandbox; nothing but a local file is opened.
    return execFileSync(findChromium()!, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--no-first-run', `--user-data-dir=${profile}`, ...args], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 120_000,
    });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The page's DOM as the browser built it from the file. */
export function renderedDom(file: string): string {
  return chromium(['--dump-dom', pathToFileURL(file).href]);
}

/** A screenshot of the page, width by height pixels, written to png. */
export function screenshot(file: string, png: string, width = 1400, height = 1100): void {
  chromium([`--window-size=${width},${height}`, `--screenshot=${png}`, pathToFileURL(file).href]);
  if (!existsSync(png)) throw new Error(`chromium wrote no screenshot to ${png}`);
}

/** The PNG's width and height, from its header. */
export function pngSize(png: string): { width: number; height: number } {
  const header = readFileSync(png).subarray(0, 24);
  return { width: header.readUInt32BE(16), height: header.readUInt32BE(20) };
}
