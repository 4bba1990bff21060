// What a client's email says of the pack paying for the booking.
import type { BookingContext } from './messages';

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
