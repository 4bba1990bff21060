// A record's page: its fields, the edit form, its actions and its related records.
import type { FieldErrors } from '../../lib/problem';
import { MODELS, type ModelDef } from '../models';
import type { Detail, Row } from '../service';
import { type BookingPanel, BookingPanels } from './booking';
import { EditField } from './fields';
import { Csrf, type Frame, labelOf, Shell } from './layout';
import { fieldLabel, RecordValue, Table } from './values';

const Related = (props: {
  name: string;
  model: ModelDef;
  one: boolean;
  id: number;
  value: Detail['related'][string] | undefined;
  rows: Row[] | undefined;
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
  // The listed rows (names, money) when read with them; the plain values otherwise.
  const rows =
    props.rows ??
    (many ? (value.results as Record<string, unknown>[]) : [value]).map((values) => ({ values, zone: props.zone }));
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

/** The fields a related record is named by, first found first. */
const NAME_FIELDS = ['business_name', 'full_name', 'name', 'package_name', 'email', 'paddle_subscription_id'];

/** An id field that a one-relation of the page loaded: a link to that record, by its name. */
const relatedLink = (def: ModelDef, detail: Detail, rows: Record<string, Row[]> | undefined, field: string) => {
  const value = detail.record[field];
  const model = detail.record.model;
  // An audit entry's record, in the model it names.
  if (def.name === 'audit-log' && field === 'record_id' && typeof model === 'string') {
    return <a href={`/admin/${model}/${String(value)}/`}>{`${model} #${String(value)}`}</a>;
  }
  const rel = def.related.find((r) => r.one && r.value === field && r.column === 't.id');
  if (!rel || value === null || value === undefined) return null;
  const row = rows?.[rel.name]?.[0]?.values;
  const name = NAME_FIELDS.map((f) => row?.[f]).find((v) => typeof v === 'string' && v.trim());
  return (
    <a href={`/admin/${rel.model}/${String(value)}/`}>
      {name ? (
        <>
          <bdi>{String(name)}</bdi> (#{String(value)})
        </>
      ) : (
        `#${String(value)}`
      )}
    </a>
  );
};

const RecordFields = (props: { def: ModelDef; detail: Detail; rows?: Record<string, Row[]> }) => {
  const { detail } = props;
  return (
    <dl class="record">
      {Object.entries(detail.record).map(([name, value]) => (
        <>
          <dt>{fieldLabel(name, detail.record)}</dt>
          <dd>
            {relatedLink(props.def, detail, props.rows, name) ?? (
              <RecordValue
                name={name}
                value={value}
                zone={detail.timezone}
                record={detail.record}
                json={props.def.jsonText?.includes(name)}
              />
            )}
          </dd>
        </>
      ))}
    </dl>
  );
};

const EditPanel = (props: {
  def: ModelDef;
  id: number;
  patch: NonNullable<ModelDef['patch']>;
  csrf: string;
  values: Record<string, string>;
  errors: FieldErrors;
}) => (
  <section class="panel">
    <h2 id="edit-h">Edit</h2>
    <form
      method="post"
      action={`/admin/${props.def.name}/${props.id}/`}
      class="edit"
      aria-labelledby="edit-h"
      novalidate
    >
      <Csrf token={props.csrf} />
      {Object.entries(props.patch).map(([name, field]) => (
        <EditField name={name} field={field} value={props.values[name] ?? ''} error={props.errors[name]} />
      ))}
      <button type="submit">Save changes</button>
    </form>
  </section>
);

const Actions = ({ def, detail, csrf }: { def: ModelDef; detail: Detail; csrf: string }) => (
  <section class="panel actions" aria-label="Actions">
    {def.retryable && detail.record.status === 'failed' && (
      <form method="post" action={`/admin/${def.name}/${detail.id}/retry`}>
        <Csrf token={csrf} />
        <button type="submit">Retry sending</button>
      </form>
    )}
    {def.deletable && (
      <form method="post" action={`/admin/${def.name}/${detail.id}/delete`}>
        <Csrf token={csrf} />
        <button type="submit" class="danger">
          Delete this {def.singular}
        </button>
      </form>
    )}
  </section>
);

export const DetailPage = (props: {
  frame: Frame;
  def: ModelDef;
  detail: Detail;
  /** The related records as listed rows (names, money). */
  rows?: Record<string, Row[]>;
  values: Record<string, string>;
  errors: FieldErrors;
  alert?: string;
  saved?: boolean;
  /** A booking: its status, time and notes as separate actions instead of one edit form. */
  booking?: BookingPanel;
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
      <RecordFields def={def} detail={detail} rows={props.rows} />
      {props.booking && <BookingPanels b={props.booking} csrf={frame.csrf} values={props.values} errors={errors} />}
      {def.patch && !props.booking && (
        <EditPanel def={def} id={detail.id} patch={def.patch} csrf={frame.csrf} values={props.values} errors={errors} />
      )}
      {(def.retryable || def.deletable) && <Actions def={def} detail={detail} csrf={frame.csrf} />}
      {relations.map((rel) => (
        <Related
          name={rel.name}
          one={rel.one === true}
          model={MODELS[rel.model]}
          id={detail.id}
          value={detail.related[rel.name]}
          rows={props.rows?.[rel.name]}
          zone={detail.timezone}
          column={rel.column}
        />
      ))}
    </Shell>
  );
};
