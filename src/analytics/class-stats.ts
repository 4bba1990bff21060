// Per-class attendance for the bookings statistics: one statement in the same batch as the counts.
import { type SQL, sql } from 'drizzle-orm';

export type ClassAttendanceRow = {
  class_session: number;
  service: number;
  name: string;
  start_time: string;
  capacity: number;
  booked: number;
  attended: number;
  no_shows: number;
};

/**
 * The trainer's scheduled (not cancelled) class sessions whose start lies in the period, by
 * start: `booked` counts the places that were held (pending, confirmed, completed, no-show;
 * not cancelled or waitlisted), `attended` the completed ones, `no_shows` the no-shows.
 * `period` is the stats' trainer-and-start-time condition, on unqualified columns.
 */
export const classAttendanceSql = (period: SQL): SQL =>
  sql`SELECT cs.id AS class_session, cs.service_id AS service, sv.name AS name, cs.start_time AS start_time,
      cs.capacity AS capacity,
      coalesce(sum(p.status IN ('pending', 'confirmed', 'completed', 'no_show')), 0) AS booked,
      coalesce(sum(p.status = 'completed'), 0) AS attended,
      coalesce(sum(p.status = 'no_show'), 0) AS no_shows
    FROM (SELECT id, service_id, start_time, capacity FROM class_sessions WHERE ${period} AND status = 'scheduled') cs
    JOIN services sv ON sv.id = cs.service_id
    LEFT JOIN bookings p ON p.class_session_id = cs.id
    GROUP BY cs.id ORDER BY cs.start_time, cs.id`;

export const classAttendanceOut = (r: ClassAttendanceRow): ClassAttendanceRow => ({
  class_session: r.class_session,
  service: r.service,
  name: r.name,
  start_time: r.start_time,
  capacity: r.capacity,
  booked: r.booked,
  attended: r.attended,
  no_shows: r.no_shows,
});
