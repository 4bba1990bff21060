// Renders the OpenAPI document as one self-contained HTML page: no scripts, no third-party
// assets, so it can be served under a strict CSP and works offline.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { raw } from 'hono/html';
import { document, NONCE, nonceOf, securityHeaders } from '../lib/html';
import { withBookmarkHeader } from '../lib/openapi';
import type { AppEnv } from '../lib/router';

type Json = Record<string, unknown>;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1d2330}
section{border-top:1px solid #dde;padding:.5rem 0}h3{margin:.3rem 0;font-size:1rem}h4{margin:.4rem 0 .1rem;font-size:.85rem}
.m{display:inline-block;min-width:4.5em;padding:0 .3em;border-radius:3px;color:#fff;font-size:.8rem;text-align:center}
.get{background:#2b7a4b}.post{background:#2457a6}.put,.patch{background:#a66a24}.delete{background:#a62424}
.auth{font-size:.75rem;color:#a66a24}pre{background:#f5f6f8;padding:.5rem;overflow:auto;font-size:.8rem}
`;

const SchemaBlock = ({ content }: { content: unknown }) => {
  const first = Object.entries((content as Json | undefined) ?? {})[0];
  if (!first) return null;
  const [type, body] = first;
  return (
    <details>
      <summary>{type}</summary>
      <pre>{JSON.stringify((body as Json).schema ?? {}, null, 2)}</pre>
    </details>
  );
};

const Operation = ({
  path,
  method,
  op,
  shared,
}: {
  path: string;
  method: (typeof METHODS)[number];
  op: Json;
  shared: Json;
}) => {
  // A `$ref` parameter is one of the document's shared components (the x-d1-bookmark header).
  const params = ((op.parameters as Json[] | undefined) ?? []).map((p) =>
    typeof p.$ref === 'string' ? ((shared[p.$ref.split('/').pop() ?? ''] as Json | undefined) ?? p) : p,
  );
  const responses = Object.entries((op.responses as Record<string, Json>) ?? {});
  return (
    <section>
      <h3>
        <span class={`m ${method}`}>{method.toUpperCase()}</span> <code>{path}</code>
        {op.security ? (
          <>
            {' '}
            <span class="auth">auth</span>
          </>
        ) : null}
      </h3>
      <p>{String(op.summary ?? '')}</p>
      {params.length > 0 && (
        <>
          <h4>Parameters</h4>
          <ul>
            {params.map((p) => (
              <li>
                <code>{String(p.name)}</code> ({String(p.in)}){p.required ? ' required' : ''}
              </li>
            ))}
          </ul>
        </>
      )}
      {op.requestBody ? (
        <>
          <h4>Body</h4>
          <SchemaBlock content={(op.requestBody as Json).content} />
        </>
      ) : null}
      <h4>Responses</h4>
      <ul>
        {responses.map(([code, r]) => (
          <li>
            <b>{code}</b> {String(r.description ?? '')}
            <SchemaBlock content={r.content} />
          </li>
        ))}
      </ul>
    </section>
  );
};

export interface DocInput {
  info: { title: string; version: string; description?: string };
  paths?: object;
  components?: { parameters?: object };
}

export const DocsPage = ({ doc, nonce }: { doc: DocInput; nonce: string }) => {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Json>>;
  const shared = (doc.components?.parameters ?? {}) as Json;
  const { info } = doc;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{info.title} docs</title>
        <style nonce={nonce}>{raw(STYLE)}</style>
      </head>
      <body>
        <h1>
          {info.title} <small>{info.version}</small>
        </h1>
        <p>{info.description ?? ''}</p>
        <p>
          Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1).
        </p>
        {Object.entries(paths).flatMap(([path, ops]) =>
          METHODS.filter((m) => ops[m]).map((m) => (
            <Operation path={path} method={m} op={ops[m] as Json} shared={shared} />
          )),
        )}
      </body>
    </html>
  );
};

/** Only the one stylesheet, under this response's nonce. */
const docsHeaders = securityHeaders({
  defaultSrc: ["'none'"],
  styleSrc: [NONCE],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
});

export const OPENAPI_CONFIG = {
  openapi: '3.1.0',
  info: {
    title: 'TrainerHub API',
    version: '0.1.0',
    description:
      'Booking and business back office for independent personal trainers. Authenticate with `Authorization: Bearer <token>` (or `Token <token>`) from /api/users/login/. Every path also answers with a trailing slash.',
  },
};

/** The OpenAPI document of every route of `app`, with the headers every operation shares. */
export const apiDocument = (app: OpenAPIHono<AppEnv>) => withBookmarkHeader(app.getOpenAPI31Document(OPENAPI_CONFIG));

/** The security schemes, /api/openapi.json and its HTML rendering /api/docs, over every route of `app`. */
export function registerDocs(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerComponent('securitySchemes', 'Bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'Token', {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: 'The seed\'s form: "Token <jwt>".',
  });
  app.get('/api/openapi.json', (c) => c.json(apiDocument(app)));
  app.get('/api/docs', docsHeaders, (c) => c.html(document(<DocsPage doc={apiDocument(app)} nonce={nonceOf(c)} />)));
}
