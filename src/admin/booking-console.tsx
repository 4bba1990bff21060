// The console's booking actions: a status change, a move and the notes, each its own form. A
// status change and a move first answer a page saying what they will do (nothing changes yet);
// the form on that page makes the change through booking-actions.ts.
import type { Child } from 'hono/jsx';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { instantField } from '../bookings/schemas';
import { TARGET_STATUS, type Transition } from '../bookings/transitions';
import { instantOfLocal } from '../lib/calendar';
import { ApiError, type FieldErrors, zodFieldErrors } from '../lib/problem';
import { addSeconds, formatLocal, secondsBetween, toUtcInstant } from '../lib/time';
import {
  allowedTransitions,
  changeStatus,
  consequencesOf,
  factsKey,
  moveBooking,
  moveMessages,
  refuseUnless,
} from './booking-actions';
import type { C } from './console-kit';
import { adminDeps } from './deps';
import { MODELS, type ModelDef } from './models';
import { MoveConfirmPage, StatusConfirmPage } from './pages/booking';
import { cancelForm, notesForm } from './schemas';
import { type Deps, getRecord, patchRecord, type Staff } from './service';

/** What the console lends these handlers: its page rendering and its form reading. */
export interface ConsoleKit {
  render: (c: C, node: Child, status?: ContentfulStatusCode) => Response | Promise<Response>;
  detailPage: (
    c: C,
    def: ModelDef,
    id: number,
    opts: { status?: ContentfulStatusCode; errors?: FieldErrors; alert?: string; submitted?: Record<string, string> },
  ) => Promise<Response>;
  notFound: (c: C) => Response | Promise<Response>;
  formOf: (c: C) => Promise<Record<string, string>>;
}

const def = MODELS.bookings;
const TRANSITIONS = Object.keys(TARGET_STATUS) as Transition[];
const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** The fields of the booking's forms a refused form shows again: never anything else it sent. */
const ECHOED = ['cancellation_reason', 'start_local', 'start_fold', 'allow_outside_availability', 'notes'];
const echoOf = (form: Record<string, string>): Record<string, string> =>
  Object.fromEntries(ECHOED.flatMap((name) => (typeof form[name] === 'string' ? [[name, form[name]]] : [])));

const staffOf = (c: C): Staff => ({ id: c.get('staff').id, email: c.get('staff').email });
const saved = (c: C, id: number) => c.redirect(`/admin/bookings/${id}/?saved=1`, 303);

/** The console's booking routes, over its page rendering. */
export const bookingActions = (kit: ConsoleKit) => ({
  status: (c: C) => status(kit, c),
  time: (c: C) => time(kit, c),
  notes: (c: C) => notes(kit, c),
});

/** The booking and its zone, then `run`; a refusal re-renders the booking's page with it. */
async function withBooking(
  kit: ConsoleKit,
  c: C,
  run: (ctx: {
    deps: Deps;
    id: number;
    detail: Awaited<ReturnType<typeof getRecord>>;
    form: Record<string, string>;
  }) => Promise<Response>,
) {
  const raw = c.req.param('id') ?? '';
  if (!/^\d{1,15}$/.test(raw)) return kit.notFound(c);
  const id = Number(raw);
  const form = await kit.formOf(c);
  const deps = adminDeps(c);
  try {
    const detail = await getRecord(deps.db, def, id, deps.now);
    return await run({ deps, id, detail, form });
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 404) return kit.notFound(c);
    const errors = err.extra.errors;
    return kit.detailPage(c, def, id, {
      status: err.status,
      errors,
      alert: errors ? 'Please correct the fields below.' : err.detail,
      submitted: echoOf(form),
    });
  }
}

/** confirm, cancel (with a reason), complete, no-show: only what the booking allows now. */
const status = (kit: ConsoleKit, c: C) =>
  withBooking(kit, c, async ({ deps, id, detail, form }) => {
    const action = TRANSITIONS.find((t) => t === form.transition);
    const current = detail.record;
    if (!action) return kit.detailPage(c, def, id, { status: 400, alert: 'Choose a status change.' });
    const start = str(current.start_time);
    refuseUnless(allowedTransitions(str(current.status), start, deps.now), action, str(current.status), start);
    let reason = '';
    if (action === 'cancel') {
      const parsed = cancelForm.safeParse({ cancellation_reason: form.cancellation_reason ?? '' });
      if (!parsed.success) {
        return kit.detailPage(c, def, id, {
          status: 400,
          errors: zodFieldErrors(parsed.error),
          alert: 'Please correct the fields below.',
          submitted: echoOf(form),
        });
      }
      reason = parsed.data.cancellation_reason;
    }
    const consequences = await consequencesOf(deps, id, action);
    const facts = factsKey(consequences);
    if (form.confirm === 'yes' && form.facts === facts) {
      await changeStatus(deps, staffOf(c), current, action, reason);
      return saved(c, id);
    }
    const stale = form.confirm === 'yes';
    const page = (
      <StatusConfirmPage
        frame={c.get('frame')}
        id={id}
        c={consequences}
        when={`Booking #${id} on ${formatLocal(str(current.start_time), detail.timezone, true)} (${detail.timezone})`}
        reason={reason}
        facts={facts}
        alert={stale ? 'What this change does has changed since that page was shown; review it again.' : undefined}
      />
    );
    return kit.render(c, page, stale ? 409 : 200);
  });

