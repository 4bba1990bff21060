// The staff console's pages: server-rendered, no script at all, one inline stylesheet under the
// response's CSP nonce. Every control is a link, a button or a form field, so the keyboard reaches all.
import type { Child, FC, PropsWithChildren } from 'hono/jsx';
import type { FieldErrors } from '../lib/problem';
import { formatLocal } from '../lib/time';
import { type Column, type Filter, MODEL_ORDER, MODELS, type ModelDef, type PatchField } from './models';
import type { Detail, Row } from './service';
import { CONSOLE_CSS } from './style';

/** What every signed-in page needs. */
export interface Frame {
  nonce: string;
  csrf: string;
  email: string;
}

type Query = Record<string, string>;

const labelOf = (name: string) => {
  const text = name.replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
};
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;
const hrefOf = (query: Query) => {
  const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== ''));
  const text = params.toString();
  return text ? `?${text}` : '?';
};

const Document: FC<PropsWithChildren<{ title: string; nonce: string }>> = ({ title, nonce, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="robots" content="noindex" />
      <title>{`${title} · TrainerHub staff`}</title>
      <style nonce={nonce} dangerouslySetInnerHTML={{ __html: CONSOLE_CSS }} />
    </head>
    <body>{children}</body>
  </html>
);

const Csrf = ({ token }: { token: string }) => <input type="hidden" name="csrf" value={token} />;

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

// ---- values ----------------------------------------------------------------------------

/** An instant in UTC, and below it in the record's trainer zone. */
const When = ({ iso, zone }: { iso: string; zone: string }) => (
  <time datetime={iso}>
    {`${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`}
    {zone !== 'UTC' && (
      <>
        <br />
        <span class="local" title={zone}>
          {formatLocal(iso, zone, true)}
        </span>
      </>
    )}
  </time>
);

const Cell = ({ column, value, zone }: { column: Column; value: unknown; zone: string }): Child => {
  if (value === null || value === undefined || value === '') return <span class="none">—</span>;
  if (column.link) return <a href={`/admin/${column.link}/${value}/`}>#{String(value)}</a>;
  if (column.kind === 'bool') return value ? 'yes' : 'no';
  if (column.kind === 'instant' && typeof value === 'string') return <When iso={value} zone={zone} />;
  return String(value);
};

const RecordValue = ({ value, zone }: { value: unknown; zone: string }): Child => {
  if (value === null || value === undefined || value === '') return <span class="none">—</span>;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string' && INSTANT.test(value)) return <When iso={value} zone={zone} />;
  if (typeof value === 'object') return <pre>{JSON.stringify(value, null, 2)}</pre>;
  const text = String(value);
  return text.length > 120 || text.includes('\n') ? <pre>{text}</pre> : text;
};

/** A table of rows; the first column links to each row's page. */
const Table = (props: { def: ModelDef; rows: Row[]; caption: string; query?: Query; ordering?: string }) => {
  const columns = Object.entries(props.def.columns);
  const sortHeader = (name: string) => {
    if (!props.query) return labelOf(name);
    const current = props.ordering ?? props.def.ordering;
    const next = current === name ? `-${name}` : name;
    return <a href={hrefOf({ ...props.query, ordering: next, page: '' })}>{labelOf(name)}</a>;
  };
  const sortOf = (name: string) => {
    const current = props.ordering ?? props.def.ordering;
    if (current === name) return 'ascending';
    return current === `-${name}` ? 'descending' : undefined;
  };
  return (
    <section class="scroll" aria-label={props.caption} tabindex={0}>
      <table>
        <caption class="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            {columns.map(([name]) => (
              <th scope="col" aria-sort={props.query ? sortOf(name) : undefined}>
                {sortHeader(name)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr>
              {columns.map(([name, column]) => (
                <td>
                  {name === 'id' ? (
                    <a href={`/admin/${props.def.name}/${row.values.id}/`}>{String(row.values.id)}</a>
                  ) : (
                    <Cell column={column} value={row.values[name]} zone={row.zone} />
                  )}
                </td>
              ))}
            </tr>
          ))}
          {props.rows.length === 0 && (
            <tr>
              <td colspan={columns.length}>Nothing here.</td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
};

// ---- form fields -----------------------------------------------------------------------

const Described = (props: PropsWithChildren<{ id: string; label: string; help?: string; error?: string[] }>) => (
  <div class="field">
    <label for={props.id}>{props.label}</label>
    {props.children}
    {props.help && (
      <p class="hint" id={`${props.id}-help`}>
        {props.help}
      </p>
    )}
    {props.error && (
      <p class="error" id={`${props.id}-error`}>
        {props.error.join(' ')}
      </p>
    )}
  </div>
);

const describedBy = (id: string, help?: string, error?: string[]) =>
  [help && `${id}-help`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;

const Choice = (props: { id: string; name: string; value: string; options: [string, string][]; error?: string[] }) => (
  <select
    id={props.id}
    name={props.name}
    aria-invalid={props.error ? 'true' : undefined}
    aria-describedby={describedBy(props.id, undefined, props.error)}
  >
    {props.options.map(([value, label]) => (
      <option value={value} selected={value === props.value}>
        {label}
      </option>
    ))}
  </select>
);

const YES_NO: [string, string][] = [
  ['true', 'Yes'],
  ['false', 'No'],
];

/** One allow-listed field of an edit form, its error beside it. */
const EditField = (props: { name: string; field: PatchField; value: string; error?: string[] }) => {
  const { name, field, value, error } = props;
  const id = `f-${name}`;
  const common = {
    id,
    name,
    'aria-invalid': error ? 'true' : undefined,
    'aria-describedby': describedBy(id, field.help, error),
  };
  const input = field.input;
  let control: Child;
  if (input === 'textarea')
    control = (
      <textarea {...common} rows={4}>
        {value}
      </textarea>
    );
  else if (input === 'bool') control = <Choice {...common} value={value} options={YES_NO} error={error} />;
  else if (typeof input === 'object')
    control = <Choice {...common} value={value} options={input.options.map((o) => [o, o])} error={error} />;
  else
    control = (
      <input
        {...common}
        type={input === 'number' ? 'number' : 'text'}
        value={value}
        spellcheck={input === 'instant' ? false : undefined}
        placeholder={input === 'instant' ? '2030-01-15T10:00:00Z' : undefined}
      />
    );
  return (
    <Described id={id} label={labelOf(name)} help={field.help} error={error}>
      {control}
    </Described>
  );
};

const FilterField = (props: { name: string; filter: Filter; query: Query; errors: FieldErrors }) => {
  const { name, filter, query, errors } = props;
  if (filter.kind === 'range') {
    return (
      <>
        {(['from', 'to'] as const).map((end) => {
          const key = `${name}_${end}`;
          return (
            <Described id={`q-${key}`} label={`${labelOf(name)} ${end}`} error={errors[key]}>
              <input id={`q-${key}`} name={key} type="date" value={query[key] ?? ''} />
            </Described>
          );
        })}
      </>
    );
  }
  const id = `q-${name}`;
  const value = query[name] ?? '';
  let control: Child;
  if (filter.kind === 'enum') {
    const options: [string, string][] = [['', 'Any'], ...filter.values.map((v): [string, string] => [v, v])];
    control = <Choice id={id} name={name} value={value} options={options} error={errors[name]} />;
  } else if (filter.kind === 'bool' || filter.kind === 'present') {
    control = <Choice id={id} name={name} value={value} options={[['', 'Any'], ...YES_NO]} error={errors[name]} />;
  } else {
    control = <input id={id} name={name} type={filter.kind === 'int' ? 'number' : 'text'} min={0} value={value} />;
  }
  return (
    <Described id={id} label={labelOf(name)} error={errors[name]}>
      {control}
    </Described>
  );
};

// ---- pages -----------------------------------------------------------------------------

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

/** A related one-row or many-rows section, linking to the full filtered list where one exists. */
const Related = (props: {
  name: string;
  model: ModelDef;
  one: boolean;
  id: number;
  value: Detail['related'][string] | undefined;
  zone: string;
  column: string;
}) => {
  const { model, value } = props;
  const heading = labelOf(props.name);
  if (value === null || value === undefined) {
    return (
      <section class="panel">
        <h2>{heading}</h2>
        <p class="none">None.</p>
      </section>
    );
  }
  const many = !props.one && 'results' in value && Array.isArray(value.results);
  const rows = (many ? (value.results as Record<string, unknown>[]) : [value]).map((values) => ({
    values,
    zone: props.zone,
  }));
  const filter = Object.entries(model.filters).find(([, f]) => f.expr === props.column && f.kind === 'int');
  return (
    <section class="panel">
      <h2>
        {heading}
        {many && ` (${value.count})`}
      </h2>
      <Table def={model} rows={rows} caption={heading} />
      {many && filter && Number(value.count) > rows.length && (
        <p>
          <a href={`/admin/${model.name}/?${filter[0]}=${props.id}`}>All {Number(value.count)} →</a>
        </p>
      )}
    </section>
  );
};

export const DetailPage = (props: {
  frame: Frame;
  def: ModelDef;
  detail: Detail;
  values: Record<string, string>;
  errors: FieldErrors;
  alert?: string;
  saved?: boolean;
}) => {
  const { def, detail, frame, errors } = props;
  const title = `${labelOf(def.singular)} #${detail.id}`;
  const relations = [
    ...def.related,
    ...(def.name === 'audit-log' ? [] : [{ name: 'history', model: 'audit-log' as const, column: '', one: false }]),
  ];
  return (
    <Shell title={title} frame={frame} active={def.name}>
      <p>
        <a href={`/admin/${def.name}/`}>← {def.label}</a>
      </p>
      <h1>{title}</h1>
      {props.saved && (
        <p class="ok" role="status">
          Saved.
        </p>
      )}
      {props.alert && (
        <p class="alert" role="alert">
          {props.alert}
        </p>
      )}
      <p class="hint">Times in UTC and in {detail.timezone}.</p>
      <dl class="record">
        {Object.entries(detail.record).map(([name, value]) => (
          <>
            <dt>{labelOf(name)}</dt>
            <dd>
              <RecordValue value={value} zone={detail.timezone} />
            </dd>
          </>
        ))}
      </dl>
      {def.patch && (
        <section class="panel">
          <h2 id="edit-h">Edit</h2>
          <form
            method="post"
            action={`/admin/${def.name}/${detail.id}/`}
            class="edit"
            aria-labelledby="edit-h"
            novalidate
          >
            <Csrf token={frame.csrf} />
            {Object.entries(def.patch).map(([name, field]) => (
              <EditField name={name} field={field} value={props.values[name] ?? ''} error={errors[name]} />
            ))}
            <button type="submit">Save changes</button>
          </form>
        </section>
      )}
      {(def.retryable || def.deletable) && (
        <section class="panel actions" aria-label="Actions">
          {def.retryable && detail.record.status === 'failed' && (
            <form method="post" action={`/admin/${def.name}/${detail.id}/retry`}>
              <Csrf token={frame.csrf} />
              <button type="submit">Retry sending</button>
            </form>
          )}
          {def.deletable && (
            <form method="post" action={`/admin/${def.name}/${detail.id}/delete`}>
              <Csrf token={frame.csrf} />
              <button type="submit" class="danger">
                Delete this {def.singular}
              </button>
            </form>
          )}
        </section>
      )}
      {relations.map((rel) => (
        <Related
          name={rel.name}
          one={rel.one === true}
          model={MODELS[rel.model]}
          id={detail.id}
          value={detail.related[rel.name]}
          zone={detail.timezone}
          column={rel.column}
        />
      ))}
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
