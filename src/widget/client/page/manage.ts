// The manage page (/book/manage/{token}): one booking, its calendar file, moving it to another
// offered time (the booking page's picker) and cancelling it, with what that means said first.
import { cancelNote, cancelWords, messages, retryText, statusText, wherePieces } from '../text';
import { clockTime, dateKey, format, type Slot, shiftDate, validZone, visitorZone, when, zoneName } from '../time';
import { $, api, focusOn, post, problemOf, setFieldError, show, showAlert } from './dom';
import { el, load, renderDays, renderTimes, type State, setupZones, wireDayNav } from './picker';

interface Booking extends Slot {
  status: string;
  timezone?: string;
  client_timezone?: string;
  business_name?: string;
  slug?: string;
  can_cancel?: boolean;
  can_reschedule?: boolean;
  late_cancellation_if_cancelled_now?: boolean;
  credit_used_if_cancelled_now?: boolean;
  package?: { name: string; sessions_remaining: number } | null;
  service?: { id: number; name: string; duration_minutes: number; location_type: string } | null;
  /** A waitlisted place's position (1 = next to get a place). */
  waitlist_position?: number | null;
  location?: string;
  video_url?: string | null;
  late_cancellation_from?: string;
  reschedule_until?: string | null;
  calendar_feed_url?: string | null;
  calendar_feed_webcal_url?: string | null;
}

interface Page {
  base: string;
  zone: string;
  booking: Booking | null;
  picker: State | null;
  sending: boolean;
}

const at = (iso: string, zone: string) =>
  `${format('dayLong', zone, new Date(iso))}, ${clockTime(zone, new Date(iso))}`;

/** Where and how: the text the messages use, the video link clickable. */
function renderWhere(b: Booking) {
  const where = $('b-where');
  const { text, link } = wherePieces(b.location, b.video_url);
  where.textContent = text;
  if (link) {
    const a = document.createElement('a');
    a.href = link;
    a.rel = 'noopener';
    a.target = '_blank';
    a.textContent = link;
    where.append(a);
  }
  show($('b-where-h'), !!(text || link));
  show(where, !!(text || link));
}

function render(p: Page, b: Booking) {
  p.booking = b;
  const zone = p.zone;
  $('business').textContent = b.business_name ? `Your booking with ${b.business_name}` : 'Your booking';
  $('b-service').textContent = b.service?.name || 'Session';
  $('b-when').textContent = when(b, zone);
  renderWhere(b);
  $('b-tz').textContent =
    zoneName(zone) + (b.timezone && b.timezone !== zone ? ` (the trainer's is ${zoneName(b.timezone)})` : '');
  const waitlisted = b.status === 'waitlisted';
  const position = waitlisted && b.waitlist_position ? ` (position ${b.waitlist_position})` : '';
  $('b-status').textContent = statusText(b.status) + position;
  $('b-business').textContent = b.business_name || '';
  const ics = $<HTMLAnchorElement>('b-ics');
  ics.href = `${p.base}ics`;
  // A waitlisted place holds no time yet: nothing to put in a calendar (as on the booking page).
  show(ics.parentNode as HTMLElement, b.status !== 'cancelled' && !waitlisted);
  if (b.calendar_feed_url && b.calendar_feed_webcal_url) {
    $<HTMLAnchorElement>('b-feed-webcal').href = b.calendar_feed_webcal_url;
    $<HTMLAnchorElement>('b-feed-https').href = b.calendar_feed_url;
  }
  show($('b-feed'), !!b.calendar_feed_url);
  const canCancel = b.can_cancel ?? false;
  const canMove = b.can_reschedule ?? false;
  show($('reschedule-open'), canMove);
  show($('cancel-open'), canCancel);
  renderCancelWords(b.status);
  $('b-policy').textContent =
    canCancel && waitlisted
      ? 'You will get an email if a place opens up.'
      : canCancel && b.reschedule_until && canMove
        ? `You can reschedule online until ${at(b.reschedule_until, zone)}.`
        : canCancel && !canMove
          ? 'Online rescheduling is not available for this booking; please contact your trainer to change it.'
          : '';
  $('cancel-note').textContent = cancelNote({
    ...b,
    lateFrom: b.late_cancellation_from ? at(b.late_cancellation_from, zone) : '',
  });
  if (!canCancel) show($('cancel'), false);
  if (!canMove) show($('reschedule'), false);
  const cancelled = b.status === 'cancelled';
  show($('cancelled'), cancelled);
  if (b.slug) $<HTMLAnchorElement>('book-again').href = `/book/${encodeURIComponent(b.slug)}`;
  show($('booking'), true);
}