/** A new start typed in the trainer's zone; the move itself after its confirmation page. */
const time = (kit: ConsoleKit, c: C) =>
  withBooking(kit, c, async ({ deps, id, detail, form }) => {
    const current = detail.record;
    const allowOutsideAvailability = form.allow_outside_availability === 'true';
    if (form.confirm === 'yes') {
      const start = instantField.safeParse(form.start_time ?? '');
      if (!start.success) return kit.detailPage(c, def, id, { status: 400, alert: 'Enter the new start again.' });
      // Sent again (a double click) once moved: nothing more to do, nothing more written.
      if (start.data === current.start_time) return saved(c, id);
      await moveBooking(deps, staffOf(c), current, { start: start.data, end: null, allowOutsideAvailability });
      return saved(c, id);
    }
    const zone = detail.timezone;
    const fold = form.start_fold === 'earlier' || form.start_fold === 'later' ? form.start_fold : undefined;
    const from = { start: str(current.start_time), end: str(current.end_time) };
    const reading = readMove(form.start_local ?? '', zone, fold, secondsBetween(from.start, from.end));
    if (reading.kind !== 'ok') {
      // The two showings of an ambiguous time come from this reading only, never from the form.
      const submitted = echoOf(form);
      if (reading.kind === 'ambiguous') {
        submitted.ambiguous_earlier = reading.earlier;
        submitted.ambiguous_later = reading.later;
      }
      return kit.detailPage(c, def, id, {
        status: 400,
        errors: { start_local: [timeError(reading.kind, form.start_local ?? '', zone)] },
        alert: 'Please correct the fields below.',
        submitted,
      });
    }
    const page = (
      <MoveConfirmPage
        frame={c.get('frame')}
        id={id}
        zone={zone}
        from={from}
        to={reading.to}
        allowOutside={allowOutsideAvailability}
        messages={await moveMessages(deps, id)}
      />
    );
    return kit.render(c, page);
  });

/** Notes alone: no message, no confirmation; the audit row in the update's batch. */
const notes = (kit: ConsoleKit, c: C) =>
  withBooking(kit, c, async ({ deps, id, form }) => {
    const moved = ['status', 'start_time', 'end_time', 'cancellation_reason'].filter((f) => f in form);
    if (moved.length) {
      throw new ApiError(409, 'Status and time have their own forms on this page, each with its confirmation.', {
        code: 'invalid_transition',
      });
    }
    // A form without the field is refused: it must never erase the notes (an empty field clears them).
    const parsed = notesForm.safeParse({ notes: form.notes });
    if (!parsed.success) {
      const errors: FieldErrors =
        form.notes === undefined
          ? { notes: ['The form sent no notes field; nothing was changed.'] }
          : zodFieldErrors(parsed.error);
      return kit.detailPage(c, def, id, {
        status: 400,
        errors,
        alert: 'Please correct the fields below.',
        submitted: echoOf(form),
      });
    }
    await patchRecord(deps, staffOf(c), def, id, parsed.data);
    return saved(c, id);
  });

/** The start typed in the trainer's zone, and the session it makes (the booking's length kept). */
function readMove(text: string, zone: string, fold: 'earlier' | 'later' | undefined, seconds: number) {
  const read = instantOfLocal(text, zone, fold);
  if (read.kind !== 'ok') return read;
  const to = { start: read.iso, end: addSeconds(read.iso, seconds) };
  // Beyond the years 0000-9999 in UTC an instant no longer sorts as text (and its confirmation refuses
  // such a start): refused here, at the first step, naming the field.
  return toUtcInstant(to.start) && toUtcInstant(to.end) ? { kind: 'ok' as const, to } : { kind: 'range' as const };
}

/** Why a typed start is not one instant, said plainly. */
function timeError(kind: 'invalid' | 'gap' | 'ambiguous' | 'range', text: string, zone: string): string {
  const at = text.replace('T', ' ');
  if (kind === 'range') {
    return `${at} in ${zone} would put the session outside the dates a booking can have (the years 0000 to 9999 in UTC).`;
  }
  if (kind === 'gap') {
    return `${at} does not exist in ${zone}: the clocks skip that hour when summer time starts. Choose a time outside it.`;
  }
  if (kind === 'ambiguous') {
    return `${at} happens twice in ${zone}: the clocks go back that night. Choose which below.`;
  }
  return 'Enter the new start as a date and time.';
}
