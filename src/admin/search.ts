// The console's pickers: a trainer, client or user found by what staff type (an id, an exact
// email, or part of a name or email), so no filter needs an id known beforehand.
import { type SQL, sql } from 'drizzle-orm';
import { containsAny, type Db, statement } from '../lib/db';
import { raw } from './list';
import type { ModelDef } from './models';
import { type PickModel, person, TRAINER_NAME, withTrainer } from './models/kit';

/** One record a picker found: its id, its name and email, and for a client whose client it is. */
export interface Match {
  id: number;
  name: string;
  email: string;
  detail: string | null;
}

/** How far a picker shows matches; one more is read to know there are more. */
export const PICK_LIMIT = 10;

interface Source {
  from: string;
  name: string;
  email: string;
  detail: string;
  search: string[];
}

const SOURCES: Record<PickModel, Source> = {
  trainers: {
    from: 'trainers t JOIN users tu ON tu.id = t.user_id',
    name: `coalesce(nullif(t.business_name, ''), ${person('tu')})`,
    email: 'tu.email',
    detail: 'NULL',
    search: ['t.business_name', "tu.first_name || ' ' || tu.last_name", 'tu.email', 't.slug'],
  },
  clients: {
    from: `clients t ${withTrainer('t.trainer_id')}`,
    name: person('t'),
    email: 't.email',
    detail: TRAINER_NAME,
    search: ["t.first_name || ' ' || t.last_name", 't.email'],
  },
  users: {
    from: 'users t',
    name: person('t'),
    email: 't.email',
    detail: 'NULL',
    search: ["t.first_name || ' ' || t.last_name", 't.email'],
  },
};

async function matching(db: Db, model: PickModel, where: SQL): Promise<Match[]> {
  const s = SOURCES[model];
  const rows = await statement(
    db,
    sql`SELECT t.id AS id, ${raw(s.name)} AS name, ${raw(s.email)} AS email, ${raw(s.detail)} AS detail
      FROM ${raw(s.from)} WHERE ${where} ORDER BY name, t.id LIMIT ${PICK_LIMIT + 1}`,
  ).all<Match>();
  return rows.results;
}

/**
 * What a picker's text finds: "12" or "#12" is that id; an email is that exact address (a client's
 * email can belong to several trainers' clients); anything else, or an address no record has
 * exactly, is searched for in names and emails. Up to PICK_LIMIT + 1 matches.
 */
export async function findPicks(db: Db, model: PickModel, text: string): Promise<Match[]> {
  const value = text.trim();
  const id = /^#?(\d{1,15})$/.exec(value)?.[1];
  if (id) return matching(db, model, sql`t.id = ${Number(id)}`);
  if (value.includes('@')) {
    const exact = await matching(db, model, sql`${raw(SOURCES[model].email)} = ${value.toLowerCase()}`);
    if (exact.length) return exact;
  }
  return matching(db, model, containsAny(SOURCES[model].search.map(raw), value));
}

/** A picker's text with several matches: staff choose one. */
export interface Choice {
  field: string;
  text: string;
  matches: Match[];
  more: boolean;
}

/** The list query's picker texts resolved: ids to filter by, or a choice to make, or an error per field. */
export interface Picked {
  ids: Record<string, string>;
  found: Record<string, Match>;
  errors: Record<string, string[]>;
  choose?: Choice;
}

const NOUNS: Record<PickModel, string> = { trainers: 'trainer', clients: 'client', users: 'user' };

/**
 * Every picker filter of `def` with text in `query`: exactly one match filters by its id; several
 * ask staff to choose (the first such field); none is an error naming the field.
 */
export async function resolvePicks(db: Db, def: ModelDef, query: Record<string, string>): Promise<Picked> {
  const picked: Picked = { ids: {}, found: {}, errors: {} };
  for (const [name, filter] of Object.entries(def.filters)) {
    const text = query[name]?.trim();
    if (filter.kind !== 'int' || !filter.pick || !text) continue;
    if (text.length > 200) {
      picked.errors[name] = ['Enter at most 200 characters: a name, an email or an id.'];
      continue;
    }
    const matches = await findPicks(db, filter.pick, text);
    const [first] = matches;
    if (matches.length === 1 && first) {
      picked.ids[name] = String(first.id);
      picked.found[name] = first;
    } else if (!first) {
      picked.errors[name] = [`No ${NOUNS[filter.pick]} matches “${text}”.`];
    } else if (!picked.choose) {
      picked.choose = { field: name, text, matches: matches.slice(0, PICK_LIMIT), more: matches.length > PICK_LIMIT };
    }
  }
  return picked;
}
