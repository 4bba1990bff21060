// Server-rendered shells of the booking pages. All behaviour is in the pages' one script, a static
// asset of this origin named by its content (/book/assets/app.<hash>.js, no inline script); boot
// data travels in data- attributes, so the CSP stays 'self'. Rendered with hono/jsx, which escapes
// every value.
import { html } from 'hono/html';
import type { Child, FC, PropsWithChildren } from 'hono/jsx';
import type { HtmlEscapedString } from 'hono/utils/html';
// The script's and stylesheet's paths, from scripts/build-widget.mjs (which writes the files to the assets).
import { PAGE_CSS, PAGE_JS } from './generated';
import type { BookingPageTrainer, PageService } from './service';

/**
 * `frame-ancestors *`: these pages are made to be embedded by the widget on any site. `img-src
 * https:`: the trainer's photo is any https URL (the profile refuses every other scheme). The
 * brand colour needs no inline style: the page's script sets CSS custom properties through the
 * CSSOM, which `style-src 'self'` allows.
 */
export const BOOK_PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' https:; base-uri 'none'; form-action 'none'; frame-ancestors *";

export type Rendered = HtmlEscapedString | Promise<HtmlEscapedString>;

/** The pages' icon (routes.ts): blank, since the page is the trainer's; cached by the browser for a day. */
export const BOOK_ICON_PATH = '/book/icon.svg';

type ShellProps = PropsWithChildren<{ title: string; script: boolean; noindex?: boolean }>;

