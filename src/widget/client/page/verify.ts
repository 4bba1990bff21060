// The email-confirmation page (/account/verify-email#token=…): confirms the address with the mailed
// token through GET /api/users/verify-email/ as soon as it opens, and says what came of it. The token
// is read from the fragment and then taken out of the address bar and the history.
import { messages, retryText } from '../text';
import { $, api, problemOf, show, showAlert } from './dom';

const NO_LINK = 'This link is incomplete. Open the link from the email again, or ask for a new one in the app.';

export async function verifyPage(): Promise<void> {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  history.replaceState(null, '', location.pathname);
  const status = $('status');
  if (!token) {
    status.textContent = '';
    showAlert(NO_LINK);
    return;
  }
  const res = await api('GET', `/api/users/verify-email/?token=${encodeURIComponent(token)}`);
  status.textContent = '';
  if (res.status === 200) {
    const { email } = (res.data ?? {}) as { email?: string };
    if (email) $('done-text').textContent = `Your email address ${email} is confirmed.`;
    show($('done'), true);
    return;
  }
  const problem = problemOf(res.data);
  const errors = problem.errors ?? {};
  showAlert(
    errors.token
      ? messages(errors.token)
      : res.status === 429
        ? retryText(res.headers.get('Retry-After'))
        : res.status === 0
          ? 'No connection. Check your network and open the link again.'
          : problem.detail || 'Something went wrong. Please open the link again.',
  );
}
