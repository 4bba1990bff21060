// Renders the OpenAPI document as one self-contained HTML page: no scripts, no third-party
// assets, so it can be served under a strict CSP and works offline.

type Json = Record<string, unknown>;

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch);

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

function schemaBlock(content: unknown): string {
  const media = (content as Json | undefined) ?? {};
  const first = Object.entries(media)[0];
  if (!first) return '';
  const [type, body] = first;
  return `<details><summary>${esc(type)}</summary><pre>${esc(JSON.stringify((body as Json).schema ?? {}, null, 2))}</pre></details>`;
}

export interface DocInput {
  info: { title: string; version: string; description?: string };
  paths?: object;
}

export function renderDocs(doc: DocInput, nonce: string): string {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Json>>;
  const sections = Object.entries(paths)
    .map(([path, ops]) =>
      METHODS.filter((m) => ops[m])
        .map((m) => {
          const op = ops[m] as Json;
          const params = ((op.parameters as Json[] | undefined) ?? [])
            .map(
              (p) =>
                `<li><code>${esc(String(p.name))}</code> (${esc(String(p.in))})${p.required ? ' required' : ''}</li>`,
            )
            .join('');
          const responses = Object.entries((op.responses as Record<string, Json>) ?? {})
            .map(
              ([code, r]) =>
                `<li><b>${esc(code)}</b> ${esc(String(r.description ?? ''))}${schemaBlock(r.content)}</li>`,
            )
            .join('');
          const body = op.requestBody ? `<h4>Body</h4>${schemaBlock((op.requestBody as Json).content)}` : '';
          const lock = op.security ? ' <span class="auth">auth</span>' : '';
          return `<section><h3><span class="m ${m}">${m.toUpperCase()}</span> <code>${esc(path)}</code>${lock}</h3>
<p>${esc(String(op.summary ?? ''))}</p>${params ? `<h4>Parameters</h4><ul>${params}</ul>` : ''}${body}<h4>Responses</h4><ul>${responses}</ul></section>`;
        })
        .join('\n'),
    )
    .join('\n');
  const { info } = doc;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(info.title)} docs</title><style nonce="${nonce}">
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1d2330}
section{border-top:1px solid #dde;padding:.5rem 0}h3{margin:.3rem 0;font-size:1rem}h4{margin:.4rem 0 .1rem;font-size:.85rem}
.m{display:inline-block;min-width:4.5em;padding:0 .3em;border-radius:3px;color:#fff;font-size:.8rem;text-align:center}
.get{background:#2b7a4b}.post{background:#2457a6}.put,.patch{background:#a66a24}.delete{background:#a62424}
.auth{font-size:.75rem;color:#a66a24}pre{background:#f5f6f8;padding:.5rem;overflow:auto;font-size:.8rem}
</style></head><body><h1>${esc(info.title)} <small>${esc(info.version)}</small></h1>
<p>${esc(info.description ?? '')}</p><p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1).</p>
${sections}</body></html>`;
}
