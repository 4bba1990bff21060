import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Runs the size half of `npm run lint` on a generated tree: files just over and at the limits.
const root = mkdtempSync(join(tmpdir(), 'size-limits-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const lines = (n: number, text = '// x') => Array.from({ length: n }, () => text).join('\n');
const fn = (name: string, length: number) => `export function ${name}() {\n${lines(length - 2, '  void 0;')}\n}`;

const checkSize = (dir: string) => {
  const run = spawnSync(process.execPath, ['scripts/check-size.mjs', dir], { encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
};

describe('size limits', () => {
  it('pass files of 400 lines and functions of 80', () => {
    const dir = join(root, 'ok');
    mkdirSync(join(dir, 'src/db'), { recursive: true });
    writeFileSync(join(dir, 'src/long.ts'), lines(400));
    writeFileSync(join(dir, 'src/fn.ts'), fn('fits', 80));
    writeFileSync(join(dir, 'src/db/schema.ts'), lines(900)); // the schema is exempt
    expect(checkSize(dir)).toEqual({ status: 0, output: 'size limits: ok\n' });
  });

  it('report a file of 401 lines and a function of 81, with where they are', () => {
    const dir = join(root, 'over');
    mkdirSync(join(dir, 'src/area'), { recursive: true });
    writeFileSync(join(dir, 'src/area/long.ts'), lines(401));
    writeFileSync(join(dir, 'src/area/fn.tsx'), `// one line first\n${fn('tooLong', 81)}`);
    const { status, output } = checkSize(dir);
    expect(status).toBe(1);
    expect(output).toContain('✖ file over 400 lines: src/area/long.ts (401)');
    expect(output).toContain('✖ function over 80 lines: src/area/fn.tsx:2 tooLong (81)');
    expect(output).toContain('2 size limit violation(s).');
  });
});
