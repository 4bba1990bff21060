// The account pages mails link to: choose a new password (/account/reset-password#token=…) and
// confirm an email address (/account/verify-email#token=…). Same shell, stylesheet and script as
// the booking pages; the token stays in the fragment, which the browser never sends to a server.
import { BOOK_PAGE_CSP, Field, type Rendered, render, Shell } from './pages';

/** The booking pages' policy, but never inside another site's frame: a password form is not for embedding. */
export const ACCOUNT_PAGE_CSP = BOOK_PAGE_CSP.replace('frame-ancestors *', "frame-ancestors 'none'");

export function renderResetPage(): Rendered {
  return render(
    <Shell title="Choose a new password" script noindex>
      <main id="app" class="app" data-page="reset">
        <header class="head">
          <h1>Choose a new password</h1>
        </header>
        <noscript>
          <p class="alert">This page needs JavaScript.</p>
        </noscript>
        <p id="status" class="status" role="status" />
        <p id="alert" class="alert" role="alert" hidden />
        <form id="reset" class="form" novalidate hidden>
          {/* A password manager files the new password under the account it belongs to. */}
          <input type="text" name="username" autocomplete="username" hidden />
          <Field name="new_password" label="New password">
            <input
              id="f-new_password"
              name="new_password"
              type="password"
              autocomplete="new-password"
              minlength={8}
              maxlength={128}
              required
            />
          </Field>
          <p class="hint">At least 8 characters, not only digits, not your email address.</p>
          <Field name="repeat" label="New password again">
            <input id="f-repeat" name="repeat" type="password" autocomplete="new-password" maxlength={128} required />
          </Field>
          <button type="submit" id="submit" class="primary">
            Change password
          </button>
        </form>
        <section id="done" hidden>
          <p>
            <strong>Your password has been changed.</strong> You are signed out everywhere: sign in again with the new
            password in your TrainerHub app.
          </p>
        </section>
      </main>
    </Shell>,
  );
}

export function renderVerifyPage(): Rendered {
  return render(
    <Shell title="Confirm your email address" script noindex>
      <main id="app" class="app" data-page="verify">
        <header class="head">
          <h1>Confirm your email address</h1>
        </header>
        <noscript>
          <p class="alert">This page needs JavaScript.</p>
        </noscript>
        <p id="status" class="status" role="status">
          Confirming…
        </p>
        <p id="alert" class="alert" role="alert" hidden />
        <section id="done" hidden>
          <p>
            <strong id="done-text">Your email address is confirmed.</strong> You can go back to your TrainerHub app.
          </p>
        </section>
      </main>
    </Shell>,
  );
}
