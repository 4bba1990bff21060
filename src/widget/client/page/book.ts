// The booking page (/book/{slug}): free times by day in the zone the visitor picks, the details
// form, and the confirmation. It talks only to this origin's public API.
import { bookedText, manageHref, manageToken, messages, retryText, timesCount, uuid } from '../text';
import {
  type ApiDay,
  type Day,
  dayLabel,
  format,
  groupByZoneDate,
  type Slot,
  validZone,
  visitorZone,
  when,
  zoneChoices,
  zoneOptionLabel,
} from '../time';
import { $, api, post, problemOf, setFieldError, show, showAlert } from './dom';

const FIELDS = ['first_name', 'last_name', 'email', 'phone', 'notes'];

interface Booked extends Slot {
  status: string;
  business_name?: string;
  manage_url?: string;
}

/** The page's state: what the API offered, what is shown and what the visitor chose. */
interface State {
  base: string;
  zone: string;
  apiDays: ApiDay[];
  days: Day[];
  selectedDay: string | null;
  selected: Slot | null;
  sending: boolean;
}

const el = {
  status: () => $('status'),
  pick: () => $('pick'),
  days: () => $('days'),
  times: () => $('times'),
  timesHeading: () => $('times-h'),
  form: () => $<HTMLFormElement>('form'),
  formError: () => $('form-error'),
  done: () => $('done'),
};

function setupZones(s: State, visitor: string, trainerZone: string, rerender: () => void) {
  const select = $<HTMLSelectElement>('tz');
  select.textContent = '';
  for (const z of zoneChoices(visitor, trainerZone)) {
    const option = document.createElement('option');
    option.value = z;
    option.textContent = zoneOptionLabel(z, visitor, trainerZone);
    select.appendChild(option);
  }
  select.value = s.zone;
  select.addEventListener('change', () => {
    s.zone = select.value;
    rerender();
    if (s.selected) $('chosen').textContent = when(s.selected, s.zone);
  });
}

function renderTimes(s: State, choose: (slot: Slot) => void) {
  const day = s.days.find((d) => d.date === s.selectedDay);
  const timesEl = el.times();
  timesEl.textContent = '';
  el.timesHeading().textContent = day ? `Choose a time on ${dayLabel(day.date, 'dayLong')}` : 'Choose a time';
  for (const slot of day ? day.slots : []) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'slot';
    button.textContent = format('time', s.zone, new Date(slot.start_time));
    button.dataset.start = slot.start_time;
    button.setAttribute('aria-pressed', String(!!s.selected && s.selected.start_time === slot.start_time));
    button.addEventListener('click', () => choose(slot));
    timesEl.appendChild(button);
  }
}

function dayButton(s: State, d: Day, onPick: (button: HTMLButtonElement) => void): HTMLButtonElement {
  const button = document.createElement('button');
  const date = document.createElement('span');
  const count = document.createElement('small');
  const n = d.slots.length;
  button.type = 'button';
  button.className = 'day';
  button.dataset.date = d.date;
  button.textContent = dayLabel(d.date, 'weekday');
  date.textContent = dayLabel(d.date, 'dayMonth');
  count.textContent = timesCount(n);
  button.appendChild(date);
  button.appendChild(count);
  button.setAttribute('aria-label', `${dayLabel(d.date, 'dayLong')}, ${count.textContent}`);
  button.setAttribute('aria-pressed', String(d.date === s.selectedDay));
  button.disabled = !n;
  button.addEventListener('click', () => onPick(button));
  return button;
}

function renderDays(s: State, choose: (slot: Slot) => void) {
  s.days = groupByZoneDate(s.apiDays, s.zone);
  const open = s.days.filter((d) => d.slots.length);
  if (!open.some((d) => d.date === s.selectedDay)) s.selectedDay = open[0]?.date ?? null;
  const daysEl = el.days();
  daysEl.textContent = '';
  for (const d of s.days) {
    const button = dayButton(s, d, (pressed) => {
      s.selectedDay = d.date;
      for (const b of daysEl.querySelectorAll('.day')) b.setAttribute('aria-pressed', String(b === pressed));
      renderTimes(s, choose);
    });
    daysEl.appendChild(button);
  }
  el.status().textContent = open.length ? '' : 'No free times in the next two weeks. Please check back later.';
  renderTimes(s, choose);
}

