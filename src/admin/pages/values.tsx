// How records and their values are shown: instants in UTC and the trainer's zone, tables.
import type { Child } from 'hono/jsx';
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

export const Cell = ({ column, value, zone }: { column: Column; value: unknown; zone: string }): Child => {
  if (value === null || value === undefined || value === '') return <span class="none">—</span>;
  if (column.link) return <a href={`/admin/${column.link}/${value}/`}>#{String(value)}</a>;
  if (column.kind === 'bool') return value ? 'yes' : 'no';
  if (column.kind === 'instant' && typeof value === 'string') return <When iso={value} zone={zone} />;
  return String(value);
};

export const RecordValue = ({ value, zone }: { value: unknown; zone: string }): Child => {
  if (value === null || value === undefined || value === '') return <span class="none">—</span>;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string' && INSTANT.test(value)) return <When iso={value} zone={zone} />;
  if (typeof value === 'object') return <pre>{JSON.stringify(value, null, 2)}</pre>;
  const text = String(value);
  return text.length > 120 || text.includes('\n') ? <pre>{text}</pre> : text;
};

/** A table of rows; the first column links to each row's page. */
export const Table = (props: { def: ModelDef; rows: Row[]; caption: string; query?: Query; ordering?: string }) => {
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
