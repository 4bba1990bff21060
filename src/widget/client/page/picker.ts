// The day-and-time picker both pages share (the booking page and the manage page's reschedule):
// free times by day in the zone the visitor picks. The page's shell renders its elements
// (pages.tsx: ZoneSelect and Picker); the page decides what choosing a time does.
import { classAction, classLabel, dayCountLines, messages, retryText } from '../text';
import {
  type ApiDay,
  type ClassSession,
  clockTime,
  type Day,
  dayLabel,
  groupByZoneDate,
  type Slot,
  shiftDate,
  when,
  zoneChoices,
  zoneOptionLabel,
} from '../time';
import { $, type ApiResult, api, post, problemOf, showAlert } from './dom';
import { setTabStop } from './roving';

/** The picker's state: what the API offered, what is shown and what the visitor chose. */
export interface State {
  base: string;
  zone: string;
  apiDays: ApiDay[];
  days: Day[];
  selectedDay: string | null;
  selected: Slot | null;
  sending: boolean;
  /** The chosen service's id (the booking page's picker); none: the trainer's default. */
  service?: string;
  /** The chosen class session (the booking page), when a class rather than a private time was chosen. */
  chosenClass?: ClassSession | null;
  /** Choosing a class (the booking page): without it the picker shows no classes (the manage page's reschedule). */
  onClass?: (c: ClassSession) => void;
  /** The latest load: an answer a later load overtook is dropped, and its callers get the later one's. */
  loading?: Promise<boolean>;
  /** The booking just made (the booking page's confirmation): its time follows the zone chosen. */
  booked?: Slot | null;
  /** The first date asked for (the trainer's calendar); none: the API's default, today. */
  from?: string;
  /** The first date of the days shown, and the earliest the picker goes back to (today). */
  shownFrom?: string;
  earliest?: string;
  /** The trainer's booking horizon was reached: no later days. */
  atHorizon?: boolean;
}

/** Days per page: the API's default range. */
const PAGE_DAYS = 14;

export const el = {
  status: () => $('status'),
  pick: () => $('pick'),
  days: () => $('days'),
  times: () => $('times'),
  timesHeading: () => $('times-h'),
  form: () => $<HTMLFormElement>('form'),
  formError: () => $('form-error'),
  done: () => $('done'),
};

/** "Show times in": the zone the times are drawn in (always one of the choices), the visitor's, the trainer's, common ones. */
export function setupZones(s: State, visitor: string, trainerZone: string, rerender: () => void) {
  const select = $<HTMLSelectElement>('tz');
  select.textContent = '';
  const zones = zoneChoices(visitor, trainerZone);
  // The manage page draws in the zone the client booked in, which may be none of the others.
  if (zones.indexOf(s.zone) < 0) zones.unshift(s.zone);
  for (const z of zones) {
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
    if (s.booked) $('done-when').textContent = when(s.booked, s.zone);
  });
}

/** The classes a day shows: none unless the page books classes. */
const classesOf = (s: State, d: Day | undefined): ClassSession[] => (d && s.onClass ? d.classes : []);

/** A class session's button: its time and "Bootcamp · 3 places left"; full with the waitlist closed, disabled. */
function classButton(s: State, c: ClassSession): HTMLButtonElement {
  const onClass = s.onClass as (c: ClassSession) => void;
  const button = document.createElement('button');
  const time = document.createElement('span');
  const label = document.createElement('span');
  button.type = 'button';
  button.className = 'class-offer';
  button.dataset.classSession = String(c.class_session);
  time.className = 'class-time';
  time.textContent = clockTime(s.zone, new Date(c.start_time));
  label.className = 'class-label';
  label.textContent = classLabel(c);
  button.append(time, ' ', label);
  button.setAttribute('aria-pressed', String(s.chosenClass?.class_session === c.class_session));
  button.disabled = !classAction(c);
  button.addEventListener('click', () => onClass(c));
  return button;
}

export function renderTimes(s: State, choose: (slot: Slot) => void) {
  const day = s.days.find((d) => d.date === s.selectedDay);
  const timesEl = el.times();
  timesEl.textContent = '';
  el.timesHeading().textContent = day ? `Choose a time on ${dayLabel(day.date, 'dayLong')}` : 'Choose a time';
  for (const c of classesOf(s, day)) timesEl.appendChild(classButton(s, c));
  for (const slot of day ? day.slots : []) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'slot';
    button.textContent = clockTime(s.zone, new Date(slot.start_time));
    button.dataset.start = slot.start_time;
    const pressed = !s.chosenClass && !!s.selected && s.selected.start_time === slot.start_time;
    button.setAttribute('aria-pressed', String(pressed));
    button.addEventListener('click', () => choose(slot));
    timesEl.appendChild(button);
  }
  setTabStop(timesEl);
}

function dayButton(s: State, d: Day, onPick: (button: HTMLButtonElement) => void): HTMLButtonElement {
  const button = document.createElement('button');
  const date = document.createElement('span');
  const n = d.slots.length;
  const classes = classesOf(s, d).length;
  const lines = dayCountLines(n, classes);
  button.type = 'button';
  button.className = 'day';
  button.dataset.date = d.date;
  button.textContent = dayLabel(d.date, 'weekday');
  date.textContent = dayLabel(d.date, 'dayMonth');
  button.appendChild(date);
  for (const line of lines) {
    const count = document.createElement('small');
    count.textContent = line;
    button.appendChild(count);
  }
  // No aria-label: the name is the words shown ("Thu 3 Dec 14 times", its lines being blocks), so
  // someone who says what they see to their speech control reaches the button (WCAG 2.5.3).
  button.setAttribute('aria-pressed', String(d.date === s.selectedDay));
  button.disabled = !n && !classes;
  button.addEventListener('click', () => onPick(button));
  return button;
}