/** Cancelling a booking, or leaving the waitlist for a waitlisted place. */
function renderCancelWords(status: string) {
  const words = cancelWords(status);
  $('cancel-open').textContent = words.open;
  $('cancel-h').textContent = words.heading;
  $('cancel-submit').textContent = words.submit;
  $('cancel-keep').textContent = words.keep;
}

/** Reads the booking again and shows it as it is now (another tab, the trainer or the clock changed it). */
async function refresh(p: Page): Promise<void> {
  const res = await api('GET', p.base);
  if (res.status === 200 && res.data) render(p, res.data as Booking);
}

/** Refusals of a cancel that has come to cost more than the note said: the page shows the new note. */
const COSTS_MORE = ['late_cancellation', 'credit_would_be_used'];

async function cancelBooking(p: Page) {
  setFieldError('reason', '');
  showAlert('');
  const reason = $<HTMLTextAreaElement>('f-reason').value.trim();
  const button = $<HTMLButtonElement>('cancel-submit');
  const b = p.booking;
  const words = cancelWords(b?.status);
  button.disabled = true;
  button.textContent = 'Cancelling…';
  // What the note said it costs: the API refuses a cancel that has come to cost more since.
  const terms = { late_ok: !!b?.late_cancellation_if_cancelled_now, credit_ok: !!b?.credit_used_if_cancelled_now };
  const res = await api('POST', `${p.base}cancel/`, reason ? { reason, ...terms } : terms);
  button.disabled = false;
  button.textContent = words.submit;
  if (res.status === 200 && res.data) {
    const done = res.data as Booking & { late_cancellation?: boolean };
    render(p, done);
    $('status').textContent = done.late_cancellation ? `${words.done} It counts as a late cancellation.` : words.done;
    focusOn($('business'));
    return;
  }
  const problem = problemOf(res.data);
  if (res.status === 400 && problem.errors?.reason) {
    setFieldError('reason', messages(problem.errors.reason));
    $('f-reason').focus();
  } else if (res.status === 409) {
    await refresh(p);
    showAlert(
      COSTS_MORE.includes(problem.code ?? '')
        ? 'Your booking changed since this page was opened, and cancelling now costs more: see the note below. Confirm again to cancel.'
        : problem.detail || 'This booking can no longer be cancelled.',
    );
  } else if (res.status === 429) showAlert(retryText(res.headers.get('Retry-After')));
  else showAlert(problem.detail || 'The booking could not be cancelled. Please try again.');
}

/** Opens the picker on the trainer's free times (loaded once, fresh). */
async function openReschedule(p: Page) {
  const b = p.booking;
  if (!b?.slug) return;
  show($('cancel'), false);
  show($('reschedule'), true);
  show($('move'), false);
  moveAlert('');
  if (!p.picker) {
    const trainerZone = b.timezone || 'UTC';
    const s: State = {
      // This booking's own times: its length and buffers as booked, its own time free.
      base: p.base,
      zone: p.zone,
      apiDays: [],
      days: [],
      selectedDay: null,
      selected: null,
      sending: false,
    };
    // The two weeks around the booking's own date (in the trainer's calendar), never before today.
    const today = dateKey(new Date().toISOString(), trainerZone);
    const near = shiftDate(dateKey(b.start_time, trainerZone), -3);
    s.earliest = today;
    s.from = today;
    if (near > today) s.from = near;
    p.picker = s;
    $('tz-trainer').textContent = trainerZone;
    setupZones(s, visitorZone(), trainerZone, () => renderDays(s, (slot) => choose(p, slot)));
    wireDayNav(s, (slot) => choose(p, slot));
  }
  const s = p.picker;
  s.selected = null;
  el.status().textContent = 'Loading available times…';
  const ok = await load(s, true, (slot) => choose(p, slot));
  show(el.pick(), ok);
  if (ok) return el.timesHeading().focus();
  // Why there are no times goes beside them, read out and in view, not at the top of the page.
  const why = $('alert').textContent || 'Available times could not be loaded. Please try again later.';
  showAlert('');
  // The booking may have changed since the page opened (cancelled in another tab): show it as it is,
  // its reason beside the times still.
  await refresh(p);
  show($('reschedule'), true);
  moveAlert(why);
}

