// How records and their values are shown: instants in UTC and the trainer's zone, money with its
// currency, links by name, statuses as badges, JSON as lists, an audit entry's changes, tables.
import type { Child } from 'hono/jsx';
import { displayAmount } from '../../lib/money';
import { formatLocal } from '../../lib/time';
import type { Column, ModelDef } from '../models';
import type { Row } from '../service';
import { hrefOf, INSTANT, labelOf, type Query } from './layout';

/** An instant in UTC, and below it in the record's trainer zone. */
export const When = ({ iso, zone }: { iso: string; zone: string }) => (
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

/** The tone of a status: done well, waiting, gone wrong, or neither. */
const TONES: Record<string, 'ok' | 'wait' | 'bad'> = {
  confirmed: 'ok',
  completed: 'ok',
  sent: 'ok',
  active: 'ok',
  trialing: 'ok',
  processed: 'ok',
  pending: 'wait',
  waitlisted: 'wait',
  past_due: 'bad',
  paused: 'wait',
  cancelled: 'bad',
  canceled: 'bad',
  failed: 'bad',
  no_show: 'bad',
  refunded: 'wait',
  expired: 'bad',
};

/** A status in colour and in words (the words alone carry it; the colour only helps). */
export const Badge = ({ value }: { value: string }) => (
  <span class={`badge ${TONES[value] ?? 'plain'}`}>{value.replace(/_/g, ' ')}</span>
);

/** Minutes as people say them: "45 min", "1 h", "1 h 30 min". */
export const minutesText = (minutes: number) => {
  const h = Math.trunc(minutes / 60);
  const m = minutes % 60;
  return [h && `${h} h`, (m || !h) && `${m} min`].filter(Boolean).join(' ');
};

/** How deep a JSON value is shown as lists; deeper levels are shown as their JSON text. */
const MAX_DEPTH = 8;

/** A value as JSON text; one too deep even for that is left out, said so. */
const jsonText = (value: unknown): string => {
  try {
    return JSON.stringify(value);
  } catch {
    return '(nested too deeply to show)';
  }
};

/**
 * A JSON value as nested lists: an object as a definition list, an array as a bullet list, at
 * most MAX_DEPTH levels (a stored value may nest thousands deep: rendering must not recurse that far).
 */
export const Structured = ({ value, depth = 0 }: { value: unknown; depth?: number }): Child => {
  if (value === null || value === undefined || value === '') return <span class="none">—</span>;
  if (typeof value === 'object' && depth >= MAX_DEPTH) return <code>{jsonText(value)}</code>;
  if (Array.isArray(value)) {
    if (!value.length) return <span class="none">none</span>;
    return (
      <ul class="list">
        {value.map((v) => (
          <li>
            <Structured value={v} depth={depth + 1} />
          </li>
        ))}
      </ul>
    );
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (!entries.length) return <span class="none">none</span>;
    return (
      <dl class="pairs">
        {entries.map(([k, v]) => (
          <>
            <dt>{k}</dt>
            <dd>
              <Structured value={v} depth={depth + 1} />
            </dd>
          </>
        ))}
      </dl>
    );
  }
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
};

/** One side of a change: a scalar as text ("" as empty), anything else as lists. */
const Side = ({ value }: { value: unknown }): Child => {
  if (value === '') return <span class="none">empty</span>;
  if (value === null || value === undefined) return <span class="none">none</span>;
  if (typeof value === 'object') return <Structured value={value} />;
  return <span>{typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value)}</span>;
};

/** An audit entry's changes, one line per field: `status: pending → cancelled`. */
export const Changes = ({ changes }: { changes: unknown }): Child => {
  if (!changes || typeof changes !== 'object') return <span class="none">—</span>;
  const entries = Object.entries(changes as Record<string, { before?: unknown; after?: unknown }>);
  if (!entries.length) return <span class="none">nothing</span>;
  return (
    <ul class="changes">
      {entries.map(([field, change]) => (
        <li>
          <strong>{field}</strong>: <Side value={change?.before} /> → <Side value={change?.after} />
        </li>
      ))}
    </ul>
  );
};

/** A JSON text (an object or array) parsed, or the text itself. */
const parsedJson = (text: string): unknown => {
  const t = text.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return text;
  try {
    return JSON.parse(t);
  } catch {
    return text;
  }
};

export const Cell = (props: { name: string; column: Column; row: Row }): Child => {
  const { name, column, row } = props;
  const value = row.values[name];
  if (value === null || value === undefined || value === '') return <span class="none">—</span>;
  const model = column.link ?? (column.linkVia ? row.values[column.linkVia] : undefined);
  if (model) {
    const link = row.links?.[name];
    const label = link?.label === null || link?.label === undefined ? `#${String(value)}` : String(link.label);
    const sub = link?.sub && link.sub !== link.label ? String(link.sub) : null;
    return (
      <>
        {/* <bdi>: a right-to-left name keeps to itself, never reordering what stands beside it. */}
        <a href={`/admin/${String(model)}/${String(value)}/`}>
          <bdi>{label}</bdi>
        </a>
        {sub && (
          <span class="sub">
            <bdi>{sub}</bdi>
          </span>
        )}
      </>
    );
  }
  if (column.show === 'badge') return <Badge value={String(value)} />;
  if (column.show === 'minutes') return minutesText(Number(value));
  if (column.show === 'changes') return <Changes changes={value} />;
  if (column.kind === 'money') return row.display?.[name] ?? String(value);
  if (column.kind === 'bool') return value ? 'yes' : 'no';
  if (column.kind === 'instant' && typeof value === 'string') return <When iso={value} zone={row.zone} />;
  return String(value);
};

/**
 * One field of a record's page; `record` gives money its currency. Lists only for JSON: a value
 * the database layer decoded (a JSON column) or a text column the model declares as JSON (`json`),
 * never free text that merely parses as JSON.
 */
export const RecordValue = (props: {
  name: string;
  value: unknown;
  zone: string;
  record: Record<string, unknown>;
  json?: boolean;
}): Child => {
  const { name, value, zone, record } = props;
  if (value === null || value === undefined || value === '') return <span class="none">—</span>;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (name.endsWith('_cents') && typeof value === 'number' && typeof record.currency === 'string') {
    return displayAmount(value, record.currency);
  }
  if (name === 'status' && typeof value === 'string') return <Badge value={value} />;
  if (name === 'changes' && typeof value === 'object') return <Changes changes={value} />;
  if (typeof value === 'string' && INSTANT.test(value)) return <When iso={value} zone={zone} />;
  const data = typeof value === 'string' && props.json ? parsedJson(value) : value;
  if (typeof data === 'object') return <Structured value={data} />;
  const text = String(value);
  return text.length > 120 || text.includes('\n') ? <pre>{text}</pre> : text;
};

/** A record field's label: money without its unit suffix ("Price", not "Price cents"). */
export const fieldLabel = (name: string, record: Record<string, unknown>) =>
  labelOf(name.endsWith('_cents') && typeof record.currency === 'string' ? name.slice(0, -6) : name);

/** A table of rows; the first column links to each row's page. */
export const Table = (props: { def: ModelDef; rows: Row[]; caption: string; query?: Query; ordering?: string }) => {
  const columns = Object.entries(props.def.columns).filter(([, c]) => !c.apiOnly);
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
                    <Cell name={name} column={column} row={row} />
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
