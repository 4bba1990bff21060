// /book/assets/app.<hash>.js: the booking pages' one script. No framework, no third-party request; it
// talks only to this origin's public API, and to the embedding page only through postMessage to
// the origin the widget named (./dom post).
import { bookingPage } from './book';
import { embedded, post } from './dom';
import { managePage } from './manage';
import { resetPage } from './reset';
import { verifyPage } from './verify';

/** In a frame: tell the widget our height whenever it changes, and pass Escape on as a request to close. */
function embed(app: HTMLElement) {
  document.documentElement.classList.add('embedded');
  let last = 0;
  const sendHeight = () => {
    const height = Math.ceil(app.getBoundingClientRect().height);
    if (height !== last) {
      last = height;
      post('height', { height });
    }
  };
  if ('ResizeObserver' in window) new ResizeObserver(sendHeight).observe(app);
  window.addEventListener('load', sendHeight);
  // Focus inside this frame keeps Escape from reaching the widget's dialog: ask it to close.
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') post('close');
  });
}

const app = document.getElementById('app');
if (app) {
  if (embedded) embed(app);
  if (app.dataset.page === 'book') bookingPage(app);
  else if (app.dataset.page === 'manage') managePage(app);
  else if (app.dataset.page === 'reset') resetPage();
  else if (app.dataset.page === 'verify') void verifyPage();
  else if (app.dataset.page === 'missing') post('error', { code: 'not_found' });
}