/** Why a move failed, shown beside the times; focused (so it is read out and in view) when there is one. */
function moveAlert(text: string) {
  const box = $('move-alert');
  box.textContent = text;
  show(box, !!text);
  if (text) focusOn(box);
}

function choose(p: Page, slot: Slot) {
  const s = p.picker;
  if (!s) return;
  s.selected = { start_time: slot.start_time, end_time: slot.end_time };
  showAlert('');
  moveAlert('');
  $('chosen').textContent = when(s.selected, s.zone);
  renderTimes(s, (next) => choose(p, next));
  show($('move'), true);
  $('reschedule-submit').focus();
}

/** Refusals of a move that are about the booking, not the time chosen. */
const NOT_MOVABLE = ['invalid_transition', 'reschedule_not_allowed', 'class_place', 'package_expired'];

async function submitReschedule(p: Page) {
  const s = p.picker;
  if (!s?.selected || s.sending) return;
  showAlert('');
  moveAlert('');
  const button = $<HTMLButtonElement>('reschedule-submit');
  s.sending = true;
  button.disabled = true;
  button.textContent = 'Moving…';
  const res = await api('POST', `${p.base}reschedule/`, { start_time: s.selected.start_time });
  s.sending = false;
  button.disabled = false;
  button.textContent = 'Move my booking to this time';
  const problem = problemOf(res.data);
  if (res.status === 200 && res.data) {
    // The zone the client chose the new time in is the one the page goes on showing (as the booking page does).
    p.zone = s.zone;
    render(p, res.data as Booking);
    show($('reschedule'), false);
    $('status').textContent = `Your booking is moved to ${when(res.data as Booking, p.zone)} (${zoneName(p.zone)}).`;
    focusOn($('status'));
    return;
  }
  // The booking itself can no longer move (cancelled in another tab, the cut-off passed…): show it as it is.
  if (res.status === 409 && NOT_MOVABLE.includes(problem.code ?? '')) {
    await refresh(p);
    show($('reschedule'), false);
    showAlert(problem.detail || 'This booking can no longer be moved online.');
    return;
  }
  if (res.status === 409) {
    s.selected = null;
    show($('move'), false);
    await load(s, true, (slot) => choose(p, slot));
    moveAlert('This time was just taken. Please choose another time.');
    return;
  }
  if (res.status === 429) moveAlert(retryText(res.headers.get('Retry-After')));
  else moveAlert(problem.detail || 'The booking could not be moved. Please try again.');
}

function wire(p: Page) {
  $('cancel').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (p.sending) return;
    p.sending = true;
    await cancelBooking(p);
    p.sending = false;
  });
  $('cancel-open').addEventListener('click', () => {
    show($('reschedule'), false);
    show($('cancel'), true);
    $('cancel-h').setAttribute('tabindex', '-1');
    $('cancel-h').focus();
  });
  $('cancel-keep').addEventListener('click', () => {
    show($('cancel'), false);
    $('cancel-open').focus();
  });
  $('reschedule-open').addEventListener('click', () => openReschedule(p));
  $('reschedule-close').addEventListener('click', () => {
    show($('reschedule'), false);
    $('reschedule-open').focus();
  });
  $('change').addEventListener('click', () => {
    show($('move'), false);
    el.timesHeading().focus();
  });
  $('reschedule-submit').addEventListener('click', () => submitReschedule(p));
}

export async function managePage(app: HTMLElement): Promise<void> {
  const token = app.dataset.token || '';
  const visitor = visitorZone();
  const p: Page = {
    base: `/api/public/bookings/${encodeURIComponent(token)}/`,
    zone: validZone(visitor) ? visitor : 'UTC',
    booking: null,
    picker: null,
    sending: false,
  };
  wire(p);
  const res = await api('GET', p.base);
  $('status').textContent = '';
  if (res.status === 200 && res.data) {
    // Times in the zone the client booked in, the one their messages and calendar file use.
    const zone = (res.data as Booking).client_timezone;
    if (zone && validZone(zone)) p.zone = zone;
    render(p, res.data as Booking);
  } else if (res.status === 404)
    showAlert('This booking link is not valid. Check the link in your confirmation email.');
  else if (res.status === 429) showAlert(retryText(res.headers.get('Retry-After')));
  else showAlert('Your booking could not be loaded. Please try again later.');
  post('ready', {});
}
