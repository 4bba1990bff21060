// Starts `wrangler dev` on free ports with a fresh local state directory (migrations applied
// first, as `npm run dev` does), hands its URL to the tests, and stops its process group after.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { migrate, startDev } from './server';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    /** wrangler dev's --persist-to directory, for `wrangler d1 execute --local --persist-to` (staff users). */
    stateDir: string;
  }
}

export default async function setup(project: TestProject) {
  const state = mkdtempSync(join(tmpdir(), 'trainerhub-e2e-'));
  migrate(state);
  const server = await startDev(state, join(state, 'wrangler.log'));
  project.provide('baseUrl', server.baseUrl);
  project.provide('stateDir', state);

  return async () => {
    await server.stop();
    rmSync(state, { recursive: true, force: true });
  };
}
