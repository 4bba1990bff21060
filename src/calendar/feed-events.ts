// The rows of a calendar feed as iCalendar events: pure, the rows in, events out. A trainer's feed
// holds their bookings (not class places), class sessions and breaks; a client's feed their own
// bookings with that trainer. Every event's DTSTAMP is its row's last change, so the file (and its
// ETag) changes only when the data does.
import type { LocationType } from '../db/schema';
import { addDays, daysAround, daysBetween } from '../lib/calendar';
import type { IcalEvent } from '../lib/ical';
import { bookingUid, icsStatus } from '../notifications/calendar';
import { placeLine, placeOf, type ServicePlace, serviceNameOf } from '../notifications/location';

/** A booking as a feed reads it: joined with its client and service. */
export interface FeedBookingRow {
  id: number;
  status: string;
  sequence: number;
  startTime: string;
  endTime: string;
  notes: string;
  stamp: string;
  clientName: string;
  clientPhone: string;
  serviceName: string | null;
  locationType: LocationType | null;
  location: string | null;
  videoUrl: string | null;
}

export interface FeedClassRow {
  id: number;
  status: 'scheduled' | 'cancelled';
  startTime: string;
  endTime: string;
  capacity: number;
  booked: number;
  stamp: string;
  serviceName: string | null;
  locationType: LocationType | null;
  location: string | null;
  videoUrl: string | null;
}

export interface FeedBreakRow {
  id: number;
  startDate: string;
  endDate: string;
  startTime: string | null;
  endTime: string | null;
  reason: string;
  sequence: number;
  stamp: string;
}

/** Where the feed's links point and which local dates it covers (inclusive), in the trainer's zone. */
export interface FeedFrame {
  appOrigin: string;
  timezone: string;
  fromDate: string;
  toDate: string;
}

const hostOf = (origin: string) => new URL(origin).host;

type ServiceColumns = Pick<FeedBookingRow, 'serviceName' | 'locationType' | 'location' | 'videoUrl'>;

const serviceOf = (row: ServiceColumns): ServicePlace => ({
  name: row.serviceName,
  locationType: row.locationType,
  location: row.location,
  videoUrl: row.videoUrl,
});

/** The service's name, or "Session" for a booking without one. */
const nameOf = (row: ServiceColumns) => serviceNameOf(serviceOf(row));

/** Where and how, as the booking .ics says it: LOCATION, the video link as CONFERENCE, a line for DESCRIPTION. */
function whereOf(row: ServiceColumns, phone: string) {
  const place = placeOf(serviceOf(row), phone);
  return {
    location: place?.calendar ?? '',
    conference: place?.videoUrl ?? '',
    line: place ? placeLine(place) : '',
  };
}

/** The trainer's booking: "<client> · <service>", the notes and the link to the booking in the API. */
export function trainerBookingEvent(row: FeedBookingRow, frame: FeedFrame): IcalEvent {
  const where = whereOf(row, row.clientPhone);
  const link = `${frame.appOrigin}/api/bookings/${row.id}/`;
  return {
    uid: bookingUid(frame.appOrigin, row.id),
    sequence: row.sequence,
    stamp: row.stamp,
    start: row.startTime,
    end: row.endTime,
    summary: `${row.clientName} · ${nameOf(row)}`,
    description: [where.line, row.notes.trim(), `Booking: ${link}`].filter(Boolean).join('\n'),
    url: link,
    location: where.location,
    conference: where.conference,
    status: icsStatus(row.status),
  };
}

/** A client's own booking: "<service> with <trainer>", where and how; never the trainer's notes. */
export function clientBookingEvent(row: FeedBookingRow, frame: FeedFrame, trainerName: string): IcalEvent {
  const where = whereOf(row, row.clientPhone);
  return {
    uid: bookingUid(frame.appOrigin, row.id),
    sequence: row.sequence,
    stamp: row.stamp,
    start: row.startTime,
    end: row.endTime,
    summary: `${nameOf(row)} with ${trainerName}`,
    description: where.line,
    location: where.location,
    conference: where.conference,
    status: icsStatus(row.status),
  };
}

/** A class session: "<service> · n/capacity booked" (a cancelled one keeps its count of the time). */
export function classEvent(row: FeedClassRow, frame: FeedFrame): IcalEvent {
  const where = whereOf(row, '');
  const link = `${frame.appOrigin}/api/class-sessions/${row.id}/`;
  const cancelled = row.status === 'cancelled';
  return {
    uid: `class-${row.id}@${hostOf(frame.appOrigin)}`,
    sequence: cancelled ? 1 : 0,
    stamp: row.stamp,
    start: row.startTime,
    end: row.endTime,
    summary: `${nameOf(row)} · ${row.booked}/${row.capacity} booked`,
    description: [where.line, `Class: ${link}`].filter(Boolean).join('\n'),
    url: link,
    location: where.location,
    conference: where.conference,
    status: cancelled ? 'CANCELLED' : 'CONFIRMED',
  };
}

/** Of two ISO dates or instants (text sorts as time), the earlier and the later. */
export const earlier = (a: string, b: string) => (a < b ? a : b);
export const later = (a: string, b: string) => (a < b ? b : a);

const breakSummary = (b: FeedBreakRow) => (b.reason.trim() ? `Break: ${b.reason.trim()}` : 'Break');

/**
 * A break: whole days as one all-day event; a part of each day as one event per day inside the
 * frame, its wall-clock bounds turned into instants by `LocalDays.spanBound` (a day the clocks
 * skip the whole part has none).
 */
export function breakEvents(b: FeedBreakRow, frame: FeedFrame): IcalEvent[] {
  const host = hostOf(frame.appOrigin);
  const base = { sequence: b.sequence, stamp: b.stamp, summary: breakSummary(b), status: 'CONFIRMED' as const };
  if (!b.startTime || !b.endTime) {
    const end = { date: addDays(b.endDate, 1) };
    return [{ ...base, uid: `break-${b.id}@${host}`, start: { date: b.startDate }, end }];
  }
  const first = later(b.startDate, frame.fromDate);
  const last = earlier(b.endDate, frame.toDate);
  if (first > last) return [];
  // days.dates[0] is the day before `first`; day i of the break is index i + 1
  const days = daysAround(frame.timezone, first, last);
  const out: IcalEvent[] = [];
  for (let i = 0; i <= daysBetween(first, last); i++) {
    const start = days.spanBound(i + 1, b.startTime, 'start');
    const end = days.spanBound(i + 1, b.endTime, 'end');
    if (end <= start) continue;
    const date = addDays(first, i);
    out.push({
      ...base,
      uid: `break-${b.id}-${date}@${host}`,
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
    });
  }
  return out;
}
