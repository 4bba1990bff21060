// What each notification says. Pure: data in, subject/text/HTML/SMS out.
import { html } from 'hono/html';
import { dayRelation } from '../lib/calendar';
import { icalTime } from '../lib/ical';
import { oneLine } from '../lib/text';
import { formatLocal, formatSpan } from '../lib/time';
import { bookingIcs, ICS_FILENAME } from './calendar';
import { fitSms, SMS_MAX, SMS_TWO_PARTS, toGsm7 } from './gsm7';
import { type Place, placeLine, placeSms } from './location';
import { packAfterCancel, packLine } from './pack-lines';
import type { NotificationKind } from './types';

export interface BookingContext {
  kind: NotificationKind;
  channel: 'email' | 'sms' | 'push';
  bookingId: number;
  clientFirstName: string;
  clientName: string;
  clientEmail: string;
  businessName: string;
  /** The trainer's zone (the trainer's own messages). */
  timezone: string;
  /** The client's zone (every client message and its calendar file). */
  clientTimezone: string;
  startTime: string;
  endTime: string;
  status: string;
  sequence: number;
  /** A "rescheduled" message: the time the booking had before the move. */
  previous?: { start: string; end: string } | null;
  notes: string;
  /** The booking's service ("60-minute session", "Home assessment"). */
  serviceName: string;
  /** Where and how (location.ts), or null when there is nothing to say. */
  place: Place | null;
  cancellationReason: string;
  /** A place in a class: booked as such, or moved up from its waitlist; null: a session of its own. */
  classPlace?: 'booked' | 'moved_up' | null;
  /** A cancelled booking's late cancel spent its pack's credit (not every late cancel does). */
  creditSpentOnCancel?: boolean;
  /** The booking's manage page, or null for a link made before links could be derived. */
  manageUrl: string | null;
  appOrigin: string;
  /** The reply address of client mail (EMAIL_FROM's address), the calendar file's organizer. */
  replyTo: string;
  /** When the message is sent: "today" and "tomorrow" are said from here. */
  now: string;
  /**
   * The pack paying for the booking and its credits left (after this booking, or once it is
   * cancelled), as at sending; null/absent: none.
   */
  pack?: { name: string; left: number } | null;
}

export interface Attachment {
  filename: string;
  /** The file's text (providers encode it as they need). */
  content: string;
  type: string;
}

export interface Rendered {
  subject: string;
  text: string;
  html: string;
  attachments?: Attachment[];
}

/** The cancellation reason of a public request the trainer never confirmed (bookings/expiry.ts writes it). */
const EXPIRED = 'expired';

const minutesOf = (span: { start: string; end: string } | null | undefined) =>
  span ? Math.round((Date.parse(span.end) - Date.parse(span.start)) / 60_000) : 0;
const minutes = (c: BookingContext) => minutesOf({ start: c.startTime, end: c.endTime });
/** A "rescheduled" message of a change to the end only: the session starts as it did, and is longer or shorter. */
const endOnly = (c: BookingContext) => c.previous?.start === c.startTime && c.previous.end !== c.endTime;

/** The place as an HTML paragraph: the video link clickable. */
export const placeHtml = (p: Place) =>
  p.videoUrl ? html`<p>Online (video): <a href="${p.videoUrl}">${p.videoUrl}</a></p>` : html`<p>${placeLine(p)}</p>`;

/** The line naming the cancellation's reason, if one was given. */
const reasonLine = (c: BookingContext) => (c.cancellationReason ? [`Reason: ${c.cancellationReason}`] : []);

/** Messages to a waitlisted place that ends: it never held a time, so no calendar file goes with them. */
const OFF_THE_WAITLIST = new Set<NotificationKind>(['waitlist_left', 'waitlist_expired', 'waitlist_class_cancelled']);

/** A client email; `withPlace`: where and how follows the first line. */
function email(c: BookingContext, subject: string, lines: string[], withPlace = false): Rendered {
  const greeting = `Hi ${c.clientFirstName || c.clientName},`;
  const manage = c.manageUrl ? `See, change or cancel your booking: ${c.manageUrl}` : '';
  const place = withPlace ? c.place : null;
  const [first = '', ...rest] = lines;
  const textLines = place ? [first, placeLine(place), ...rest] : lines;
  const text = [greeting, '', ...textLines, ...(manage ? ['', manage] : []), '', `— ${c.businessName}`].join('\n');
  const link = c.manageUrl
    ? html`<p><a href="${c.manageUrl}">See, change or cancel your booking</a><br>${c.manageUrl}</p>`
    : '';
  // A waitlisted place holds no time yet, nor did one that left or lapsed off the waitlist: nothing
  // to put in (or take out of) a calendar.
  const timeless = c.status === 'waitlisted' || OFF_THE_WAITLIST.has(c.kind);
  const add = c.status === 'cancelled' || timeless ? '' : addToCalendar(c);
  const body = html`<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">
<p>${greeting}</p><p>${first}</p>${place ? placeHtml(place) : ''}${rest.map((l) => html`<p>${l}</p>`)}${link}${add}<p>— ${c.businessName}</p></body></html>`;
  return { subject, text, html: String(body), attachments: timeless ? [] : [calendarFile(c)] };
}

