// The console's page frame: the document with its nonce'd stylesheet and the signed-in shell.
import type { FC, PropsWithChildren } from 'hono/jsx';
import { MODEL_ORDER } from '../models';
import { CONSOLE_CSS } from '../style';

/** What every signed-in page needs. */
export interface Frame {
  nonce: string;
  csrf: string;
  email: string;
}

export type Query = Record<string, string>;

export const labelOf = (name: string) => {
  const text = name.replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
};
/** A count with its noun in the right number: "1 record", "4 audit log entries". */
export const countOf = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
export const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;
export const hrefOf = (query: Query) => {
  const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== ''));
  const text = params.toString();
  return text ? `?${text}` : '?';
};

export const Document: FC<PropsWithChildren<{ title: string; nonce: string }>> = ({ title, nonce, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="robots" content="noindex" />
      <title>{`${title} · TrainerHub staff`}</title>
      {/* The API Worker serves it; without one browsers ask for /favicon.ico, a 404 in the console. */}
      <link rel="icon" href="/book/icon.svg" />
      <style nonce={nonce} dangerouslySetInnerHTML={{ __html: CONSOLE_CSS }} />
    </head>
    <body>{children}</body>
  </html>
);

export const Csrf = ({ token }: { token: string }) => <input type="hidden" name="csrf" value={token} />;

/** A signed-in page: top bar, the sidebar of models, the content. */
export const Shell: FC<PropsWithChildren<{ title: string; frame: Frame; active?: string }>> = (props) => (
  <Document title={props.title} nonce={props.frame.nonce}>
    <a class="skip" href="#main">
      Skip to content
    </a>
    <header class="top">
      <a href="/admin/">TrainerHub staff</a>
      <span class="who">{props.frame.email}</span>
      <form method="post" action="/admin/logout">
        <Csrf token={props.frame.csrf} />
        <button type="submit" class="quiet">
          Log out
        </button>
      </form>
    </header>
    <div class="layout">
      <nav class="side" aria-label="Models">
        <ul>
          {MODEL_ORDER.map((m) => (
            <li>
              <a href={`/admin/${m.name}/`} aria-current={props.active === m.name ? 'page' : undefined}>
                {m.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabindex={-1}>
        {props.children}
      </main>
    </div>
  </Document>
);
