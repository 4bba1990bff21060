// The triggers the migrations create live only in migrations/ (drizzle's schema.ts knows nothing of
// them): the kept counts (`booking_count`, `notification_count`), the occupancy and schedule
// versions the availability cache and the schedule object's guard read, the monthly booking stats.
// SQLite drops a table's triggers with the table, so a migration that rebuilds one (drizzle-kit's
// CREATE `__new_x`, copy, DROP, RENAME, for any column change SQLite cannot ALTER) silently loses
// them, and every count and version they keep goes wrong from then on. This holds the database
// after the last migration to every trigger the migrations created and did not drop.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

/** Each trigger the migrations leave, by name, with the table it is on: created, less dropped. */
function triggersOfMigrations(): Map<string, string> {
  const left = new Map<string, string>();
  for (const query of env.TEST_MIGRATIONS.flatMap((m) => m.queries)) {
    for (const [, name, table] of query.matchAll(
      /CREATE\s+TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?[`"]?(\w+)[`"]?[\s\S]*?\bON\s+[`"]?(\w+)/gi,
    )) {
      left.set(name as string, table as string);
    }
    for (const [, name] of query.matchAll(/DROP\s+TRIGGER\s+(?:IF\s+EXISTS\s+)?[`"]?(\w+)/gi))
      left.delete(name as string);
  }
  return left;
}

describe('migrations keep their triggers', () => {
  it('every trigger the migrations create and never drop is in the database after the last one, on its table', async () => {
    const expected = triggersOfMigrations();
    // The kept counts and versions are among them (a parse that found nothing would prove nothing).
    for (const name of [
      'booking_count_trainer_change',
      'notification_count_insert',
      'occupancy_version_booking_insert',
    ]) {
      expect(expected.has(name), name).toBe(true);
    }
    const { results } = await env.DB.prepare(
      "SELECT name, tbl_name AS tableName FROM sqlite_master WHERE type = 'trigger'",
    ).all<{ name: string; tableName: string }>();
    const present = new Map(results.map((r) => [r.name, r.tableName]));
    const lost = [...expected]
      .filter(([name, table]) => present.get(name) !== table)
      .map(([name, table]) => `${name} on ${table}`);
    expect(lost, 'lost by a table rebuild? create them again in the migration that rebuilds the table').toEqual([]);
    expect(present.size).toBe(expected.size);
  });
});
