// The staff console's pages: server-rendered, no script at all, one inline stylesheet under the
// response's CSP nonce. Every control is a link, a button or a form field, so the keyboard reaches all.
import type { FieldErrors } from '../../lib/problem';
import type { AttentionItem } from '../attention';
import { MODEL_ORDER, type ModelDef } from '../models';
import type { Match } from '../search';
import type { Row } from '../service';
import { Described, FilterField } from './fields';
import { Csrf, countOf, Document, type Frame, hrefOf, labelOf, type Query, Shell } from './layout';
import { Table } from './values';

/** "3 bookings", "1 audit log entry". */
export const recordCount = (n: number, def: ModelDef) => countOf(n, def.singular, def.plural ?? `${def.singular}s`);

export { DetailPage } from './detail';
export type { Frame } from './layout';

export const LoginPage = (props: { nonce: string; csrf: string; next: string; email?: string; error?: string }) => (
  <Document title="Log in" nonce={props.nonce}>
    <main class="login" id="main">
      <h1>TrainerHub staff</h1>
      {props.error && (
        <p class="alert" role="alert">
          {props.error}
        </p>
      )}
      <form method="post" action="/admin/login">
        <Csrf token={props.csrf} />
        <input type="hidden" name="next" value={props.next} />
        <div class="field">
          <label for="email">Email</label>
          <input id="email" name="email" type="email" autocomplete="username" required value={props.email ?? ''} />
        </div>
        <div class="field">
          <label for="password">Password</label>
          {/* After a refusal the page comes back with the focus where the next try is typed. */}
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="current-password"
            required
            autofocus={props.error ? true : undefined}
          />
        </div>
        <button type="submit">Log in</button>
      </form>
    </main>
  </Document>
);

const Attention = ({ items }: { items: AttentionItem[] }) => {
  const open = items.filter((i) => i.count > 0);
  return (
    <section aria-labelledby="attention-h">
      <h2 id="attention-h">Needs attention</h2>
      {open.length === 0 && <p class="ok">Nothing needs attention.</p>}
      <ul class="attention">
        {items.map((item) => (
          <li class={item.count > 0 ? 'due' : undefined} data-key={item.key}>
            <a href={item.href}>
              <strong>{item.more ? `${item.count}+` : item.count}</strong>{' '}
              {item.count === 1 && !item.more ? item.one : item.many}
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
};

export const HomePage = (props: { frame: Frame; counts: Record<string, number>; attention: AttentionItem[] }) => (
  <Shell title="Overview" frame={props.frame}>
    <h1>Overview</h1>
    <Attention items={props.attention} />
    <h2>Records</h2>
    <ul class="cards">
      {MODEL_ORDER.map((m) => (
        <li>
          <a href={`/admin/${m.name}/`}>
            {m.label}
            <span>{countOf(props.counts[m.name] ?? 0, 'record')}</span>
          </a>
        </li>
      ))}
    </ul>
  </Shell>
);

/** Several records match a picker's text: staff choose one (each a link to the list filtered by it). */
export const ChoosePage = (props: {
  frame: Frame;
  def: ModelDef;
  query: Query;
  field: string;
  text: string;
  matches: Match[];
  more: boolean;
}) => {
  const { def, query, field } = props;
  const noun = labelOf(field).toLowerCase();
  return (
    <Shell title={`Choose a ${noun}`} frame={props.frame} active={def.name}>
      <p>
        <a href={hrefOf({ ...query, [field]: '', page: '' })}>← {def.label} without this filter</a>
      </p>
      <h1>Choose a {noun}</h1>
      <p role="status">
        {props.more ? `More than ${props.matches.length}` : props.matches.length} match “{props.text}”
        {props.more && '; type more of the name or the email to narrow them'}.
      </p>
      <ul class="choices">
        {props.matches.map((m) => (
          <li>
            <a href={`/admin/${def.name}/${hrefOf({ ...query, [field]: String(m.id), page: '' })}`}>{m.name}</a>{' '}
            <span class="sub">
              {m.email}
              {m.detail && ` · ${m.detail}`} · #{m.id}
            </span>
          </li>
        ))}
      </ul>
    </Shell>
  );
};

export const ListPage = (props: {
  frame: Frame;
  def: ModelDef;
  query: Query;
  rows: Row[];
  count: number;
  page: number;
  pageSize: number;
  errors: FieldErrors;
  /** What each picker's text found, by filter. */
  picked?: Record<string, Match>;
}) => {
  const { def, query, errors } = props;
  const pages = Math.max(1, Math.ceil(props.count / props.pageSize));
  return (
    <Shell title={def.label} frame={props.frame} active={def.name}>
      <h1>{def.label}</h1>
      <search>
        <form method="get" class="filters" aria-label={`Search ${def.label.toLowerCase()}`}>
          <Described id="q-search" label="Search" error={errors.search}>
            <input id="q-search" name="search" type="search" value={query.search ?? ''} />
          </Described>
          {Object.entries(def.filters).map(([name, filter]) => (
            <FilterField name={name} filter={filter} query={query} errors={errors} picked={props.picked?.[name]} />
          ))}
          {query.ordering && <input type="hidden" name="ordering" value={query.ordering} />}
          <button type="submit">Apply</button>
          <a href="?">Reset</a>
        </form>
      </search>
      {Object.keys(errors).length > 0 && (
        <p class="alert" role="alert">
          {Object.entries(errors)
            .map(([name, messages]) => `${labelOf(name)}: ${messages.join(' ')}`)
            .join(' ')}
        </p>
      )}
      <p role="status">{recordCount(props.count, def)}</p>
      <Table def={def} rows={props.rows} caption={def.label} query={query} ordering={query.ordering} />
      <nav class="pager" aria-label="Pages">
        {props.page > 1 && (
          <a href={hrefOf({ ...query, page: String(props.page - 1) })} rel="prev">
            ← Previous
          </a>
        )}
        <span>
          Page {props.page} of {pages}
        </span>
        {props.page < pages && (
          <a href={hrefOf({ ...query, page: String(props.page + 1) })} rel="next">
            Next →
          </a>
        )}
      </nav>
    </Shell>
  );
};

export const MessagePage = (props: { nonce: string; frame?: Frame; title: string; message: string }) => {
  const body = (
    <>
      <h1>{props.title}</h1>
      <p>{props.message}</p>
      <p>
        <a href="/admin/">Back to the console</a>
      </p>
    </>
  );
  return props.frame ? (
    <Shell title={props.title} frame={props.frame}>
      {body}
    </Shell>
  ) : (
    <Document title={props.title} nonce={props.nonce}>
      <main class="login" id="main">
        {body}
      </main>
    </Document>
  );
};
