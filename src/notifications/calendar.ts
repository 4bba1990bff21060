// A booking as an iCalendar object: the .ics download and every client email's attachment.
import { icalDocument, icalText, icalTime } from '../lib/ical';

export interface BookingEvent {
  bookingId: number;
  /** The app's origin: its host names the UID, its manage page is the URL. */
  appOrigin: string;
  manageUrl: string | null;
  status: string;
  sequence: number;
  startTime: string;
  endTime: string;
  /** The summary and description, already worded in the reader's zone. */
  summary: string;
  description: string;
  /** Where and how (notifications/location.ts): the address, the video link, or what happens. */
  location: string;
  /** A video service's link, also as CONFERENCE (RFC 7986): URL is the manage page, and there is one URL. */
  videoUrl?: string;
  organizer: { name: string; email: string };
  attendee?: { name: string; email: string };
  now: string;
}

/** The file name of the .ics everywhere (the booking page's `download` attribute says the same). */
export const ICS_FILENAME = 'booking.ics';

// A no-show's session took place as booked (the client missed it): still CONFIRMED, not TENTATIVE.
const STATUS: Record<string, string> = {
  cancelled: 'CANCELLED',
  confirmed: 'CONFIRMED',
  completed: 'CONFIRMED',
  no_show: 'CONFIRMED',
};

/** The address of "Name <addr@x>" or "addr@x". */
export const addressOf = (from: string): string => /<([^>]+)>/.exec(from)?.[1]?.trim() ?? from.trim();

/** Parameter values with characters a quoted-string cannot hold removed (RFC 5545 §3.1). */
const param = (v: string) => `"${v.replace(/["\p{Cc}]/gu, '')}"`;

/**
 * One VEVENT with a UID stable per booking and the booking's SEQUENCE. `method`: PUBLISH for the
 * download, REQUEST for a message, CANCEL once cancelled (calendar apps then remove their copy).
 */
export function bookingIcs(e: BookingEvent, method: 'PUBLISH' | 'REQUEST' | 'CANCEL'): string {
  const host = new URL(e.appOrigin).host;
  return icalDocument([
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//TrainerHub//Booking//EN',
    'CALSCALE:GREGORIAN',
    `METHOD:${method}`,
    'BEGIN:VEVENT',
    `UID:booking-${e.bookingId}@${host}`,
    `SEQUENCE:${e.sequence}`,
    `DTSTAMP:${icalTime(e.now)}`,
    `DTSTART:${icalTime(e.startTime)}`,
    `DTEND:${icalTime(e.endTime)}`,
    `SUMMARY:${icalText(e.summary)}`,
    `DESCRIPTION:${icalText(e.description)}`,
    ...(e.manageUrl ? [`URL:${e.manageUrl}`] : []),
    ...(e.location ? [`LOCATION:${icalText(e.location)}`] : []),
    ...(e.videoUrl ? [`CONFERENCE;VALUE=URI;FEATURE=VIDEO;LABEL=Video call:${e.videoUrl}`] : []),
    `ORGANIZER;CN=${param(e.organizer.name)}:mailto:${e.organizer.email}`,
    ...(e.attendee ? [`ATTENDEE;CN=${param(e.attendee.name)};RSVP=FALSE:mailto:${e.attendee.email}`] : []),
    `STATUS:${STATUS[e.status] ?? 'TENTATIVE'}`,
    'END:VEVENT',
    'END:VCALENDAR',
  ]);
}
