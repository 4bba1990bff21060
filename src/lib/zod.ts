// zod for every schema of the app: `import * as z from '../lib/zod'`. Loading @hono/zod-openapi
// first adds `.openapi()` to every zod schema before a module builds one. A namespace import
// (never `import { z }` from 'zod' or '@hono/zod-openapi', which is zod's whole namespace as one
// value) lets esbuild keep only the members the app uses; see src/lib/zod-bundle.ts.
import '@hono/zod-openapi';

export * from 'zod';