/** Loads the free times; false (with the reason shown) when they could not be loaded. */
async function load(s: State, fresh: boolean, choose: (slot: Slot) => void): Promise<boolean> {
  // Availability is cached for 15 s; after a booking or a conflict, bust the cache.
  const res = await api('GET', `${s.base}availability/${fresh ? `?_=${Date.now()}` : ''}`);
  const data = res.data as { days?: unknown } | null;
  if (res.status === 200 && data && Array.isArray(data.days)) {
    s.apiDays = data.days;
    renderDays(s, choose);
    return true;
  }
  el.status().textContent = '';
  if (res.status === 429) showAlert(retryText(res.headers.get('Retry-After')));
  else if (res.status === 404) showAlert('This booking page is not available.');
  else showAlert('Available times could not be loaded. Please try again later.');
  return false;
}

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

function showBooked(b: Booked, zone: string) {
  const token = manageToken(b.manage_url, location.href);
  const text = bookedText(b.status, b.business_name);
  showAlert('');
  show(el.form(), false);
  show(el.pick(), false);
  $('done-h').textContent = text.heading;
  $('done-when').textContent = when(b, zone);
  $('done-status').textContent = text.sentence;
  const manage = $<HTMLAnchorElement>('done-manage');
  const ics = $<HTMLAnchorElement>('done-ics');
  if (token) {
    manage.href = manageHref(b.manage_url, location.origin, token);
    ics.href = `/api/public/bookings/${token}/ics`;
  }
  show(manage.parentNode as HTMLElement, !!token);
  show(ics.parentNode as HTMLElement, !!token);
  show(el.done(), true);
  $('done-h').focus();
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

/** Sends the booking; on a conflict the times reload; any other failure is shown on the form. */
async function submitBooking(s: State, choose: (slot: Slot) => void) {
  if (s.sending || !s.selected) return;
  clearErrors();
  // The zone the visitor sees the times in: their messages and calendar file use it too.
  const body = { ...bookingBody(el.form(), s.selected), timezone: s.zone };
  const submit = $<HTMLButtonElement>('submit');
  s.sending = true;
  submit.disabled = true;
  submit.textContent = 'Booking…';
  const res = await api('POST', `${s.base}bookings/`, body, { 'Idempotency-Key': uuid() });
  s.sending = false;
  submit.disabled = false;
  submit.textContent = 'Confirm booking';
  const problem = problemOf(res.data);
  if (res.status === 201 && res.data) return showBooked(res.data as Booked, s.zone);
  if (res.status === 409) return taken(s, choose, 'This time was just taken. Please choose another time.');
  if (res.status === 400 && problem.errors && typeof problem.errors === 'object') {
    return showFieldErrors(problem.errors);
  }
  if (res.status === 429) formFail(retryText(res.headers.get('Retry-After')));
  else if (res.status === 413) formFail('That is too much text. Please shorten your notes and try again.');
  else if (res.status === 0) formFail('No connection. Check your network and try again.');
  else formFail(problem.detail || 'The booking could not be completed. Please try again.');
  el.formError().scrollIntoView({ block: 'nearest' });
}

async function taken(s: State, choose: (slot: Slot) => void, text: string) {
  s.selected = null;
  showPicker();
  await load(s, true, choose);
  showAlert(text);
  el.timesHeading().focus();
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
  };
  const choose = (slot: Slot) => {
    const selected = { start_time: slot.start_time, end_time: slot.end_time };
    s.selected = selected;
    post('slot-selected', selected);
    showAlert('');
    clearErrors();
    $('chosen').textContent = when(s.selected, s.zone);
    show(el.pick(), false);
    show(el.form(), true);
    $('f-first_name').focus();
  };
  setupZones(s, visitor, trainerZone, () => renderDays(s, choose));
  for (const name of FIELDS) $(`f-${name}`).addEventListener('input', () => setFieldError(name, ''));
  $('change').addEventListener('click', () => {
    showPicker();
    renderTimes(s, choose);
    const current = el.times().querySelector<HTMLElement>('[aria-pressed="true"]');
    (current || el.timesHeading()).focus();
  });
  el.form().addEventListener('submit', (e) => {
    e.preventDefault();
    submitBooking(s, choose);
  });
  $('again').addEventListener('click', async () => {
    s.selected = null;
    $<HTMLTextAreaElement>('f-notes').value = '';
    showPicker();
    await load(s, true, choose);
    el.timesHeading().focus();
  });
  load(s, false, choose).then((ok) => {
    show(el.pick(), ok);
    post('ready', { trainer: slug });
  });
}
