// The staff console's pages: server-rendered, no script at all, one inline stylesheet under the
// response's CSP nonce. Every control is a link, a button or a form field, so the keyboard reaches all.
import type { FieldErrors } from '../../lib/problem';
import { MODEL_ORDER, type ModelDef } from '../models';
import type { Row } from '../service';
import { Described, FilterField } from './fields';
import { Csrf, Document, type Frame, hrefOf, type Query, Shell } from './layout';
import { Table } from './values';

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
          <input id="password" name="password" type="password" autocomplete="current-password" required />
        </div>
        <button type="submit">Log in</button>
      </form>
    </main>
  </Document>
);

export const HomePage = (props: { frame: Frame; counts: Record<string, number> }) => (
  <Shell title="Overview" frame={props.frame}>
    <h1>Overview</h1>
    <ul class="cards">
      {MODEL_ORDER.map((m) => (
        <li>
          <a href={`/admin/${m.name}/`}>
            {m.label}
            <span>{props.counts[m.name] ?? 0} records</span>
          </a>
        </li>
      ))}
    </ul>
  </Shell>
);

export const ListPage = (props: {
  frame: Frame;
  def: ModelDef;
  query: Query;
  rows: Row[];
  count: number;
  page: number;
  pageSize: number;
  errors: FieldErrors;
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
            <FilterField name={name} filter={filter} query={query} errors={errors} />
          ))}
          {query.ordering && <input type="hidden" name="ordering" value={query.ordering} />}
          <button type="submit">Apply</button>
          <a href="?">Reset</a>
        </form>
      </search>
      {errors.ordering && (
        <p class="alert" role="alert">
          {errors.ordering.join(' ')}
        </p>
      )}
      <p role="status">
        {props.count} {props.count === 1 ? def.singular : def.label.toLowerCase()}
      </p>
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