export function renderDays(s: State, choose: (slot: Slot) => void) {
  s.days = groupByZoneDate(s.apiDays, s.zone);
  const open = s.days.filter((d) => d.slots.length || classesOf(s, d).length);
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
  setTabStop(daysEl);
  const paged = !!s.from && s.from !== s.earliest;
  el.status().textContent = open.length
    ? ''
    : paged
      ? 'No free times on these days. Try other days.'
      : 'No free times in the next two weeks. Please check back later or try later days.';
  $<HTMLButtonElement>('days-earlier').disabled = !s.earliest || (s.shownFrom ?? '') <= s.earliest;
  $<HTMLButtonElement>('days-later').disabled = !!s.atHorizon;
  renderTimes(s, choose);
}

/**
 * The two weeks after the days shown (`direction` 1) or before them (-1, never before today). Past
 * the trainer's booking horizon the API refuses `from`: the days stay, and the page says why.
 */
export function pageDays(s: State, direction: 1 | -1, choose: (slot: Slot) => void): Promise<boolean> {
  // From the days last asked for, so a second click before the first answer goes one page further.
  const base = s.from ?? s.shownFrom;
  if (!base) return Promise.resolve(false);
  const back = shiftDate(base, -PAGE_DAYS);
  if (direction < 0) s.atHorizon = false;
  s.from = direction > 0 ? shiftDate(base, PAGE_DAYS) : s.earliest && back < s.earliest ? s.earliest : back;
  s.selectedDay = null;
  return load(s, false, choose);
}

/** "Earlier days" and "Later days"; a button that turns disabled hands focus to the other. */
export function wireDayNav(s: State, choose: (slot: Slot) => void) {
  const earlier = $<HTMLButtonElement>('days-earlier');
  const later = $<HTMLButtonElement>('days-later');
  const go = async (button: HTMLButtonElement, other: HTMLButtonElement, direction: 1 | -1) => {
    await pageDays(s, direction, choose);
    if (button.disabled && !other.disabled) other.focus();
  };
  earlier.addEventListener('click', () => go(earlier, later, -1));
  later.addEventListener('click', () => go(later, earlier, 1));
}

/** The free times of the chosen service, as the API answers. */
function fetchTimes(s: State, fresh: boolean): Promise<ApiResult> {
  const query = new URLSearchParams();
  if (s.service) query.set('service', s.service);
  // Availability is cached for 15 s; after a booking or a conflict, bust the cache.
  if (fresh) query.set('_', String(Date.now()));
  if (s.from) query.set('from', s.from);
  const search = query.toString();
  return api('GET', `${s.base}availability/${search ? `?${search}` : ''}`);
}

function showTimes(s: State, res: ApiResult, choose: (slot: Slot) => void): boolean {
  const data = res.data as { days?: unknown } | null;
  if (res.status === 200 && data && Array.isArray(data.days)) {
    s.apiDays = data.days;
    s.shownFrom = s.apiDays[0]?.date;
    // The first days loaded without a date asked for start today: the picker goes back no further.
    s.earliest ??= s.from ? undefined : s.shownFrom;
    renderDays(s, choose);
    return true;
  }
  const refusedFrom = problemOf(res.data).errors?.from;
  if (res.status === 400 && refusedFrom && s.shownFrom) {
    // Past the booking horizon: the days shown stay, and no later ones are offered.
    s.from = s.shownFrom;
    s.atHorizon = true;
    renderDays(s, choose);
    el.status().textContent = messages(refusedFrom);
    return true;
  }
  el.status().textContent = '';
  if (res.status === 429) showAlert(retryText(res.headers.get('Retry-After')));
  else if (res.status === 404) showAlert('This booking page is not available.');
  // The service is not (or no longer) offered on the booking page: its times are not shown online.
  else if (res.status === 400) showAlert('This service cannot be booked online. Please contact your trainer.');
  // A booking that can no longer move (the manage page): the server says why, in words for the client.
  else if (res.status === 409) showAlert(problemOf(res.data).detail || 'This booking cannot be moved online.');
  else showAlert('Available times could not be loaded. Please try again later.');
  post('error', { code: errorCode(res.status) });
  return false;
}

/**
 * Loads the free times; false (with the reason shown) when they could not be loaded. When a
 * later load (another service chosen meanwhile) overtakes it, its answer is dropped and it
 * resolves as that later load does.
 */
export function load(s: State, fresh: boolean, choose: (slot: Slot) => void): Promise<boolean> {
  const run: Promise<boolean> = fetchTimes(s, fresh).then((res) =>
    s.loading === run ? showTimes(s, res, choose) : (s.loading ?? Promise.resolve(false)),
  );
  s.loading = run;
  return run;
}

/** The `trainerhub:error` code the host page hears for a failed call. */
export const errorCode = (status: number): string =>
  status === 404 ? 'not_found' : status === 429 ? 'rate_limited' : 'network';