export const Shell: FC<ShellProps> = ({ title, script, noindex, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      {noindex && <meta name="robots" content="noindex" />}
      <meta name="referrer" content="no-referrer" />
      <title>{title}</title>
      {/* Without an icon the browser asks for /favicon.ico, a 404 (`data:,` would break `img-src`). */}
      <link rel="icon" href={BOOK_ICON_PATH} />
      <link rel="stylesheet" href={PAGE_CSS} />
      {script && <script src={PAGE_JS} defer />}
    </head>
    <body>{children}</body>
  </html>
);

export const render = (node: Child): Rendered => html`<!doctype html>\n${node}\n`;

/** A labelled form field with its (hidden until needed) error line. */
export const Field: FC<PropsWithChildren<{ name: string; label: Child }>> = ({ name, label, children }) => (
  <div class="field">
    <label for={`f-${name}`}>{label}</label>
    {children}
    <p class="error" id={`e-${name}`} hidden />
  </div>
);

const Optional = ({ text }: { text: string }) => (
  <>
    {text} <span class="opt">(optional)</span>
  </>
);

/** "Show times in": the script fills the choices (the visitor's zone, the trainer's, common ones). */
const ZoneSelect = ({ tz }: { tz: string }) => (
  <div class="tz">
    <label for="tz">Show times in</label>
    <select id="tz" aria-describedby="tz-note">
      {tz && <option value={tz}>{tz}</option>}
    </select>
    <p class="hint" id="tz-note">
      The trainer's time zone is <strong id="tz-trainer">{tz}</strong>.
    </p>
  </div>
);

/** The day-and-time picker (client/page/picker.ts) of the booking page and the manage page's reschedule. */
const Picker = ({ heading = 'Choose a day' }: { heading?: string }) => (
  <section id="pick" hidden>
    <h2 id="days-h">{heading}</h2>
    {/* biome-ignore lint/a11y/useSemanticElements: a grid of buttons, not a form's fieldset */}
    <div id="days" class="days" role="group" aria-labelledby="days-h" />
    <h2 id="times-h" tabindex={-1}>
      Choose a time
    </h2>
    {/* biome-ignore lint/a11y/useSemanticElements: a grid of buttons, not a form's fieldset */}
    <div id="times" class="times" role="group" aria-labelledby="times-h" />
    {/* After the times, so the days and the times stay the first two Tab stops. */}
    <p class="day-nav">
      <button type="button" id="days-earlier" class="link">
        ← Earlier days
      </button>
      <button type="button" id="days-later" class="link">
        Later days →
      </button>
    </p>
  </section>
);

/**
 * More than one service: the visitor picks one before the calendar (client/page/book.ts loads
 * its times). A native radio group: one tab stop, arrow keys move the choice.
 */
const ServicePicker = ({ services }: { services: PageService[] }) => (
  <fieldset id="services" class="services">
    <legend>Choose a service</legend>
    {services.map((s, i) => (
      <label class="service" for={`service-${s.id}`}>
        <input
          type="radio"
          id={`service-${s.id}`}
          name="service"
          value={String(s.id)}
          checked={i === 0}
          data-name={s.name}
          aria-describedby={s.description ? `service-${s.id}-about` : undefined}
        />
        <span class="service-text">
          <span class="service-name">{s.name}</span>
          <span class="service-facts">{s.facts}</span>
          {s.description && (
            <span class="service-about" id={`service-${s.id}-about`}>
              {s.description}
            </span>
          )}
        </span>
      </label>
    ))}
  </fieldset>
);

const BookingForm = () => (
  <form id="form" class="form" novalidate hidden aria-labelledby="form-h">
    <h2 id="form-h">Your details</h2>
    <p class="chosen">
      <span id="chosen-service" class="chosen-service" hidden />
      <span id="chosen" />{' '}
      <button type="button" id="change" class="link">
        Change time
      </button>
    </p>
    <p id="form-error" class="alert" role="alert" hidden />
    <Field name="first_name" label="First name">
      <input id="f-first_name" name="first_name" autocomplete="given-name" maxlength={100} required />
    </Field>
    <Field name="last_name" label="Last name">
      <input id="f-last_name" name="last_name" autocomplete="family-name" maxlength={100} required />
    </Field>
    <Field name="email" label="Email">
      <input id="f-email" name="email" type="email" autocomplete="email" maxlength={254} required />
    </Field>
    <Field name="phone" label={<Optional text="Phone" />}>
      <input id="f-phone" name="phone" type="tel" autocomplete="tel" maxlength={32} />
    </Field>
    <Field name="notes" label={<Optional text="Notes for the trainer" />}>
      <textarea id="f-notes" name="notes" rows={3} maxlength={1000} />
    </Field>
    <div class="hp" aria-hidden="true">
      <label for="f-website">Leave this field empty</label>
      <input id="f-website" name="website" tabindex={-1} autocomplete="off" />
    </div>
    <button type="submit" id="submit" class="primary">
      Confirm booking
    </button>
  </form>
);

const Done = () => (
  <section id="done" class="done" hidden>
    {/* biome-ignore lint/a11y/useHeadingContent: the script writes the heading before it shows the section */}
    <h2 id="done-h" tabindex={-1} />
    <p id="done-when" class="when" />
    <p id="done-status" />
    <p>
      {/* biome-ignore lint/a11y/useValidAnchor: the script sets the link once the booking exists */}
      <a id="done-ics" href="#" download="booking.ics">
        Add to calendar (.ics)
      </a>
    </p>
    <p>
      {/* biome-ignore lint/a11y/useValidAnchor: the script sets the link once the booking exists */}
      <a id="done-manage" href="#" target="_blank" rel="noopener">
        Manage or cancel this booking
      </a>
    </p>
    <p class="hint">We also sent these links by email.</p>
    <button type="button" id="again" class="link">
      Book another session
    </button>
  </section>
);

export function renderBookingPage(trainer: BookingPageTrainer): Rendered {
  const name = trainer.businessName || 'Book a session';
  const tz = trainer.timezone;
  const choice = trainer.services.length > 1;
  const minutes = trainer.services.length === 1 ? trainer.services[0]?.durationMinutes : trainer.sessionDurationMinutes;
  return render(
    <Shell title={`Book a session · ${name}`} script>
      <main
        id="app"
        class="app"
        data-page="book"
        data-slug={trainer.slug}
        data-timezone={tz}
        data-brand={trainer.brandColor || undefined}
        // The one public service is named, so a private default is never what a visitor books.
        data-service={trainer.services.length === 1 ? String(trainer.services[0]?.id) : undefined}
      >
        <header class="head">
          {trainer.photoUrl && (
            <img class="photo" src={trainer.photoUrl} alt="" width={72} height={72} referrerpolicy="no-referrer" />
          )}
          <div>
            {/* dir="auto": an Arabic or Hebrew name or bio reads right to left, its "24/7" and brackets in place. */}
            <h1 dir="auto">{name}</h1>
            <p class="sub">{choice ? 'Choose a service and a time' : `Book a ${minutes}-minute session`}</p>
          </div>
        </header>
        {trainer.bio && (
          <p class="bio" dir="auto">
            {trainer.bio}
          </p>
        )}
        <noscript>
          <p class="alert">This booking page needs JavaScript.</p>
        </noscript>
        {choice && <ServicePicker services={trainer.services} />}
        <ZoneSelect tz={tz} />
        <p id="status" class="status" role="status">
          Loading available times…
        </p>
        <p id="alert" class="alert" role="alert" hidden />
        <Picker />
        <BookingForm />
        <Done />
      </main>
    </Shell>,
  );
}

/** The manage page's reschedule: the shared zone select and picker, then the chosen time to confirm. */
const Reschedule = () => (
  <section id="reschedule" class="form" hidden aria-labelledby="reschedule-h">
    <h2 id="reschedule-h">Choose a new time</h2>
    <ZoneSelect tz="" />
    {/* Why a move failed, beside the times to choose again from; the script focuses it. */}
    <p id="move-alert" class="alert" role="alert" tabindex={-1} hidden />
    <Picker heading="Choose a new day" />
    <div id="move" hidden>
      <p class="chosen">
        New time: <span id="chosen" />
      </p>
      <button type="button" id="reschedule-submit" class="primary">
        Move my booking to this time
      </button>{' '}
      <button type="button" id="change" class="link">
        Choose another time
      </button>
    </div>
    <button type="button" id="reschedule-close" class="link">
      Keep the current time
    </button>
  </section>
);

/** Cancelling asks first: what it means (late or not, a credit from which pack) is said before the click. */
const CancelForm = () => (
  <form id="cancel" class="form" novalidate hidden aria-labelledby="cancel-h">
    <h2 id="cancel-h">Cancel this booking?</h2>
    <p id="cancel-note" class="note" />
    <Field name="reason" label={<Optional text="Reason" />}>
      <textarea id="f-reason" name="reason" rows={3} maxlength={500} />
    </Field>
    <button type="submit" id="cancel-submit" class="danger">
      Yes, cancel booking
    </button>{' '}
    <button type="button" id="cancel-keep" class="link">
      Keep my booking
    </button>
  </form>
);

export function renderManagePage(token: string): Rendered {
  return render(
    <Shell title="Your booking" script noindex>
      <main id="app" class="app" data-page="manage" data-token={token}>
        <header class="head">
          <h1 id="business">Your booking</h1>
        </header>
        <noscript>
          <p class="alert">This page needs JavaScript.</p>
        </noscript>
        <p id="status" class="status" role="status">
          Loading your booking…
        </p>
        <p id="alert" class="alert" role="alert" hidden />
        <section id="booking" hidden>
          <dl class="facts">
            <dt>What</dt>
            <dd id="b-service" />
            <dt>When</dt>
            <dd id="b-when" />
            <dt id="b-where-h" hidden>
              Where
            </dt>
            <dd id="b-where" hidden />
            <dt>Time zone</dt>
            <dd id="b-tz" />
            <dt>Status</dt>
            <dd id="b-status" />
            <dt>With</dt>
            <dd id="b-business" />
          </dl>
          <p>
            {/* biome-ignore lint/a11y/useValidAnchor: the script sets the link once the booking is loaded */}
            <a id="b-ics" href="#" download="booking.ics">
              Add to calendar (.ics)
            </a>
          </p>
          {/* A booking the trainer made: the client's feed of every session with this trainer. */}
          <p id="b-feed" hidden>
            {/* biome-ignore lint/a11y/useValidAnchor: the script sets the link once the booking is loaded */}
            <a id="b-feed-webcal" href="#">
              Subscribe to all your sessions
            </a>{' '}
            (or add {/* biome-ignore lint/a11y/useValidAnchor: the script sets the link once the booking is loaded */}
            <a id="b-feed-https" href="#">
              this address
            </a>{' '}
            to your calendar)
          </p>
          <p class="actions">
            <button type="button" id="reschedule-open" class="primary" hidden>
              Reschedule
            </button>{' '}
            <button type="button" id="cancel-open" class="danger" hidden>
              Cancel booking…
            </button>
          </p>
          <p id="b-policy" class="hint" />
          <Reschedule />
          <CancelForm />
          <section id="cancelled" hidden>
            <p>
              <strong>This booking is cancelled.</strong>
            </p>
            <p>
              {/* biome-ignore lint/a11y/useValidAnchor: the script sets the link once the booking is loaded */}
              <a id="book-again" href="#" class="primary-link">
                Book another time
              </a>
            </p>
          </section>
        </section>
      </main>
    </Shell>,
  );
}

export function renderNotFoundPage(): Rendered {
  return render(
    <Shell title="Booking page not found" script noindex>
      {/* The script only tells an embedding widget `trainerhub:error` (not_found); the text needs none. */}
      <main id="app" class="app" data-page="missing">
        <header class="head">
          <h1>Booking page not found</h1>
        </header>
        <p>There is no trainer at this address. Check the link you were given, or ask your trainer for a new one.</p>
      </main>
    </Shell>,
  );
}
