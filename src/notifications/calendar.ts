// A booking as an iCalendar object: the .ics download and every client email's attachment.
import { icalCalendar } from '../lib/ical';

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
const STATUS: Record<string, 'CANCELLED' | 'CONFIRMED'> = {
  cancelled: 'CANCELLED',
  confirmed: 'CONFIRMED',
  completed: 'CONFIRMED',
  no_show: 'CONFIRMED',
};

/** A booking's iCalendar STATUS: pending (and anything unknown) is TENTATIVE. */
export const icsStatus = (status: string) => STATUS[status] ?? 'TENTATIVE';

/** One UID per booking, from the app's host: every .ics, message and feed names the same event. */
export const bookingUid = (appOrigin: string, bookingId: number): string =>
  `booking-${bookingId}@${new URL(appOrigin).host}`;

/** The address of "Name <addr@x>" or "addr@x". */
export const addressOf = (from: string): string => /<([^>]+)>/.exec(from)?.[1]?.trim() ?? from.trim();

/**
 * One VEVENT with a UID stable per booking and the booking's SEQUENCE. `method`: PUBLISH for the
 * download, REQUEST for a message, CANCEL once cancelled (calendar apps then remove their copy).
 */
export function bookingIcs(e: BookingEvent, method: 'PUBLISH' | 'REQUEST' | 'CANCEL'): string {
  return icalCalendar({
    prodId: '-//TrainerHub//Booking//EN',
    method,
    events: [
      {
        uid: bookingUid(e.appOrigin, e.bookingId),
        sequence: e.sequence,
        stamp: e.now,
        start: e.startTime,
        end: e.endTime,
        summary: e.summary,
        description: e.description,
        url: e.manageUrl,
        location: e.location,
        conference: e.videoUrl,
        organizer: e.organizer,
        attendee: e.attendee,
        status: icsStatus(e.status),
      },
    ],
  });
}