/** The calendar event's title: the service and who gives it. */
const eventTitle = (c: BookingContext) => `${c.serviceName} with ${c.businessName}`;

/** "Add to Google Calendar / Outlook" links (the attached .ics serves every other calendar). */
function addToCalendar(c: BookingContext) {
  const title = eventTitle(c);
  const details = c.manageUrl ? `See, change or cancel: ${c.manageUrl}` : '';
  const location = c.place?.calendar ?? '';
  const google = new URL('https://calendar.google.com/calendar/render');
  google.search = new URLSearchParams({
    action: 'TEMPLATE',
    text: title,
    dates: `${icalTime(c.startTime)}/${icalTime(c.endTime)}`,
    details,
    ...(location ? { location } : {}),
  }).toString();
  const outlook = new URL('https://outlook.live.com/calendar/0/deeplink/compose');
  outlook.search = new URLSearchParams({
    subject: title,
    startdt: c.startTime,
    enddt: c.endTime,
    body: details,
    ...(location ? { location } : {}),
    path: '/calendar/action/compose',
    rru: 'addevent',
  }).toString();
  return html`<p>Add to <a href="${google.toString()}">Google Calendar</a> · <a href="${outlook.toString()}">Outlook</a></p>`;
}

/** The booking as an .ics in the client's zone: REQUEST, or CANCEL once cancelled. */
function calendarFile(c: BookingContext): Attachment {
  const cancelled = c.status === 'cancelled';
  const method = cancelled ? 'CANCEL' : 'REQUEST';
  const span = formatSpan(c.startTime, c.endTime, c.clientTimezone);
  const content = bookingIcs(
    {
      bookingId: c.bookingId,
      appOrigin: c.appOrigin,
      manageUrl: c.manageUrl,
      status: c.status,
      sequence: c.sequence,
      startTime: c.startTime,
      endTime: c.endTime,
      summary: eventTitle(c),
      description: [
        `${span}`,
        ...(c.place ? [placeLine(c.place)] : []),
        ...(c.manageUrl ? [`See, change or cancel: ${c.manageUrl}`] : []),
      ].join('\n'),
      location: c.place?.calendar ?? '',
      videoUrl: c.place?.videoUrl ?? '',
      organizer: { name: c.businessName, email: c.replyTo },
      attendee: c.clientEmail ? { name: c.clientName, email: c.clientEmail } : undefined,
      now: c.now,
    },
    method,
  );
  return { filename: ICS_FILENAME, content, type: `text/calendar; method=${method}` };
}

/** The message for a booking notification: the client's in their zone, the trainer's in the trainer's. */
export function renderBooking(c: BookingContext): Rendered {
  const r = c.kind === 'booking_requested' ? renderForTrainer(c) : renderForClient(c);
  return { ...r, subject: oneLine(r.subject) };
}

function renderForTrainer(c: BookingContext): Rendered {
  const when = formatLocal(c.startTime, c.timezone);
  const whenLong = formatLocal(c.startTime, c.timezone, true);
  const dur = minutes(c);
  // Booked straight away when the trainer confirms bookings automatically: nothing to confirm.
  const pending = c.status !== 'confirmed';
  const ask = pending
    ? 'Confirm or cancel it in TrainerHub.'
    : 'It is confirmed; you can see or cancel it in TrainerHub.';
  // A place that came off a class's waitlist was not asked for now: the waitlist gave it.
  const what =
    c.classPlace === 'moved_up'
      ? `${c.clientName} moved up from the waitlist to a place in your class on ${whenLong} (${dur} minutes).`
      : `${c.clientName} ${pending ? 'asked for' : 'booked'} ${c.classPlace ? 'a place in your class' : 'a session'} on ${whenLong} (${dur} minutes).`;
  const title =
    c.classPlace === 'moved_up'
      ? pending
        ? 'Place to confirm'
        : 'New place'
      : pending
        ? 'New booking request'
        : 'New booking';
  return {
    subject: `${title}: ${oneLine(c.clientName)}, ${when}`,
    text: `${what}${c.notes ? `\nNotes: ${c.notes}` : ''}\n${ask}`,
    html: String(
      html`<!doctype html><html><body style="font-family:system-ui,sans-serif"><p>${what}</p>${c.notes ? html`<p>Notes: ${c.notes}</p>` : ''}<p>${ask}</p></body></html>`,
    ),
  };
}

