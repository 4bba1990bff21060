// The booking page (/book/{slug}): free times by day in the zone the visitor picks, the details
// form, and the confirmation. It talks only to this origin's public API.

import { brandPalette } from '../colour';
import {
  bookedText,
  checkBookingFields,
  classAction,
  idempotencyKeys,
  manageHref,
  manageToken,
  messages,
  retryText,
} from '../text';
import { type ClassSession, type Slot, validZone, visitorZone, when } from '../time';
import { $, api, post, problemOf, setFieldError, show, showAlert } from './dom';
import { el, errorCode, load, renderDays, renderTimes, type State, setupZones, wireDayNav } from './picker';
import { roving } from './roving';

const FIELDS = ['first_name', 'last_name', 'email', 'phone', 'notes'];
/** The booking's Idempotency-Key: the same for a resend of the same booking (an answer lost), new for another. */
const keyFor = idempotencyKeys();

interface Booked extends Slot {
  status: string;
  business_name?: string;
  manage_url?: string;
  /** A waitlisted place's position (1 = next to get a place). */
  waitlist_position?: number;
}

/** The trainer's colour as the page's CSS custom properties (CSSOM, which the CSP allows; no inline style). */
function applyBrand(hex: string | undefined) {
  const palette = hex ? brandPalette(hex) : null;
  if (!palette) return;
  const root = document.documentElement.style;
  for (const [name, value] of Object.entries(palette)) root.setProperty(name, value);
}

/** A photo that cannot load (gone, not an image) leaves no broken-image box. */
function hideBrokenPhoto() {
  const photo = document.querySelector<HTMLImageElement>('.photo');
  if (!photo) return;
  const hide = () => show(photo, false);
  if (photo.complete && !photo.naturalWidth) hide();
  else photo.addEventListener('error', hide);
}

/** `?name=` and `?email=` (the widget's data-name / data-email) fill the form's empty fields. */
function prefill(form: HTMLFormElement) {
  const q = new URLSearchParams(location.search);
  const name = (q.get('name') || '').trim().slice(0, 201);
  const space = name.indexOf(' ');
  const values: Record<string, string> = {
    first_name: space < 0 ? name : name.slice(0, space),
    last_name: space < 0 ? '' : name.slice(space + 1).trim(),
    email: (q.get('email') || '').trim().slice(0, 254),
  };
  for (const key of Object.keys(values)) {
    const input = form.elements.namedItem(key) as HTMLInputElement | null;
    if (input && !input.value && values[key])
      input.value = (values[key] as string).slice(0, input.maxLength > 0 ? input.maxLength : 254);
  }
}

/**
 * The page's own history entries: `form` once a time is chosen (Back returns to the times),
 * replaced by `done` once booked. The page's first entry has none.
 */
const onStep = (step: 'form' | 'done') => (history.state as { step?: string } | null)?.step === step;

const formFail = (text: string) => {
  const formError = el.formError();
  formError.textContent = text;
  show(formError, true);
};

function clearErrors() {
  for (const name of FIELDS) setFieldError(name, '');
  const formError = el.formError();
  formError.textContent = '';
  show(formError, false);
}

function showPicker() {
  show(el.form(), false);
  show(el.done(), false);
  show(el.pick(), true);
}

function showBooked(s: State, b: Booked) {
  const token = manageToken(b.manage_url, location.href);
  const text = bookedText(b.status, b.business_name, b.waitlist_position);
  showAlert('');
  show(el.form(), false);
  show(el.pick(), false);
  $('done-h').textContent = text.heading;
  s.booked = { start_time: b.start_time, end_time: b.end_time };
  $('done-when').textContent = when(b, s.zone);
  $('done-status').textContent = text.sentence;
  const manage = $<HTMLAnchorElement>('done-manage');
  const ics = $<HTMLAnchorElement>('done-ics');
  if (token) {
    manage.href = manageHref(b.manage_url, location.origin, token);
    ics.href = `/api/public/bookings/${token}/ics`;
  }
  show(manage.parentNode as HTMLElement, !!token);
  // A waitlist place holds no time yet: nothing to put in a calendar.
  show(ics.parentNode as HTMLElement, !!token && b.status !== 'waitlisted');
  show(el.done(), true);
  $('done-h').focus();
  // Back from the confirmation leads to the times, never to the form of a booking already made.
  history.replaceState({ step: 'done' }, '');
  post('booked', { start_time: b.start_time, end_time: b.end_time, status: b.status });
}

