// What zod's JSON Schema modules resolve to in the deployed bundle (wrangler.toml [alias], by the
// relative paths zod's own files import them with); tests and tools get zod itself. Every zod
// schema class names its JSON Schema processor, so esbuild keeps them all (~5.5 KiB gzipped), but
// the Worker never turns a schema into JSON Schema: the OpenAPI document is built at deploy time
// (scripts/build-openapi.mjs, under Node, with the real modules) and served as a static asset. A
// call that reaches one of these throws at once rather than answering a wrong document.
// A zod release that imports a name missing here fails the build (test/node/bundle-size.test.ts).
const unavailable = (): never => {
  throw new Error('JSON Schema is built at deploy time (scripts/build-openapi.mjs), not in the Worker.');
};

// ../core/json-schema-processors.js
export const aggregateChecks = unavailable,
  stringProcessor = unavailable,
  numberProcessor = unavailable,
  booleanProcessor = unavailable,
  bigintProcessor = unavailable,
  symbolProcessor = unavailable,
  nullProcessor = unavailable,
  undefinedProcessor = unavailable,
  voidProcessor = unavailable,
  neverProcessor = unavailable,
  anyProcessor = unavailable,
  unknownProcessor = unavailable,
  dateProcessor = unavailable,
  enumProcessor = unavailable,
  literalProcessor = unavailable,
  nanProcessor = unavailable,
  templateLiteralProcessor = unavailable,
  fileProcessor = unavailable,
  successProcessor = unavailable,
  customProcessor = unavailable,
  functionProcessor = unavailable,
  transformProcessor = unavailable,
  mapProcessor = unavailable,
  setProcessor = unavailable,
  arrayProcessor = unavailable,
  objectProcessor = unavailable,
  unionProcessor = unavailable,
  intersectionProcessor = unavailable,
  tupleProcessor = unavailable,
  recordProcessor = unavailable,
  nullableProcessor = unavailable,
  nonoptionalProcessor = unavailable,
  defaultProcessor = unavailable,
  prefaultProcessor = unavailable,
  catchProcessor = unavailable,
  pipeProcessor = unavailable,
  readonlyProcessor = unavailable,
  promiseProcessor = unavailable,
  optionalProcessor = unavailable,
  lazyProcessor = unavailable,
  toJSONSchema = unavailable;
export const allProcessors = {};

// ../core/to-json-schema.js: two of its names make methods, which zod calls when a schema's
// `~standard` is first read; the method itself is what throws.
export const initializeContext = unavailable,
  handleUnrepresentable = unavailable,
  processSchema = unavailable,
  extractDefs = unavailable,
  finalize = unavailable;
export const createToJSONSchemaMethod = () => unavailable;
export const createStandardJSONSchemaMethod = () => unavailable;
