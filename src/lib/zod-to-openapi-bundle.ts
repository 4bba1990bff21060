// What `@asteasolutions/zod-to-openapi` resolves to in the deployed bundle (wrangler.toml [alias]);
// tests and tools get the package itself. The Worker needs its registry (@hono/zod-openapi records
// every route there) and `.openapi()` on zod's schemas, but never its generators: the OpenAPI
// document is built at deploy time (scripts/build-openapi.mjs) and served as a static asset.
// @hono/zod-openapi still names the generators in its `getOpenAPIDocument` methods, so esbuild
// would keep them (~6 KiB gzipped) unless they are replaced here.
export {
  extendZodWithOpenApi,
  getOpenApiMetadata,
  OpenAPIRegistry,
} from '@asteasolutions/zod-to-openapi/dist/index.mjs';

class BuiltAtDeployTime {
  generateDocument(): never {
    throw new Error('The OpenAPI document is built at deploy time: scripts/build-openapi.mjs.');
  }
}
export const OpenApiGeneratorV3 = BuiltAtDeployTime;
export const OpenApiGeneratorV31 = BuiltAtDeployTime;
