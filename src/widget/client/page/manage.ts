// The manage page (/book/manage/{token}): one booking, its calendar file, and cancelling it.
import { messages, retryText, statusText } from '../text';
import { validZone, visitorZone, when, zoneName } from '../time';
import { $, api, post, problemOf, setFieldError, show, showAlert } from './dom';

interface Booking {
  start_time: string;
  end_time: string;
  status: string;
  timezone?: string;
  business_name?: string;
}

function render(b: Booking, base: string, zone: string) {
  $('business').textContent = b.business_name ? `Your booking with ${b.business_name}` : 'Your booking';
  $('b-when').textContent = when(b, zone);
  $('b-tz').textContent =
    zoneName(zone) + (b.timezone && b.timezone !== zone ? ` (the trainer's is ${zoneName(b.timezone)})` : '');
  $('b-status').textContent = statusText(b.status);
  $('b-business').textContent = b.business_name || '';
  const ics = $<HTMLAnchorElement>('b-ics');
  ics.href = `${base}ics`;
  show(ics.parentNode as HTMLElement, b.status !== 'cancelled');
  show($('cancel'), (b.status === 'pending' || b.status === 'confirmed') && Date.parse(b.start_time) > Date.now());
  show($('booking'), true);
}

async function cancelBooking(base: string, zone: string) {
  setFieldError('reason', '');
  showAlert('');
  const reason = $<HTMLTextAreaElement>('f-reason').value.trim();
  const button = $<HTMLButtonElement>('cancel-submit');
  button.disabled = true;
  button.textContent = 'Cancelling…';
  const res = await api('POST', `${base}cancel/`, reason ? { reason } : {});
  button.disabled = false;
  button.textContent = 'Cancel booking';
  if (res.status === 200 && res.data) {
    render(res.data as Booking, base, zone);
    $('status').textContent = 'Your booking is cancelled.';
    const heading = $('business');
    heading.setAttribute('tabindex', '-1');
    heading.focus();
    return;
  }
  const problem = problemOf(res.data);
  if (res.status === 400 && problem.errors?.reason) {
    setFieldError('reason', messages(problem.errors.reason));
    $('f-reason').focus();
  } else if (res.status === 409) showAlert(problem.detail || 'This booking can no longer be cancelled.');
  else if (res.status === 429) showAlert(retryText(res.headers.get('Retry-After')));
  else showAlert(problem.detail || 'The booking could not be cancelled. Please try again.');
}

export async function managePage(app: HTMLElement): Promise<void> {
  const token = app.dataset.token || '';
  const base = `/api/public/bookings/${encodeURIComponent(token)}/`;
  const visitor = visitorZone();
  const zone = validZone(visitor) ? visitor : 'UTC';
  let sending = false;

  $('cancel').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (sending) return;
    sending = true;
    await cancelBooking(base, zone);
    sending = false;
  });

  const res = await api('GET', base);
  $('status').textContent = '';
  if (res.status === 200 && res.data) render(res.data as Booking, base, zone);
  else if (res.status === 404) showAlert('This booking link is not valid. Check the link in your confirmation email.');
  else if (res.status === 429) showAlert(retryText(res.headers.get('Retry-After')));
  else showAlert('Your booking could not be loaded. Please try again later.');
  post('ready', {});
}