/** The SMS of a client message: short, with where and how (not once cancelled) and the manage link. */
function renderSms(c: BookingContext, when: string, dur: number): Rendered {
  const link = c.manageUrl ? ` ${c.manageUrl}` : '';
  const where = c.status === 'cancelled' ? '' : toGsm7(placeSms(c.place));
  const sms = (name: string): string => {
    switch (c.kind) {
      case 'booking_cancelled':
        if (c.cancellationReason === EXPIRED)
          return `Your request to ${name} for ${when} was not confirmed and has lapsed.${link}`;
        return `Session with ${name} ${when} was cancelled.${link}`;
      case 'waitlist_promoted':
        return `A place opened: you are in the class with ${name} ${when} (${dur} min).${where}${link}`;
      case 'waitlist_expired':
        return `No place opened in the class with ${name} ${when}; you are off the waitlist.${link}`;
      case 'waitlist_left':
        return `You are off the waitlist for the class with ${name} ${when}.${link}`;
      case 'class_cancelled':
        return `The class with ${name} ${when} was cancelled.${link}`;
      case 'waitlist_class_cancelled':
        return `The class with ${name} ${when} was cancelled; you are off its waitlist.${link}`;
      case 'reminder_24h':
        return `Reminder: session with ${name} ${when} (${dur} min).${where}${link}`;
      case 'reminder_1h':
        return `In 1 hour: session with ${name} ${when} (${dur} min).${where}${link}`;
      case 'booking_rescheduled':
        if (endOnly(c))
          return `Session with ${name} ${when} now lasts ${dur} min, was ${minutesOf(c.previous)}.${where}${link}`;
        return `Session with ${name} moved to ${when} (${dur} min), was ${c.previous ? formatLocal(c.previous.start, c.clientTimezone) : 'another time'}.${where}${link}`;
      case 'booking_request_received':
        return `Request sent to ${name} for ${when} (${dur} min). You will hear back soon.${where}${link}`;
      default:
        return `Session with ${name} ${when} (${dur} min).${where}${link ? ` Manage:${link}` : ' Reply to your trainer to change.'}`;
    }
  };
  return { subject: '', text: fitSms(sms, c.businessName, where ? SMS_TWO_PARTS : SMS_MAX), html: '' };
}

/** The email of a place in a class: promoted from the waitlist, off it, or the class cancelled. */
function renderClassEmail(c: BookingContext, when: string, span: string, dur: number): Rendered | null {
  const svc = oneLine(c.serviceName);
  const notes = c.notes ? [`Notes: ${c.notes}`] : [];
  switch (c.kind) {
    case 'waitlist_promoted':
      return email(
        c,
        `You're in: ${svc} on ${when}`,
        [
          `A place opened in ${c.businessName}'s class on ${span} (${dur} minutes) and it is yours${c.status === 'pending' ? ', waiting for the trainer to confirm' : ''}.`,
          ...notes,
        ],
        true,
      );
    case 'waitlist_joined':
      return email(c, `On the waitlist: ${svc} on ${when}`, [
        `You are on the waitlist for ${c.businessName}'s class on ${span} (${dur} minutes). If a place opens in time, it is yours and we will email you; until then nothing is booked.`,
        'The link below shows your place in line and lets you leave the waitlist.',
      ]);
    case 'waitlist_expired':
      return email(c, `No place: ${svc} on ${when}`, [
        `No place opened in ${c.businessName}'s class on ${span} in time, so you are no longer on its waitlist.`,
      ]);
    case 'waitlist_left':
      return email(c, `Off the waitlist: ${svc} on ${when}`, [
        `You are no longer on the waitlist for ${c.businessName}'s class on ${span}. Nothing was booked.`,
        ...reasonLine(c),
      ]);
    case 'class_cancelled':
      return email(c, `Cancelled: ${svc} on ${when}`, [
        `${c.businessName} has cancelled the class on ${span}.`,
        ...packAfterCancel(c),
        ...reasonLine(c),
      ]);
    case 'waitlist_class_cancelled':
      return email(c, `Cancelled: ${svc} on ${when}`, [
        `${c.businessName} has cancelled the class on ${span}, so its waitlist is closed and you are no longer on it. Nothing was booked.`,
        ...reasonLine(c),
      ]);
    default:
      return null;
  }
}

