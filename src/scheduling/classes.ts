// Class sessions in an availability read: the scheduled sessions starting on the dates asked
// about, with their places taken, as one JSON column of the schedule statement (loadSchedule),
// then placed on their local dates by slots.ts (`classesByDate`).
import { type SQL, sql } from 'drizzle-orm';
import { isActiveStatus } from '../db/fragments';
import { bookings, classSessions, services } from '../db/schema';
import { type ClassOffer, type ClassRules, type ClassSessionRead, classesByDate, type DaySlots } from './slots';

/**
 * Who asks: a visitor sees the classes of public, active services only; the trainer every
 * scheduled one. `from`/`to`: ISO instants (or `param`s) around the dates asked about.
 */
export interface ClassSpan {
  trainerId: number | SQL;
  from: string | SQL;
  to: string | SQL;
  visitor: boolean;
}

/**
 * Scheduled (not cancelled) class sessions starting in [from, to), each with its service's name
 * and its pending/confirmed places, as one JSON column `classes`; `withClasses` keeps those of
 * the dates asked about. Bounded by the (trainer, status, start_time) index; each count by
 * (class_session_id, status).
 */
export const classesColumn = (s: ClassSpan) => {
  const { from, to } = s;
  return sql`(SELECT json_group_array(json_array(cs.id, cs.service_id, sv.name, cs.start_time, cs.end_time, cs.capacity,
      (SELECT count(*) FROM ${bookings} p WHERE p.class_session_id = cs.id AND ${isActiveStatus(sql`p.status`)})))
    FROM ${classSessions} cs JOIN ${services} sv ON sv.id = cs.service_id
    WHERE cs.trainer_id = ${s.trainerId} AND cs.status = 'scheduled' AND cs.start_time >= ${from} AND cs.start_time < ${to}
      ${s.visitor ? sql`AND sv.is_public = 1 AND sv.is_active = 1` : sql``}) AS classes`;
};

export function parseClasses(column: string): ClassSessionRead[] {
  const rows = JSON.parse(column) as [number, number, string, string, string, number, number][];
  return rows.map(([id, serviceId, name, start, end, capacity, taken]) => ({
    id,
    serviceId,
    name,
    start,
    end,
    capacity,
    taken,
  }));
}

export type DayOffers = DaySlots & { classes: ClassOffer[] };

/** Each day's free slots beside the class sessions that start on it. */
export function withClasses(days: DaySlots[], sessions: ClassSessionRead[], rules: ClassRules, now: number) {
  const byDate = classesByDate(sessions, rules, now);
  return days.map((d): DayOffers => ({ ...d, classes: byDate.get(d.date) ?? [] }));
}
