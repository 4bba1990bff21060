// What each notification says. Pure: data in, subject/text/HTML/SMS out.
import { html } from 'hono/html';
import { dayRelation } from '../lib/calendar';
import { icalTime } from '../lib/ical';
import { oneLine } from '../lib/text';
import { formatLocal, formatSpan } from '../lib/time';
import { bookingIcs, ICS_FILENAME } from './calendar';
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
  cancellationReason: string;
  /** The booking's manage page, or null for a link made before links could be derived. */
  manageUrl: string | null;
  appOrigin: string;
  /** The reply address of client mail (EMAIL_FROM's address), the calendar file's organizer. */
  replyTo: string;
  /** When the message is sent: "today" and "tomorrow" are said from here. */
  now: string;
  /** The pack paying for the booking and its credits left after it, as at sending; null/absent: none. */
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

export const SMS_MAX = 160;

/** The cancellation reason of a public request the trainer never confirmed (bookings/expiry.ts writes it). */
const EXPIRED = 'expired';

// GSM 03.38 basic set; the extension set costs two characters each.
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€';

/** Length in GSM-7 septets, or Infinity when a character is outside GSM-7. */
export function gsm7Length(text: string): number {
  let n = 0;
  for (const ch of text) {
    if (GSM_BASIC.includes(ch)) n += 1;
    else if (GSM_EXTENDED.includes(ch)) n += 2;
    else return Number.POSITIVE_INFINITY;
  }
  return n;
}

/** Text made GSM-7 safe: accents dropped where GSM has no letter for them, anything else becomes "?". */
export function toGsm7(text: string): string {
  let out = '';
  for (const ch of text) {
    if (GSM_BASIC.includes(ch) || GSM_EXTENDED.includes(ch)) out += ch;
    else {
      const plain = ch.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
      out += plain && [...plain].every((c) => GSM_BASIC.includes(c)) ? plain : '?';
    }
  }
  return out;
}

/** Shortens `name` (never anything else) until the SMS fits in 160 GSM-7 characters. */
function fitSms(build: (name: string) => string, name: string): string {
  const safe = toGsm7(name.trim() || 'your trainer');
  let candidate = build(safe);
  if (gsm7Length(candidate) <= SMS_MAX) return candidate;
  for (let keep = safe.length - 1; keep >= 1; keep--) {
    candidate = build(`${safe.slice(0, keep).trimEnd()}...`);
    if (gsm7Length(candidate) <= SMS_MAX) return candidate;
  }
  return build('');
}

const minutes = (c: BookingContext) => Math.round((Date.parse(c.endTime) - Date.parse(c.startTime)) / 60_000);

function email(c: BookingContext, subject: string, lines: string[]): Rendered {
  const greeting = `Hi ${c.clientFirstName || c.clientName},`;
  const manage = c.manageUrl ? `See, change or cancel your booking: ${c.manageUrl}` : '';
  const text = [greeting, '', ...lines, ...(manage ? ['', manage] : []), '', `— ${c.businessName}`].join('\n');
  const link = c.manageUrl
    ? html`<p><a href="${c.manageUrl}">See, change or cancel your booking</a><br>${c.manageUrl}</p>`
    : '';
  const add = c.status === 'cancelled' ? '' : addToCalendar(c);
  const body = html`<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">
<p>${greeting}</p>${lines.map((l) => html`<p>${l}</p>`)}${link}${add}<p>— ${c.businessName}</p></body></html>`;
  return { subject, text, html: String(body), attachments: [calendarFile(c)] };
}

/** "Add to Google Calendar / Outlook" links (the attached .ics serves every other calendar). */
function addToCalendar(c: BookingContext) {
  const title = `Session with ${c.businessName}`;
  const details = c.manageUrl ? `See, change or cancel: ${c.manageUrl}` : '';
  const google = new URL('https://calendar.google.com/calendar/render');
  google.search = new URLSearchParams({
    action: 'TEMPLATE',
    text: title,
    dates: `${icalTime(c.startTime)}/${icalTime(c.endTime)}`,
    details,
  }).toString();
  const outlook = new URL('https://outlook.live.com/calendar/0/deeplink/compose');
  outlook.search = new URLSearchParams({
    subject: title,
    startdt: c.startTime,
    enddt: c.endTime,
    body: details,
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
      summary: `Session with ${c.businessName}`,
      description: [`${span}`, ...(c.manageUrl ? [`See, change or cancel: ${c.manageUrl}`] : [])].join('\n'),
      location: '',
      organizer: { name: c.businessName, email: c.replyTo },
      attendee: c.clientEmail ? { name: c.clientName, email: c.clientEmail } : undefined,
      now: c.now,
    },
    method,
  );
  return { filename: ICS_FILENAME, content, type: `text/calendar; method=${method}` };
}

