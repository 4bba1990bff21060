// The second step of the staff sign-in: the 6-digit code (or a recovery code), the enrolment of
// an authenticator app at a staff user's first sign-in, and the recovery codes shown once.
import { raw } from 'hono/html';
import type { FC, PropsWithChildren } from 'hono/jsx';
import { renderSVG } from 'uqr';
import { Csrf, Document } from './layout';

interface StepProps {
  nonce: string;
  csrf: string;
  next: string;
  error?: string | undefined;
}

const Alert = ({ error }: { error?: string | undefined }) =>
  error ? (
    <p class="alert" role="alert" id="code-error">
      {error}
    </p>
  ) : null;

const Step: FC<PropsWithChildren<{ title: string; nonce: string }>> = (props) => (
  <Document title={props.title} nonce={props.nonce}>
    <main class="login" id="main">
      <h1>{props.title}</h1>
      {props.children}
    </main>
  </Document>
);

const CodeField = (props: { label: string; hint: string; error?: string | undefined; digitsOnly?: boolean }) => (
  <div class="field">
    <label for="code">{props.label}</label>
    <input
      id="code"
      name="code"
      type="text"
      autocomplete="one-time-code"
      inputmode={props.digitsOnly ? 'numeric' : undefined}
      required
      // After a wrong code the page comes back with the focus where the next try is typed.
      autofocus={props.error ? true : undefined}
      aria-describedby={props.error ? 'code-hint code-error' : 'code-hint'}
      aria-invalid={props.error ? 'true' : undefined}
    />
    <p class="hint" id="code-hint">
      {props.hint}
    </p>
  </div>
);

/** After the password: the code from the authenticator app, or one of the recovery codes. */
export const CodePage = (props: StepProps) => (
  <Step title="Two-factor sign-in" nonce={props.nonce}>
    <Alert error={props.error} />
    <form method="post" action="/admin/login/code">
      <Csrf token={props.csrf} />
      <input type="hidden" name="next" value={props.next} />
      <CodeField
        label="Code"
        hint="The 6-digit code your authenticator app shows for TrainerHub, or one of your recovery codes."
        error={props.error}
      />
      <button type="submit">Verify</button>
    </form>
    <p>
      <a href="/admin/login">Start again</a>
    </p>
  </Step>
);

/**
 * The setup address as a QR code an authenticator app scans: an SVG of squares drawn from the
 * address alone (no text of it is placed in the markup), sized by the stylesheet.
 */
export const qrCodeOf = (uri: string) =>
  renderSVG(uri, { border: 2 }).replace('<svg ', '<svg role="img" aria-labelledby="totp-qr-label" ');

/** A staff user without an authenticator app adds one before reaching the console. */
export const EnrolPage = (props: StepProps & { secret: string; uri: string; email: string }) => (
  <Step title="Set up two-factor sign-in" nonce={props.nonce}>
    <Alert error={props.error} />
    <p>
      Staff sign in with a code from an authenticator app as well as the password. Add this account to your app: scan
      the QR code, or type the setup key (or the address below) into it. Then enter the code it shows.
    </p>
    <figure class="qr">
      {raw(qrCodeOf(props.uri))}
      <figcaption id="totp-qr-label">QR code of the setup address, for your authenticator app</figcaption>
    </figure>
    <dl class="record">
      <dt>Account</dt>
      <dd>{props.email}</dd>
      <dt>Setup key</dt>
      <dd>
        <code id="totp-secret">{props.secret}</code>
      </dd>
      <dt>Address</dt>
      <dd>
        <code id="totp-uri">{props.uri}</code>
      </dd>
    </dl>
    <form method="post" action="/admin/login/enrol">
      <Csrf token={props.csrf} />
      <input type="hidden" name="next" value={props.next} />
      <CodeField label="Code" hint="The 6-digit code your app shows now." error={props.error} digitsOnly />
      <button type="submit">Turn on and continue</button>
    </form>
  </Step>
);

/** Shown once, right after enrolment: the recovery codes (only their hashes are kept). */
export const RecoveryCodesPage = (props: { nonce: string; codes: string[]; next: string }) => (
  <Step title="Your recovery codes" nonce={props.nonce}>
    <p role="status">Two-factor sign-in is on.</p>
    <p>
      Keep these codes somewhere safe. Each one signs you in once instead of a code from your app, if you lose it. They
      are shown only now.
    </p>
    <ol class="panel" id="recovery-codes">
      {props.codes.map((code) => (
        <li>
          <code>{code}</code>
        </li>
      ))}
    </ol>
    <p>
      <a class="button" href={props.next}>
        Continue to the console
      </a>
    </p>
  </Step>
);
