// Form fields with their label, help and errors, for edits and list filters.
import type { Child, PropsWithChildren } from 'hono/jsx';
import type { FieldErrors } from '../../lib/problem';
import type { Filter, PatchField } from '../models';
import type { Match } from '../search';
import { labelOf, type Query } from './layout';

export const Described = (props: PropsWithChildren<{ id: string; label: string; help?: string; error?: string[] }>) => (
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

export const describedBy = (id: string, help?: string, error?: string[]) =>
  [help && `${id}-help`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;

export const Choice = (props: {
  id: string;
  name: string;
  value: string;
  options: [string, string][];
  error?: string[];
}) => (
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

export const YES_NO: [string, string][] = [
  ['true', 'Yes'],
  ['false', 'No'],
];

/** One allow-listed field of an edit form, its error beside it. */
export const EditField = (props: { name: string; field: PatchField; value: string; error?: string[] }) => {
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

/** A picker: a plain text box for a name, an email or an id, resolved by the server on submit. */
const PickField = (props: { id: string; name: string; value: string; picked?: Match; error?: string[] }) => {
  const { id, name, value, picked, error } = props;
  const help = picked ? `Name, email or id. Showing ${picked.name} (${picked.email}).` : 'Name, email or id.';
  return (
    <Described id={id} label={labelOf(name)} help={help} error={error}>
      <input
        id={id}
        name={name}
        type="text"
        value={value}
        autocomplete="off"
        spellcheck={false}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy(id, help, error)}
      />
    </Described>
  );
};

export const FilterField = (props: {
  name: string;
  filter: Filter;
  query: Query;
  errors: FieldErrors;
  picked?: Match;
}) => {
  const { name, filter, query, errors } = props;
  if (filter.kind === 'int' && filter.pick) {
    return (
      <PickField id={`q-${name}`} name={name} value={query[name] ?? ''} picked={props.picked} error={errors[name]} />
    );
  }
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