/** The line of a booking's confirmation or request that names the pack paying for it. */
function packLine(c: BookingContext): string[] {
  if (!c.pack) return [];
  const left = Math.max(0, c.pack.left);
  return [`Paid with your pack “${c.pack.name}”: ${left} ${left === 1 ? 'session' : 'sessions'} left after this one.`];
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
  return {
    subject: `New booking request: ${oneLine(c.clientName)}, ${when}`,
    text: `${c.clientName} asked for a session on ${whenLong} (${dur} minutes).${c.notes ? `\nNotes: ${c.notes}` : ''}\nConfirm or cancel it in TrainerHub.`,
    html: String(
      html`<!doctype html><html><body style="font-family:system-ui,sans-serif"><p>${c.clientName} asked for a session on ${whenLong} (${dur} minutes).</p>${c.notes ? html`<p>Notes: ${c.notes}</p>` : ''}<p>Confirm or cancel it in TrainerHub.</p></body></html>`,
    ),
  };
}

/** The SMS of a client message: short, with the manage link. */
function renderSms(c: BookingContext, when: string, dur: number): Rendered {
  const link = c.manageUrl ? ` ${c.manageUrl}` : '';
  const sms = (name: string): string => {
    switch (c.kind) {
      case 'booking_cancelled':
        if (c.cancellationReason === EXPIRED)
          return `Your request to ${name} for ${when} was not confirmed and has lapsed.${link}`;
        return `Session with ${name} ${when} was cancelled.${link}`;
      case 'reminder_24h':
        return `Reminder: session with ${name} ${when} (${dur} min).${link}`;
      case 'reminder_1h':
        return `In 1 hour: session with ${name} ${when} (${dur} min).${link}`;
      case 'booking_rescheduled':
        return `Session with ${name} moved to ${when} (${dur} min), was ${c.previous ? formatLocal(c.previous.start, c.clientTimezone) : 'another time'}.${link}`;
      case 'booking_request_received':
        return `Request sent to ${name} for ${when} (${dur} min). You will hear back soon.${link}`;
      default:
        return `Session with ${name} ${when} (${dur} min).${link ? ` Manage:${link}` : ' Reply to your trainer to change.'}`;
    }
  };
  return { subject: '', text: fitSms(sms, c.businessName), html: '' };
}

function renderForClient(c: BookingContext): Rendered {
  const when = formatLocal(c.startTime, c.clientTimezone);
  const span = formatSpan(c.startTime, c.endTime, c.clientTimezone);
  const dur = minutes(c);
  const notes = c.notes ? [`Notes: ${c.notes}`] : [];
  if (c.channel === 'sms') return renderSms(c, when, dur);
  if (c.kind === 'booking_cancelled' && c.cancellationReason === EXPIRED) {
    return email(c, `Not confirmed: your request for ${when}`, [
      `${c.businessName} did not confirm your request for ${span} in time, so it has lapsed and the time is free again.`,
      'You are welcome to request another time.',
    ]);
  }
  switch (c.kind) {
    case 'booking_cancelled':
      return email(c, `Cancelled: your session on ${when}`, [
        `Your session with ${c.businessName} on ${span} has been cancelled.`,
        ...(c.cancellationReason ? [`Reason: ${c.cancellationReason}`] : []),
      ]);
    case 'reminder_24h': {
      // "tomorrow" only when it is tomorrow where the client is, seen at the moment of sending.
      const day = dayRelation(Date.parse(c.startTime), Date.parse(c.now), c.clientTimezone);
      return email(c, `Reminder: your session ${day ? `${day}, ` : 'on '}${when}`, [
        `This is a reminder of your session with ${c.businessName} ${day ? `${day}, ` : 'on '}${span} (${dur} minutes).`,
        ...notes,
      ]);
    }
    case 'reminder_1h':
      return email(c, `In one hour: your session at ${when}`, [
        `Your session with ${c.businessName} starts at ${span} (${dur} minutes).`,
      ]);
    case 'booking_rescheduled': {
      const before = c.previous ? formatSpan(c.previous.start, c.previous.end, c.clientTimezone) : '';
      return email(c, `Rescheduled: your session is now ${when}`, [
        before
          ? `Your session with ${c.businessName} has moved from ${before} to ${span} (${dur} minutes).`
          : `Your session with ${c.businessName} has moved to ${span} (${dur} minutes).`,
        'The attached calendar file moves the event in your calendar.',
        ...notes,
      ]);
    }
    case 'booking_request_received':
      return email(c, `Booking request received: ${when}`, [
        `${c.businessName} has received your request for ${span} (${dur} minutes) and will confirm it soon.`,
        ...notes,
        ...packLine(c),
      ]);
    default:
      return email(c, `Confirmed: your session on ${when}`, [
        `Your session with ${c.businessName} is confirmed for ${span} (${dur} minutes).`,
        ...notes,
        ...packLine(c),
      ]);
  }
}

export function renderReceipt(args: {
  businessName: string;
  amount: string;
  currency: string;
  transactionId: string;
}): Rendered {
  const line = `We received your TrainerHub subscription payment of ${args.amount} ${args.currency} (transaction ${args.transactionId}). Thank you!`;
  return {
    subject: oneLine(`Receipt: ${args.amount} ${args.currency} for TrainerHub`),
    text: `Hi ${args.businessName},\n\n${line}`,
    html: String(
      html`<!doctype html><html><body style="font-family:system-ui,sans-serif"><p>Hi ${args.businessName},</p><p>${line}</p></body></html>`,
    ),
  };
}