/** A "rescheduled" email: a move, or a new length when only the end changed. */
function renderMove(c: BookingContext, t: { when: string; span: string; dur: number; svc: string; notes: string[] }) {
  const { when, span, dur, svc, notes } = t;
  if (endOnly(c)) {
    return email(
      c,
      `Changed: ${svc} on ${when} now lasts ${dur} minutes`,
      [
        `Your session with ${c.businessName} now runs ${span}: ${dur} minutes, where it was ${minutesOf(c.previous)}.`,
        'The attached calendar file changes the event in your calendar.',
        ...notes,
      ],
      true,
    );
  }
  const before = c.previous ? formatSpan(c.previous.start, c.previous.end, c.clientTimezone) : '';
  return email(
    c,
    `Rescheduled: ${svc} is now ${when}`,
    [
      `Your session with ${c.businessName} has moved ${before ? `from ${before} ` : ''}to ${span} (${dur} minutes).`,
      'The attached calendar file moves the event in your calendar.',
      ...notes,
    ],
    true,
  );
}

function renderForClient(c: BookingContext): Rendered {
  const when = formatLocal(c.startTime, c.clientTimezone);
  const span = formatSpan(c.startTime, c.endTime, c.clientTimezone);
  const dur = minutes(c);
  const notes = c.notes ? [`Notes: ${c.notes}`] : [];
  const svc = oneLine(c.serviceName);
  if (c.channel === 'sms') return renderSms(c, when, dur);
  if (c.kind === 'booking_cancelled' && c.cancellationReason === EXPIRED) {
    return email(c, `Not confirmed: your request for ${when}`, [
      `${c.businessName} did not confirm your request for ${span} in time, so it has lapsed and the time is free again.`,
      'You are welcome to request another time.',
    ]);
  }
  const ofClass = renderClassEmail(c, when, span, dur);
  if (ofClass) return ofClass;
  switch (c.kind) {
    case 'booking_cancelled':
      return email(c, `Cancelled: ${svc} on ${when}`, [
        `Your session with ${c.businessName} on ${span} has been cancelled.`,
        ...packAfterCancel(c),
        ...reasonLine(c),
      ]);
    case 'reminder_24h': {
      // "tomorrow" only when it is tomorrow where the client is, seen at the moment of sending.
      const day = dayRelation(Date.parse(c.startTime), Date.parse(c.now), c.clientTimezone);
      return email(
        c,
        `Reminder: ${svc} ${day ? `${day}, ` : 'on '}${when}`,
        [
          `This is a reminder of your session with ${c.businessName} ${day ? `${day}, ` : 'on '}${span} (${dur} minutes).`,
          ...notes,
        ],
        true,
      );
    }
    case 'reminder_1h':
      return email(
        c,
        `In one hour: ${svc} at ${when}`,
        [`Your session with ${c.businessName} starts at ${span} (${dur} minutes).`],
        true,
      );
    case 'booking_rescheduled':
      return renderMove(c, { when, span, dur, svc, notes });
    case 'booking_request_received':
      return email(
        c,
        `Booking request received: ${svc}, ${when}`,
        [
          `${c.businessName} has received your request for ${span} (${dur} minutes) and will confirm it soon.`,
          ...notes,
          ...packLine(c),
        ],
        true,
      );
    default:
      return email(
        c,
        `Confirmed: ${svc} on ${when}`,
        [`Your session with ${c.businessName} is confirmed for ${span} (${dur} minutes).`, ...notes, ...packLine(c)],
        true,
      );
  }
}

export function renderReceipt(args: {
  businessName: string;
  /** For people, in the payment's currency ("$29.00", "¥2,900"). */
  amount: string;
  transactionId: string;
}): Rendered {
  const line = `We received your TrainerHub subscription payment of ${args.amount} (transaction ${args.transactionId}). Thank you!`;
  return {
    subject: oneLine(`Receipt: ${args.amount} for TrainerHub`),
    text: `Hi ${args.businessName},\n\n${line}`,
    html: String(
      html`<!doctype html><html><body style="font-family:system-ui,sans-serif"><p>Hi ${args.businessName},</p><p>${line}</p></body></html>`,
    ),
  };
}
