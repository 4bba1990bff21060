// What drizzle's two reaches into its Postgres code resolve to in the deployed bundle (wrangler.toml
// [alias], by the relative paths drizzle's own files import them with): `sql.js` asks `isPgEnum`
// of every SQL chunk and `relations.js` tests for a `PrimaryKeyBuilder`; neither can hold on
// SQLite, but esbuild kept pg-core's column, enum, array and constraint classes for them (~5 KiB
// before gzip). Same answers: the same symbol test, and a class of the same entity kind that no
// SQLite object is. Tests and tools get drizzle itself.
const PG_ENUM: unique symbol = Symbol.for('drizzle:isPgEnum');
const ENTITY_KIND: unique symbol = Symbol.for('drizzle:entityKind');

// ../pg-core/columns/enum.js
export function isPgEnum(obj: unknown): boolean {
  return !!obj && typeof obj === 'function' && PG_ENUM in obj && (obj as { [PG_ENUM]?: unknown })[PG_ENUM] === true;
}

// ./pg-core/primary-keys.js (a class: `is(x, PrimaryKeyBuilder)` tests instances and the static kind)
// biome-ignore lint/complexity/noStaticOnlyClass: drizzle's `is` needs a class with its entity kind
export class PrimaryKeyBuilder {
  static readonly [ENTITY_KIND] = 'PgPrimaryKeyBuilder';
}
