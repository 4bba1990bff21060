// The password-reset page (/account/reset-password#token=…): the new password twice, sent with the
// mailed token to POST /api/users/password-reset/confirm/. The token is read from the fragment and
// then taken out of the address bar and the history.
import { messages, retryText } from '../text';
import { $, api, problemOf, setFieldError, show, showAlert } from './dom';

const NO_LINK = 'This link is incomplete. Open the link from the email again, or ask for a new one in the app.';

export function resetPage(): void {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  history.replaceState(null, '', location.pathname);
  if (!token) {
    showAlert(NO_LINK);
    return;
  }
  const form = $<HTMLFormElement>('reset');
  const submit = $<HTMLButtonElement>('submit');
  const password = $<HTMLInputElement>('f-new_password');
  const repeat = $<HTMLInputElement>('f-repeat');
  show(form, true);
  let sending = false;

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (sending) return;
    showAlert('');
    setFieldError('new_password', password.value ? '' : 'Enter a new password.');
    setFieldError('repeat', repeat.value === password.value ? '' : 'The two passwords do not match.');
    if (!password.value || repeat.value !== password.value) {
      (password.value ? repeat : password).focus();
      return;
    }
    sending = true;
    submit.disabled = true;
    submit.textContent = 'Changing…';
    const res = await api('POST', '/api/users/password-reset/confirm/', { token, new_password: password.value });
    sending = false;
    submit.disabled = false;
    submit.textContent = 'Change password';
    if (res.status === 200) {
      show(form, false);
      show($('done'), true);
      $('status').textContent = 'Your password has been changed.';
      return;
    }
    const problem = problemOf(res.data);
    const errors = problem.errors ?? {};
    if (errors.new_password) {
      setFieldError('new_password', messages(errors.new_password));
      password.focus();
    }
    if (errors.token) {
      show(form, false);
      showAlert(messages(errors.token));
    } else if (!errors.new_password)
      showAlert(
        res.status === 429
          ? retryText(res.headers.get('Retry-After'))
          : res.status === 0
            ? 'No connection. Check your network and try again.'
            : problem.detail || 'Something went wrong. Please try again.',
      );
  });
}