/** Shows a 400's field errors beside their fields, the rest above the form; focuses the first. */
function showFieldErrors(errors: Record<string, unknown>) {
  let first: HTMLElement | null = null;
  const rest: string[] = [];
  for (const name of Object.keys(errors)) {
    const text = messages(errors[name]);
    if (FIELDS.indexOf(name) >= 0 && setFieldError(name, text)) first = first || $(`f-${name}`);
    else if (name === 'start_time') rest.push(`This time can no longer be booked: ${text}`);
    else rest.push(text);
  }
  if (rest.length) formFail(rest.join(' '));
  if (first) first.focus();
  else el.formError().scrollIntoView({ block: 'nearest' });
}

/** The request body: the required fields, and the optional ones only when filled in. */
function bookingBody(form: HTMLFormElement, slot: Slot): Record<string, string> {
  const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value.trim();
  const body: Record<string, string> = {
    start_time: slot.start_time,
    first_name: value('first_name'),
    last_name: value('last_name'),
    email: value('email'),
  };
  for (const name of ['phone', 'notes', 'website']) {
    if (value(name)) body[name] = value(name);
  }
  return body;
}

/**
 * What is booked: a class session's place (`class_session`, and `waitlist` when joining a full
 * class's waitlist; no `start_time`, which the API refuses beside a class: the class's time
 * applies), else the chosen service when the page offers a choice (none: the default).
 */
function requestBody(s: State, body: Record<string, string>): Record<string, unknown> {
  const c = s.chosenClass;
  if (c) {
    const { start_time: _classTime, ...person } = body;
    return { ...person, class_session: c.class_session, ...(classAction(c) === 'waitlist' && { waitlist: true }) };
  }
  return s.service ? { ...body, service: Number(s.service) } : body;
}

const submitLabel = (s: State) =>
  s.chosenClass && classAction(s.chosenClass) === 'waitlist' ? 'Join the waitlist' : 'Confirm booking';

/** Sends the booking; on a conflict the times reload; any other failure is shown on the form. */
async function submitBooking(s: State, choose: (slot: Slot) => void) {
  if (s.sending || !s.selected) return;
  clearErrors();
  // The zone the visitor sees the times in: their messages and calendar file use it too.
  const body = { ...bookingBody(el.form(), s.selected), timezone: s.zone };
  const missing = checkBookingFields(body);
  if (Object.keys(missing).length) return showFieldErrors(missing);
  const submit = $<HTMLButtonElement>('submit');
  s.sending = true;
  submit.disabled = true;
  submit.textContent = 'Booking…';
  const request = requestBody(s, body);
  const res = await api('POST', `${s.base}bookings/`, request, { 'Idempotency-Key': keyFor(request) });
  s.sending = false;
  submit.disabled = false;
  submit.textContent = submitLabel(s);
  const problem = problemOf(res.data);
  if (res.status === 201 && res.data) return showBooked(s, res.data as Booked);
  if (res.status === 409 && s.chosenClass) {
    return taken(s, choose, problem.detail || 'This class can no longer be booked. Please choose again.');
  }
  if (res.status === 409) return taken(s, choose, 'This time was just taken. Please choose another time.');
  if (res.status === 400 && problem.errors && typeof problem.errors === 'object') {
    return showFieldErrors(problem.errors);
  }
  if (res.status === 429 || res.status === 0) post('error', { code: errorCode(res.status) });
  if (res.status === 429) formFail(retryText(res.headers.get('Retry-After')));
  else if (res.status === 413) formFail('That is too much text. Please shorten your notes and try again.');
  else if (res.status === 0) formFail('No connection. Check your network and try again.');
  else formFail(problem.detail || 'The booking could not be completed. Please try again.');
  el.formError().scrollIntoView({ block: 'nearest' });
}

async function taken(s: State, choose: (slot: Slot) => void, text: string) {
  s.selected = null;
  s.chosenClass = null;
  showPicker();
  // The form's history entry goes with the form: Back from here leaves the page.
  if (onStep('form')) history.back();
  await load(s, true, choose);
  showAlert(text);
  el.timesHeading().focus();
}

