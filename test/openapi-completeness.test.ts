import { describe, expect, it } from 'vitest';
import { openapiDocument } from './helpers';

// Issue 22: every operation has a summary, every parameter a type and a description, every
// schema field a description. The walk covers the shared components and every inline schema
// (parameters, request bodies, responses), through properties, items, allOf/oneOf/anyOf and
// additionalProperties, and names each gap by its JSON pointer into /api/openapi.json.
//
// A property that is only a `$ref` (or a `$ref` made nullable: `anyOf: [$ref, {type: 'null'}]`)
// counts as described when a description sits beside it or the referenced component has one:
// a reader of the reference (Scalar, or anyone following the pointer) sees the component's.

type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const WRITES = ['put', 'post', 'patch'];
const COMBINATORS = ['allOf', 'oneOf', 'anyOf'] as const;

const pointer = (...parts: string[]) => parts.map((p) => `/${p.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasText = (v: unknown) => typeof v === 'string' && v.trim() !== '';

function resolve(doc: Json, value: unknown): Json | undefined {
  if (!isObject(value)) return undefined;
  if (typeof value.$ref !== 'string') return value;
  const target = value.$ref
    .replace(/^#\//, '')
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), doc);
  return resolve(doc, target);
}

/** A schema with a type: `type`, `enum` or `const`, or a reference or combination of typed schemas. */
function typed(doc: Json, schema: unknown, depth = 0): boolean {
  const s = resolve(doc, schema);
  if (!s || depth > 10) return false;
  if (s.type !== undefined || Array.isArray(s.enum) || 'const' in s) return true;
  return COMBINATORS.some(
    (k) =>
      Array.isArray(s[k]) &&
      (s[k] as unknown[]).length > 0 &&
      (s[k] as unknown[]).every((m) => typed(doc, m, depth + 1)),
  );
}

/** The `$ref` a property stands for: bare, or wrapped alone (or beside `{type: 'null'}`) in a combinator. */
function referenced(schema: Json): string | undefined {
  if (typeof schema.$ref === 'string') return schema.$ref;
  for (const k of COMBINATORS) {
    const members = schema[k];
    if (!Array.isArray(members)) continue;
    const refs = members.filter((m) => isObject(m) && typeof m.$ref === 'string') as Json[];
    const rest = members.filter((m) => !(isObject(m) && typeof m.$ref === 'string'));
    if (refs.length === 1 && rest.every((m) => isObject(m) && m.type === 'null')) return refs[0]?.$ref as string;
  }
  return undefined;
}

function describedProperty(doc: Json, schema: unknown): boolean {
  if (!isObject(schema)) return false;
  if (hasText(schema.description)) return true;
  const ref = referenced(schema);
  return ref !== undefined && hasText(resolve(doc, { $ref: ref })?.description);
}

/** Every property under `schema` (not following `$ref`: components are walked once each) lacking a description. */
function walkSchema(doc: Json, schema: unknown, at: string, missing: string[]) {
  if (!isObject(schema)) return;
  if (isObject(schema.properties)) {
    for (const [name, prop] of Object.entries(schema.properties)) {
      const here = `${at}${pointer('properties', name)}`;
      if (!describedProperty(doc, prop)) missing.push(here);
      walkSchema(doc, prop, here, missing);
    }
  }
  if (isObject(schema.items)) walkSchema(doc, schema.items, `${at}/items`, missing);
  if (Array.isArray(schema.prefixItems)) {
    schema.prefixItems.forEach((m, i) => {
      walkSchema(doc, m, `${at}/prefixItems/${i}`, missing);
    });
  }
  if (isObject(schema.additionalProperties)) {
    walkSchema(doc, schema.additionalProperties, `${at}/additionalProperties`, missing);
  }
  for (const k of COMBINATORS) {
    const members = schema[k];
    if (Array.isArray(members))
      members.forEach((m, i) => {
        walkSchema(doc, m, `${at}/${k}/${i}`, missing);
      });
  }
}

function walkContent(doc: Json, content: unknown, at: string, missing: string[]) {
  if (!isObject(content)) return;
  for (const [type, media] of Object.entries(content)) {
    if (isObject(media)) walkSchema(doc, media.schema, `${at}${pointer('content', type, 'schema')}`, missing);
  }
}

function walkParameter(doc: Json, parameter: unknown, at: string, missing: string[]) {
  const p = resolve(doc, parameter);
  if (!p) {
    missing.push(`${at} (unresolvable)`);
    return;
  }
  if (!hasText(p.description)) missing.push(`${at}/description`);
  if (!typed(doc, p.schema)) missing.push(`${at}/schema/type`);
  walkSchema(doc, p.schema, `${at}/schema`, missing);
}

/** Every place of the document that lacks a summary, a description or a type, as JSON pointers. */
function gapsOf(doc: Json): string[] {
  const missing: string[] = [];
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    const itemAt = pointer('paths', path);
    const shared = (item.parameters ?? []) as unknown[];
    shared.forEach((p, i) => {
      walkParameter(doc, p, `${itemAt}/parameters/${i}`, missing);
    });
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.includes(method) || !isObject(op)) continue;
      const at = `${itemAt}/${method}`;
      if (!hasText(op.summary)) missing.push(`${at}/summary`);
      ((op.parameters ?? []) as unknown[]).forEach((p, i) => {
        walkParameter(doc, p, `${at}/parameters/${i}`, missing);
      });
      const body = resolve(doc, op.requestBody);
      if (body) walkContent(doc, body.content, `${at}/requestBody`, missing);
      // A write says what it takes, even nothing (the NoFields body, which refuses any field sent):
      // one without a body schema would ignore what a caller sends and answer as if it heard it.
      else if (WRITES.includes(method)) missing.push(`${at}/requestBody`);
      for (const [status, response] of Object.entries((op.responses ?? {}) as Json)) {
        const r = resolve(doc, response);
        if (r) walkContent(doc, r.content, `${at}${pointer('responses', status)}`, missing);
      }
    }
  }
  const components = (doc.components ?? {}) as Json;
  for (const [name, schema] of Object.entries((components.schemas ?? {}) as Json)) {
    walkSchema(doc, schema, pointer('components', 'schemas', name), missing);
  }
  for (const [name, parameter] of Object.entries((components.parameters ?? {}) as Json)) {
    walkParameter(doc, parameter, pointer('components', 'parameters', name), missing);
  }
  return missing;
}

describe('the OpenAPI document describes everything it lists', () => {
  it('every operation has a summary, every parameter a type and a description, every schema field a description', async () => {
    const missing = gapsOf(openapiDocument<Json>());
    expect(missing, `${missing.length} places lack a summary, description or type:\n${missing.join('\n')}`).toEqual([]);
  });

  it('no allOf joins closed objects: a body that must satisfy two of them could carry no field at all', () => {
    const doc = openapiDocument<Json>();
    const found: string[] = [];
    const visit = (node: unknown, at: string) => {
      if (Array.isArray(node)) {
        node.forEach((v, i) => {
          visit(v, `${at}/${i}`);
        });
        return;
      }
      if (!isObject(node)) return;
      if (Array.isArray(node.allOf) && node.allOf.length > 1) {
        const closed = node.allOf.filter((part) => resolve(doc, part)?.additionalProperties === false);
        if (closed.length) found.push(at);
      }
      for (const [key, value] of Object.entries(node)) visit(value, `${at}${pointer(key)}`);
    };
    visit(doc, '');
    expect(found).toEqual([]);
  });

  it('the walk finds gaps where there are some (it cannot pass by walking nothing)', () => {
    const doc = {
      paths: {
        '/x/{id}': {
          post: { summary: 'A write that says nothing of its body.', responses: {} },
          get: {
            parameters: [{ name: 'id', in: 'path', schema: {} }, { $ref: '#/components/parameters/Good' }],
            responses: {
              200: {
                content: {
                  'application/json': {
                    schema: {
                      type: 'object',
                      properties: {
                        a: { type: 'string' },
                        b: { $ref: '#/components/schemas/Plain' },
                        c: { $ref: '#/components/schemas/Told', description: 'Beside.' },
                        d: { anyOf: [{ $ref: '#/components/schemas/Told' }, { type: 'null' }] },
                        e: { type: 'array', description: 'Rows.', items: { type: 'object', properties: { f: {} } } },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
      components: {
        parameters: { Good: { name: 'g', in: 'query', description: 'G.', schema: { enum: ['x'] } } },
        schemas: {
          Plain: { type: 'object', properties: { g: { type: 'string', description: 'G.' } } },
          Told: { type: 'object', description: 'A told thing.', additionalProperties: { properties: { h: {} } } },
        },
      },
    };
    expect(gapsOf(doc)).toEqual([
      '/paths/~1x~1{id}/post/requestBody',
      '/paths/~1x~1{id}/get/summary',
      '/paths/~1x~1{id}/get/parameters/0/description',
      '/paths/~1x~1{id}/get/parameters/0/schema/type',
      '/paths/~1x~1{id}/get/responses/200/content/application~1json/schema/properties/a',
      '/paths/~1x~1{id}/get/responses/200/content/application~1json/schema/properties/b',
      '/paths/~1x~1{id}/get/responses/200/content/application~1json/schema/properties/e/items/properties/f',
      '/components/schemas/Told/additionalProperties/properties/h',
    ]);
  });
});
