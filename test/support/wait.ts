/** Waiting for something to be true, never for time to pass: a bound only decides when the test has failed. */

export interface WaitOptions {
  /** How long before the test fails (default 15 s). */
  timeoutMs?: number;
  /** What to show with the failure, read when it happens (output so far, a listing...). */
  detail?: () => string;
}

/** Resolves once check() is true (checked at once, then every 20 ms); throws, naming what did not come, after the bound. */
export async function waitFor(what: string, check: () => boolean, options: WaitOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${options.detail ? `:\n${options.detail()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
