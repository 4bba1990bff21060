import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// Runs the dependency half of `npm run lint` on small trees under test/fixtures/deps, so a rule
// that silently stopped matching (a renamed folder, a wrong regex) fails here.
const checkDeps = (fixture: string) => {
  const run = spawnSync(process.execPath, ['scripts/check-deps.mjs', `test/fixtures/deps/${fixture}`], {
    encoding: 'utf8',
  });
  return { status: run.status, output: run.stdout + run.stderr };
};

describe('dependency rules', () => {
  it('pass a tree that keeps them', () => {
    const { status, output } = checkDeps('clean');
    expect(output).toBe('dependency rules: ok\n');
    expect(status).toBe(0);
  });

  describe('on a tree that breaks each of them', () => {
    const { status, output } = checkDeps('broken');

    it('fail the check', () => {
      expect(status).toBe(1);
      expect(output).toContain('7 dependency rule violation(s).');
    });

    it('name a folder cycle and the imports that close it', () => {
      expect(output).toContain('✖ folder cycle between src/bookings, src/lib, src/scheduling');
      expect(output).toContain('    src/bookings → src/scheduling → src/bookings\n');
      expect(output).toContain('        src/scheduling/service.ts → src/bookings/service.ts\n');
      expect(output).toContain('✖ folder cycle between src/app.ts, src/jobs');
    });

    it('report src/lib importing an area', () => {
      expect(output).toContain('✖ lib-imports-no-area: src/lib/time.ts → src/bookings/routes.ts');
    });

    it('report slots.ts reaching for I/O', () => {
      expect(output).toContain('✖ slots-does-no-io: src/scheduling/slots.ts → cloudflare:workers');
      expect(output).toMatch(/✖ slots-does-no-io: src\/scheduling\/slots\.ts → \S*node_modules\/drizzle-orm\//);
      expect(output).toContain('✖ slots-does-no-io: src/scheduling/slots.ts → src/lib/db.ts');
    });

    it('report a job loading the HTTP app', () => {
      expect(output).toContain('✖ jobs-import-no-http-app: src/jobs/cron.ts → src/app.ts');
    });
  });
});
