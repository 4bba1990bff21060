// The answers of the middleware every route passes, documented on every operation and given by
// every operation: a malformed x-d1-bookmark is a 400 naming the header; a body that is not JSON a
// 415, one over the limit a 413. Driven from the OpenAPI document, so a new route is covered.
import { describe, expect, it } from 'vitest';
import { api, openapiDocument, setupTrainer } from './helpers';

type Operation = { requestBody?: unknown; responses: Record<string, unknown> };
type Doc = { paths: Record<string, Record<string, Operation>> };

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const doc = openapiDocument<Doc>();
const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => METHODS.includes(method))
    .map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
);
/** A concrete path: every `{param}` a value of the right shape (an id, a slug, a token). */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, '1');

describe('the shared 400, 413 and 415 of every operation', () => {
  it('are in the document: 400 on every operation, 413 and 415 on every one that takes a body', () => {
    const missing = operations.flatMap(({ method, path, op }) =>
      (op.requestBody ? ['400', '413', '415'] : ['400'])
        .filter((code) => !(code in op.responses))
        .map((code) => `${method} ${path} ${code}`),
    );
    expect(operations.length).toBeGreaterThan(100);
    expect(missing).toEqual([]);
  });

  it('are what every operation answers, signed in or not', async () => {
    const t = await setupTrainer();
    const wrong: string[] = [];
    for (const { method, path, op } of operations) {
      for (const token of [undefined, t.token]) {
        const bad = await api(method, concrete(path), { token, headers: { 'x-d1-bookmark': 'not a bookmark' } });
        const named = (bad.body as { errors?: Record<string, unknown> }).errors?.['x-d1-bookmark'];
        if (bad.status !== 400 || !named) wrong.push(`${method} ${path} bookmark → ${bad.status}`);
        if (!op.requestBody) continue;
        const text = await api(method, concrete(path), { token, raw: 'x', headers: { 'Content-Type': 'text/plain' } });
        if (text.status !== 415) wrong.push(`${method} ${path} text/plain → ${text.status}`);
        const big = await api(method, concrete(path), {
          token,
          raw: `{"a":"${'x'.repeat(1024 * 1024)}"}`,
          headers: { 'Content-Type': 'application/json' },
        });
        if (big.status !== 413) wrong.push(`${method} ${path} 1 MB → ${big.status}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
