// Server-rendered shells of the booking pages. All behaviour is in /book/assets/app.js (same
// origin, no inline script); boot data travels in data- attributes, so the CSP stays 'self'.
import type { BookingPageTrainer } from './service';

/** `frame-ancestors *`: these pages are made to be embedded by the widget on any site. */
export const BOOK_PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors *";

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function shell(opts: { title: string; version: string; body: string; script: boolean; noindex?: boolean }): string {
  const v = encodeURIComponent(opts.version);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${opts.noindex ? '<meta name="robots" content="noindex">\n' : ''}<meta name="referrer" content="no-referrer">
<title>${esc(opts.title)}</title>
<link rel="stylesheet" href="/book/assets/app.css?v=${v}">
${opts.script ? `<script src="/book/assets/app.js?v=${v}" defer></script>\n` : ''}</head>
<body>
${opts.body}
</body>
</html>
`;
}

const field = (name: string, label: string, input: string) =>
  `<div class="field"><label for="f-${name}">${label}</label>${input}<p class="error" id="e-${name}" hidden></p></div>`;

export function renderBookingPage(trainer: BookingPageTrainer, version: string): string {
  const name = trainer.businessName || 'Book a session';
  const tz = esc(trainer.timezone);
  const body = `<main id="app" class="app" data-page="book" data-slug="${esc(trainer.slug)}" data-timezone="${tz}">
<header class="head">
<h1>${esc(name)}</h1>
<p class="sub">Book a ${trainer.sessionDurationMinutes}-minute session</p>
</header>
<noscript><p class="alert">This booking page needs JavaScript.</p></noscript>
<div class="tz">
<label for="tz">Show times in</label>
<select id="tz" aria-describedby="tz-note"><option value="${tz}">${tz}</option></select>
<p class="hint" id="tz-note">The trainer's time zone is <strong>${tz}</strong>.</p>
</div>
<p id="status" class="status" role="status">Loading available times…</p>
<p id="alert" class="alert" role="alert" hidden></p>
<section id="pick" hidden>
<h2 id="days-h">Choose a day</h2>
<div id="days" class="days" role="group" aria-labelledby="days-h"></div>
<h2 id="times-h" tabindex="-1">Choose a time</h2>
<div id="times" class="times" role="group" aria-labelledby="times-h"></div>
</section>
<form id="form" class="form" novalidate hidden aria-labelledby="form-h">
<h2 id="form-h">Your details</h2>
<p class="chosen"><span id="chosen"></span> <button type="button" id="change" class="link">Change time</button></p>
<p id="form-error" class="alert" role="alert" hidden></p>
${field('first_name', 'First name', '<input id="f-first_name" name="first_name" autocomplete="given-name" maxlength="100" required>')}
${field('last_name', 'Last name', '<input id="f-last_name" name="last_name" autocomplete="family-name" maxlength="100" required>')}
${field('email', 'Email', '<input id="f-email" name="email" type="email" autocomplete="email" maxlength="254" required>')}
${field('phone', 'Phone <span class="opt">(optional)</span>', '<input id="f-phone" name="phone" type="tel" autocomplete="tel" maxlength="32">')}
${field('notes', 'Notes for the trainer <span class="opt">(optional)</span>', '<textarea id="f-notes" name="notes" rows="3" maxlength="1000"></textarea>')}
<div class="hp" aria-hidden="true"><label for="f-website">Leave this field empty</label><input id="f-website" name="website" tabindex="-1" autocomplete="off"></div>
<button type="submit" id="submit" class="primary">Confirm booking</button>
</form>
<section id="done" class="done" hidden>
<h2 id="done-h" tabindex="-1"></h2>
<p id="done-when" class="when"></p>
<p id="done-status"></p>
<p><a id="done-ics" href="#" download="booking.ics">Add to calendar (.ics)</a></p>
<p><a id="done-manage" href="#" target="_blank" rel="noopener">Manage or cancel this booking</a></p>
<p class="hint">We also sent these links by email.</p>
<button type="button" id="again" class="link">Book another session</button>
</section>
</main>`;
  return shell({ title: `Book a session · ${name}`, version, body, script: true });
}

export function renderManagePage(token: string, version: string): string {
  const body = `<main id="app" class="app" data-page="manage" data-token="${esc(token)}">
<header class="head">
<h1 id="business">Your booking</h1>
</header>
<noscript><p class="alert">This page needs JavaScript.</p></noscript>
<p id="status" class="status" role="status">Loading your booking…</p>
<p id="alert" class="alert" role="alert" hidden></p>
<section id="booking" hidden>
<dl class="facts">
<dt>When</dt><dd id="b-when"></dd>
<dt>Time zone</dt><dd id="b-tz"></dd>
<dt>Status</dt><dd id="b-status"></dd>
<dt>With</dt><dd id="b-business"></dd>
</dl>
<p><a id="b-ics" href="#" download="booking.ics">Add to calendar (.ics)</a></p>
<form id="cancel" class="form" novalidate hidden aria-labelledby="cancel-h">
<h2 id="cancel-h">Cancel this booking</h2>
${field('reason', 'Reason <span class="opt">(optional)</span>', '<textarea id="f-reason" name="reason" rows="3" maxlength="500"></textarea>')}
<button type="submit" id="cancel-submit" class="danger">Cancel booking</button>
</form>
</section>
</main>`;
  return shell({ title: 'Your booking', version, body, script: true, noindex: true });
}

export function renderNotFoundPage(version: string): string {
  const body = `<main class="app">
<header class="head"><h1>Booking page not found</h1></header>
<p>There is no trainer at this address. Check the link you were given, or ask your trainer for a new one.</p>
</main>`;
  return shell({ title: 'Booking page not found', version, body, script: false, noindex: true });
}
