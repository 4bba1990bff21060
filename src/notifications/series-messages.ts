// The one message of a standing series' confirm or cancel, listing its occurrences. Pure.
import { html } from 'hono/html';
import { oneLine } from '../lib/text';
import { formatLocal } from '../lib/time';
import { fitSms, SMS_TWO_PARTS } from './gsm7';
import { placeLine } from './location';
import { type BookingContext, placeHtml, type Rendered } from './messages';

/** An occurrence the message lists: its instants (ISO). */
export interface ListedOccurrence {
  start: string;
  end: string;
}

/**
 * series_confirmed / series_cancelled, in the client's zone: the email lists every occurrence
 * (one line each, with the year), the SMS says how many and the first and last. No manage link
 * and no calendar file: each occurrence has its own, sent with its own messages.
 */
export function renderSeries(c: BookingContext, listed: ListedOccurrence[]): Rendered {
  const confirmed = c.kind === 'series_confirmed';
  const dates = listed.map((o) => formatLocal(o.start, c.clientTimezone, true));
  const first = dates[0] ?? '';
  const last = dates[dates.length - 1] ?? '';
  const n = dates.length;
  const sessions = `${n} session${n === 1 ? '' : 's'}`;
  const svc = oneLine(c.serviceName);
  if (c.channel === 'sms') {
    const span = n > 1 ? `${first} to ${last}` : first;
    const sms = (name: string) =>
      confirmed ? `${sessions} with ${name} confirmed: ${span}.` : `${sessions} with ${name} cancelled: ${span}.`;
    return { subject: '', text: fitSms(sms, c.businessName, SMS_TWO_PARTS), html: '' };
  }
  const minutes = listed[0] ? Math.round((Date.parse(listed[0].end) - Date.parse(listed[0].start)) / 60_000) : 0;
  const one = n === 1;
  const lead = confirmed
    ? `Your ${sessions} of ${svc} with ${c.businessName} (${minutes} minutes${one ? '' : ' each'}) ${one ? 'is' : 'are'} confirmed:`
    : `${one ? 'This' : 'These'} ${sessions} of ${svc} with ${c.businessName} ${one ? 'has' : 'have'} been cancelled:`;
  const reason = !confirmed && c.cancellationReason ? `Reason: ${c.cancellationReason}` : '';
  const place = confirmed ? c.place : null;
  const greeting = `Hi ${c.clientFirstName || c.clientName},`;
  const subject = confirmed ? `Confirmed: ${sessions} of ${svc} from ${first}` : `Cancelled: ${sessions} of ${svc}`;
  const text = [
    greeting,
    '',
    lead,
    ...dates.map((d) => `- ${d}`),
    ...(place ? ['', placeLine(place)] : []),
    ...(reason ? ['', reason] : []),
    '',
    `— ${c.businessName}`,
  ].join('\n');
  const body = html`<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">
<p>${greeting}</p><p>${lead}</p><ul>${dates.map((d) => html`<li>${d}</li>`)}</ul>${place ? placeHtml(place) : ''}${reason ? html`<p>${reason}</p>` : ''}<p>— ${c.businessName}</p></body></html>`;
  return { subject: oneLine(subject), text, html: String(body) };
}
