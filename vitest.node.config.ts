import { defineConfig } from 'vitest/config';

// Checks of the repository's own tooling (lint rules), in plain Node: no workerd, no server.
export default defineConfig({
  test: {
    include: ['test/node/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
