// A booking's own actions on its page (status, time, notes: separate forms), and the pages that
// say what a status change or a move will do before anything changes.
import type { Child, PropsWithChildren } from 'hono/jsx';
import type { Transition } from '../../bookings/transitions';
import { localInputOf, offsetOf } from '../../lib/calendar';
import type { FieldErrors } from '../../lib/problem';
import { formatLocal, secondsBetween, toUtcInstant } from '../../lib/time';
import { allowedTransitions, type Consequences, type Message } from '../booking-actions';
import type { Detail } from '../service';
import { Choice, Described, describedBy, YES_NO } from './fields';
import { Csrf, type Frame, Shell } from './layout';

export const ACTION_LABEL: Record<Transition, string> = {
  confirm: 'Confirm booking',
  mark_completed: 'Mark completed',
  mark_no_show: 'Mark as no-show',
  cancel: 'Cancel booking',
};

/** What the booking's panels need: its state, the transitions it allows now, its time in the trainer's zone. */
export interface BookingPanel {
  id: number;
  status: string;
  allowed: Transition[];
  movable: boolean;
  zone: string;
  startLocal: string;
  minutes: number;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

export function bookingPanel(detail: Detail, nowIso: string): BookingPanel {
  const r = detail.record;
  const start = str(r.start_time);
  const status = str(r.status);
  return {
    id: detail.id,
    status,
    allowed: allowedTransitions(status, start, nowIso),
    movable: (status === 'pending' || status === 'confirmed') && r.class_session_id === null,
    zone: detail.timezone,
    startLocal: start ? localInputOf(start, detail.timezone) : '',
    minutes: start ? secondsBetween(start, str(r.end_time)) / 60 : 0,
  };
}

const base = (id: number) => `/admin/bookings/${id}`;

const StatusPanel = (props: { b: BookingPanel; csrf: string; values: Record<string, string>; errors: FieldErrors }) => {
  const { b, csrf, values, errors } = props;
  const others = b.allowed.filter((t) => t !== 'cancel');
  const error = errors.cancellation_reason;
  return (
    <section class="panel" aria-labelledby="status-h">
      <h2 id="status-h">Status: {b.status}</h2>
      {b.allowed.length === 0 && <p class="hint">A {b.status} booking allows no status change.</p>}
      {b.status === 'confirmed' && !b.allowed.includes('mark_completed') && (
        <p class="hint">It can be marked completed or as a no-show once it has started.</p>
      )}
      <div class="actions">
        {others.map((t) => (
          <form method="post" action={`${base(b.id)}/status`}>
            <Csrf token={csrf} />
            <input type="hidden" name="transition" value={t} />
            <button type="submit">{ACTION_LABEL[t]}…</button>
          </form>
        ))}
      </div>
      {b.allowed.includes('cancel') && (
        <form method="post" action={`${base(b.id)}/status`} class="edit" novalidate>
          <Csrf token={csrf} />
          <input type="hidden" name="transition" value="cancel" />
          <Described
            id="f-cancellation_reason"
            label="Reason for cancelling"
            help="The client is told it."
            error={error}
          >
            <textarea
              id="f-cancellation_reason"
              name="cancellation_reason"
              rows={2}
              required
              aria-invalid={error ? 'true' : undefined}
              aria-describedby={describedBy('f-cancellation_reason', 'help', error)}
            >
              {values.cancellation_reason ?? ''}
            </textarea>
          </Described>
          <button type="submit" class="danger">
            Cancel booking…
          </button>
        </form>
      )}
    </section>
  );
};

const TimePanel = (props: { b: BookingPanel; csrf: string; values: Record<string, string>; errors: FieldErrors }) => {
  const { b, csrf, values, errors } = props;
  const error = errors.start_local;
  // Set by the server's own reading of an ambiguous time; checked as instants all the same.
  const ambiguous = toUtcInstant(values.ambiguous_earlier ?? '') && toUtcInstant(values.ambiguous_later ?? '');
  return (
    <section class="panel" aria-labelledby="time-h">
      <h2 id="time-h">Time</h2>
      <form method="post" action={`${base(b.id)}/time`} class="edit" novalidate>
        <Csrf token={csrf} />
        <Described
          id="f-start_local"
          label={`New start (${b.zone})`}
          help={`Wall-clock time in ${b.zone}, the trainer's zone; the session keeps its length (${b.minutes} min).`}
          error={error}
        >
          <input
            id="f-start_local"
            name="start_local"
            type="datetime-local"
            step={60}
            required
            value={values.start_local ?? b.startLocal}
            aria-invalid={error ? 'true' : undefined}
            aria-describedby={describedBy('f-start_local', 'help', error)}
          />{' '}
          <span class="zone">{b.zone}</span>
        </Described>
        {ambiguous && (
          <Described id="f-start_fold" label="Which showing of that time">
            <Choice
              id="f-start_fold"
              name="start_fold"
              value={values.start_fold ?? ''}
              options={[
                [
                  'earlier',
                  `The first (${offsetOf(values.ambiguous_earlier ?? '', b.zone)}, before the clocks go back)`,
                ],
                ['later', `The second (${offsetOf(values.ambiguous_later ?? '', b.zone)}, after the clocks go back)`],
              ]}
            />
          </Described>
        )}
        <Described id="f-allow_outside_availability" label="Allow outside the trainer's hours">
          <Choice
            id="f-allow_outside_availability"
            name="allow_outside_availability"
            value={values.allow_outside_availability ?? 'false'}
            options={YES_NO}
          />
        </Described>
        <button type="submit">Review the move…</button>
      </form>
    </section>
  );
};

const NotesPanel = (props: { b: BookingPanel; csrf: string; values: Record<string, string>; errors: FieldErrors }) => {
  const error = props.errors.notes;
  return (
    <section class="panel" aria-labelledby="notes-h">
      <h2 id="notes-h">Notes</h2>
      <form method="post" action={`${base(props.b.id)}/notes`} class="edit" novalidate>
        <Csrf token={props.csrf} />
        <Described id="f-notes" label="Notes" help="Only staff and the trainer see them." error={error}>
          <textarea
            id="f-notes"
            name="notes"
            rows={4}
            aria-invalid={error ? 'true' : undefined}
            aria-describedby={describedBy('f-notes', 'help', error)}
          >
            {props.values.notes ?? ''}
          </textarea>
        </Described>
        <button type="submit">Save notes</button>
      </form>
    </section>
  );
};

/** Status, time and notes of a booking: three forms, each its own action. */
export const BookingPanels = (props: {
  b: BookingPanel;
  csrf: string;
  values: Record<string, string>;
  errors: FieldErrors;
}) => (
  <>
    <StatusPanel {...props} />
    {props.b.movable && <TimePanel {...props} />}
    <NotesPanel {...props} />
  </>
);

// ---- confirmation pages ----------------------------------------------------------------

const Messages = ({ messages, what }: { messages: Message[]; what: string }) =>
  messages.length === 0 ? (
    <li>No message is sent to the client.</li>
  ) : (
    messages.map((m) => (
      <li>
        {m.channel === 'email' ? 'An email' : 'An SMS'} {what} to {m.who}: {m.to}
        {m.channel === 'SMS' && ' (within the trainer’s daily SMS limit)'}.
      </li>
    ))
  );

function creditLine(c: Consequences): string {
  if (!c.credit)
    return c.status === 'waitlisted' ? 'A waitlist entry holds no credit.' : 'No pack pays for it: no credit changes.';
  const { pack, remaining, effect } = c.credit;
  if (effect === 'kept') return `The credit of the pack “${pack}” stays reserved for it (${remaining} left).`;
  if (effect === 'released')
    return `The credit reserved on the pack “${pack}” is returned: none is used (${remaining} left).`;
  const why = c.action === 'cancel' ? 'forfeited (late cancellation)' : 'used';
  return `One credit of the pack “${pack}” is ${why}: ${remaining} left, then ${remaining - 1}.`;
}

/** Who a cancel moves up from the class's waitlist, or why no one. */
const WaitlistLines = ({ w }: { w: NonNullable<Consequences['waitlist']> }) =>
  w.promoted.length === 0 ? (
    <li>
      No one on the class’s waitlist gets a place: the class stays full (places taken: {w.taken} of {w.capacity}).
    </li>
  ) : (
    w.promoted.map((p, i) => (
      <li>
        {w.promoted.length === 1 ? 'The freed place goes to' : 'A free place goes to'} {p.name},{' '}
        {i === 0 ? 'first' : 'next'} on the class’s waitlist (
        {w.confirmed ? 'confirmed' : 'pending the trainer’s confirmation'}), who is told:{' '}
        {p.messages.map((m) => `${m.channel} to ${m.to}`).join(', ')}.
      </li>
    ))
  );

function lateLine(c: Consequences): string {
  if (c.status === 'waitlisted') return 'A waitlist entry: never a late cancellation.';
  return c.late
    ? `This is a late cancellation: it starts within the trainer’s late-cancellation window of ${c.lateCancelHours} h.`
    : `Not a late cancellation: it starts more than ${c.lateCancelHours} h from now (the trainer’s window).`;
}

/** A confirmation page: what will happen, and the form (hidden `fields`) that makes it happen. */
const Confirm = (
  props: PropsWithChildren<{
    frame: Frame;
    id: number;
    title: string;
    alert?: string;
    items: Child;
    to: 'status' | 'time';
    fields: Record<string, string>;
    yes: string;
    danger?: boolean;
  }>,
) => (
  <Shell title={props.title} frame={props.frame} active="bookings">
    <p>
      <a href={`${base(props.id)}/`}>← Booking #{props.id}</a>
    </p>
    <h1>{props.title}</h1>
    {props.alert && (
      <p class="alert" role="alert">
        {props.alert}
      </p>
    )}
    {props.children}
    <h2>What happens</h2>
    <ul class="consequences">{props.items}</ul>
    <form method="post" action={`${base(props.id)}/${props.to}`} class="actions">
      <Csrf token={props.frame.csrf} />
      {Object.entries({ ...props.fields, confirm: 'yes' }).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button type="submit" class={props.danger ? 'danger' : undefined}>
        {props.yes}
      </button>
      <a class="button" href={`${base(props.id)}/`}>
        No, go back
      </a>
    </form>
  </Shell>
);

/** What a status change will do, and the form that does it. */
export const StatusConfirmPage = (props: {
  frame: Frame;
  id: number;
  c: Consequences;
  when: string;
  reason: string;
  facts: string;
  alert?: string;
}) => {
  const { c } = props;
  const cancel = c.action === 'cancel';
  const items = (
    <>
      {cancel && <li>{lateLine(c)}</li>}
      <li>{creditLine(c)}</li>
      <Messages messages={c.messages} what={cancel ? 'saying it is cancelled' : 'confirming it'} />
      {c.messages.length > 0 && <li>The trainer gets no message.</li>}
      {c.remindersCancelled && <li>Its unsent reminders are cancelled.</li>}
      {c.waitlist && <WaitlistLines w={c.waitlist} />}
      {cancel && <li>Reason given: “{props.reason}”.</li>}
    </>
  );
  const fields = { transition: c.action, cancellation_reason: props.reason, facts: props.facts };
  const label = ACTION_LABEL[c.action];
  return (
    <Confirm
      {...props}
      title={`${label} #${props.id}?`}
      items={items}
      to="status"
      fields={fields}
      danger={cancel}
      yes={`Yes, ${label.toLowerCase()}`}
    >
      <p>
        {props.when}, now {c.status}. Nothing has changed yet.
      </p>
    </Confirm>
  );
};

/** Old and new time in the trainer's zone, what the client is told, and the form that moves it. */
export const MoveConfirmPage = (props: {
  frame: Frame;
  id: number;
  zone: string;
  from: { start: string; end: string };
  to: { start: string; end: string };
  allowOutside: boolean;
  messages: Message[];
}) => {
  const { zone, from, to } = props;
  const span = (s: { start: string; end: string }) =>
    `${formatLocal(s.start, zone, true)} – ${formatLocal(s.end, zone)} (${offsetOf(s.start, zone)})`;
  const items = (
    <>
      <li>
        The trainer’s schedule is checked when you confirm: a time taken by another booking or a break
        {props.allowOutside ? '' : ', or outside the trainer’s hours,'} is refused and nothing changes.
      </li>
      {from.start === to.start ? (
        <li>The start stays the same: no message is sent.</li>
      ) : (
        <Messages messages={props.messages} what="with the new time" />
      )}
      <li>Reminders planned for the old time are cancelled; the trainer gets no message.</li>
    </>
  );
  const fields = { start_time: to.start, allow_outside_availability: String(props.allowOutside) };
  return (
    <Confirm {...props} title={`Move booking #${props.id}?`} items={items} to="time" fields={fields} yes="Yes, move it">
      <p>Times in {zone}, the trainer’s zone. Nothing has changed yet.</p>
      <dl class="record">
        <dt>Now</dt>
        <dd>{span(from)}</dd>
        <dt>New</dt>
        <dd>
          <strong>{span(to)}</strong>
        </dd>
        <dt>In UTC</dt>
        <dd>{to.start}</dd>
      </dl>
    </Confirm>
  );
};
