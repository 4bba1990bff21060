/**
 * Polls `probe` until `ok` holds or `ms` pass, then returns the last value (the caller's
 * assertion on it reports what was seen). Plain TypeScript, so both the workerd tests (through
 * test/helpers.ts) and the node-side e2e tests (through test/e2e/client.ts) share it.
 */
export async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}