/** Above the form: the chosen class's name, else the chosen service's (when the page offers a choice). */
function showChosenName(s: State) {
  const input = document.querySelector<HTMLInputElement>('#services input[name="service"]:checked');
  const name = s.chosenClass ? s.chosenClass.name : input?.dataset.name || '';
  const chosen = $('chosen-service');
  chosen.textContent = name;
  show(chosen, !!name);
}

/** The service picker (more than one private service): its choice goes with the times and the booking. */
function setupServices(s: State, choose: (slot: Slot) => void) {
  const group = document.getElementById('services');
  if (!group) return;
  const apply = () => {
    const input = group.querySelector<HTMLInputElement>('input[name="service"]:checked');
    s.service = input ? input.value : undefined;
    showChosenName(s);
  };
  apply();
  group.addEventListener('change', () => {
    apply();
    s.selected = null;
    showPicker();
    // The form's history entry goes with the form: Back from here leaves the page, as after `taken`.
    if (onStep('form')) history.back();
    showAlert('');
    // The other service's times are not offered for this one: none shows until its own arrive.
    show(el.pick(), false);
    el.status().textContent = 'Loading available times…';
    load(s, false, choose).then((ok) => show(el.pick(), ok));
  });
}

export function bookingPage(app: HTMLElement): void {
  const slug = app.dataset.slug || '';
  const trainerZone = app.dataset.timezone || 'UTC';
  const visitor = visitorZone();
  const s: State = {
    base: `/api/public/trainers/${encodeURIComponent(slug)}/`,
    zone: validZone(visitor) ? visitor : trainerZone,
    apiDays: [],
    days: [],
    selectedDay: null,
    selected: null,
    sending: false,
    // Set when the page has exactly one public service; a picker sets it when there are more.
    service: app.dataset.service || undefined,
  };
  const choose = (slot: Slot, chosenClass: ClassSession | null = null) => {
    const selected = { start_time: slot.start_time, end_time: slot.end_time };
    s.selected = selected;
    s.chosenClass = chosenClass;
    post('slot-selected', selected);
    showAlert('');
    clearErrors();
    $('chosen').textContent = when(s.selected, s.zone);
    showChosenName(s);
    $('submit').textContent = submitLabel(s);
    show(el.pick(), false);
    show(el.form(), true);
    $('f-first_name').focus();
    if (!onStep('form')) history.pushState({ step: 'form' }, '');
  };
  // A class goes to the same form; its name shows where a chosen service's would.
  s.onClass = (c) => choose(c, c);
  applyBrand(app.dataset.brand);
  hideBrokenPhoto();
  prefill(el.form());
  setupZones(s, visitor, trainerZone, () => renderDays(s, choose));
  setupServices(s, choose);
  // Arrow keys select the next day (its times show at once); among times they only move focus.
  roving(el.days(), (button) => button.click());
  roving(el.times());
  wireDayNav(s, choose);
  for (const name of FIELDS) $(`f-${name}`).addEventListener('input', () => setFieldError(name, ''));
  const backToTimes = () => {
    showPicker();
    renderTimes(s, choose);
    const current = el.times().querySelector<HTMLElement>('[aria-pressed="true"]');
    (current || el.timesHeading()).focus();
  };
  const again = async () => {
    // The confirmation's entry becomes the times' again, so the next booking's Back returns here.
    if (onStep('done')) history.replaceState(null, '');
    s.selected = null;
    s.chosenClass = null;
    s.booked = null;
    $<HTMLTextAreaElement>('f-notes').value = '';
    showPicker();
    await load(s, true, choose);
    el.timesHeading().focus();
  };
  // "Change" is the browser's Back when the form has its own history entry (so Forward returns to it).
  $('change').addEventListener('click', () => (onStep('form') ? history.back() : backToTimes()));
  $('again').addEventListener('click', again);
  window.addEventListener('popstate', () => {
    const formShown = !el.form().hidden;
    if (onStep('form') && !formShown && s.selected && !s.booked) choose(s.selected, s.chosenClass ?? null);
    else if (!onStep('form') && formShown) backToTimes();
    else if (!onStep('done') && !el.done().hidden) again();
  });
  el.form().addEventListener('submit', (e) => {
    e.preventDefault();
    submitBooking(s, choose);
  });
  load(s, false, choose).then((ok) => {
    show(el.pick(), ok);
    // Ready means the times are shown; a failed load has told the host page `error` instead.
    if (ok) post('ready', { trainer: slug });
  });
}
