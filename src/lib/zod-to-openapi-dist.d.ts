// The package's ES module file, imported by path in ./zod-to-openapi-bundle.ts (its bare name is
// aliased to that file in the deployed bundle); the same exports as the package.
declare module '@asteasolutions/zod-to-openapi/dist/index.mjs' {
  export * from '@asteasolutions/zod-to-openapi';
}
