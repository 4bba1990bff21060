// What `import … from 'zod'` resolves to in the deployed bundle (wrangler.toml `[alias]`); tests
// and tools get zod itself. Every export of zod passes through unchanged, except `z`: zod's `z` is
// its whole namespace, and @hono/zod-openapi hands it to `extendZodWithOpenApi(z)`, which only
// reads `z.ZodType` (to add `.openapi()` to its prototype) but makes esbuild keep all of zod,
// locales included (~90 KiB gzipped). So our code writes `import * as z from '../lib/zod'` (esbuild
// keeps only the members it uses) and never imports `{ z }` from 'zod' or '@hono/zod-openapi'.
// 'zod/v4' is zod's own entry with the same modules, so `ZodType` here is the class every schema
// extends and the prototype patch reaches them all.
import { ZodType } from 'zod/v4';

export * from 'zod/v4';
export const z = { ZodType };
