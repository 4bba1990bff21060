// What a client's email says of a pack: the one paying for a booking, and one refunded.
import { html } from 'hono/html';
import { oneLine } from '../lib/text';
import type { BookingContext, Rendered } from './messages';

const sessionsLeft = (left: number) => `${left} ${left === 1 ? 'session' : 'sessions'} left`;

/** The line of a booking's confirmation or request that names the pack paying for it. */
export function packLine(c: BookingContext): string[] {
  if (!c.pack) return [];
  return [`Paid with your pack “${c.pack.name}”: ${sessionsLeft(Math.max(0, c.pack.left))} after this one.`];
}

/** What a cancel did to the pack paying for the booking: its credit spent (a late cancel) or back. */
export function packAfterCancel(c: BookingContext): string[] {
  if (!c.pack) return [];
  const sessions = sessionsLeft(Math.max(0, c.pack.left));
  return c.creditSpentOnCancel
    ? [`As a late cancellation it used a credit of your pack “${c.pack.name}”: ${sessions}.`]
    : [`The credit of your pack “${c.pack.name}” it held is yours again: ${sessions}.`];
}

/**
 * The client's email when their trainer refunds a pack and so ends it: what is paid back (as the
 * trainer recorded it; TrainerHub moves no money), why, and the credits that end with it.
 */
export function renderRefund(r: {
  clientFirstName: string;
  businessName: string;
  packageName: string;
  /** For people, in the pack's currency ("$120.00", "¥5,000"); null when nothing is paid back. */
  amount: string | null;
  creditsEnded: number;
  /** The trainer's reason, which the client also sees on the pack. */
  reason: string;
}): Rendered {
  const pack = `your pack “${r.packageName}”`;
  const n = r.creditsEnded;
  const lines = [
    r.amount
      ? `${r.businessName} is refunding you ${r.amount} for ${pack}, paid back the way you paid.`
      : `${r.businessName} has ended ${pack}; nothing is paid back.`,
    ...(r.reason ? [`Reason: ${r.reason}`] : []),
    ...(n > 0
      ? [
          `The ${n} unused ${n === 1 ? 'session' : 'sessions'} left on it ${n === 1 ? 'is' : 'are'} no longer available.`,
        ]
      : []),
  ];
  const greeting = `Hi ${r.clientFirstName},`;
  return {
    subject: oneLine(r.amount ? `Refund of ${r.amount}: ${r.packageName}` : `Your pack has ended: ${r.packageName}`),
    text: [greeting, '', ...lines, '', `— ${r.businessName}`].join('\n'),
    html: String(html`<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">
<p>${greeting}</p>${lines.map((l) => html`<p>${l}</p>`)}<p>— ${r.businessName}</p></body></html>`),
  };
}
