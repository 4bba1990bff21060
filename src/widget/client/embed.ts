// GET /widget.js: the embed script trainers paste into their own sites. It touches nothing on the
// host page except the element it inserts, whose contents live in a shadow root so the host's CSS
// cannot reach them. It talks to its frame only through the protocol of ./protocol.
import { eventDetail, frameHeight, frameUrl, isEventType, isWidgetSrc, parseMessage, scriptOrigin } from './protocol';

const MARK = 'data-trainerhub-mounted';

function style<T extends HTMLElement>(el: T, rules: Record<string, string>): T {
  for (const k in rules) el.style.setProperty(k, rules[k] ?? '');
  return el;
}

/** Where the widget goes: right after its script tag, or at the end of the body for a script in <head>. */
function insertHost(script: HTMLScriptElement, slug: string): HTMLElement {
  const host = document.createElement('div');
  host.className = 'trainerhub-widget';
  host.setAttribute('data-trainer', slug);
  const parent = script.parentNode;
  if (parent && parent !== document.head && parent !== document.documentElement) {
    parent.insertBefore(host, script.nextSibling);
  } else {
    (document.body || document.documentElement).appendChild(host);
  }
  return host;
}

function closeButton(): HTMLButtonElement {
  const close = style(document.createElement('button'), {
    display: 'block',
    font: '14px/1 system-ui, sans-serif',
    color: '#1d2330',
    background: '#eef0f4',
    border: '0',
    'border-radius': '6px',
    padding: '8px 12px',
    margin: '8px 8px 0 auto',
    cursor: 'pointer',
  });
  close.type = 'button';
  close.textContent = 'Close';
  close.setAttribute('aria-label', 'Close booking');
  return close;
}

/**
 * Popup mode: a button that opens the frame in a modal dialog (a new tab where dialogs are
 * missing). The frame loads `src` on the first open, so a host page that never opens it loads nothing.
 */
function mountPopup(
  root: ShadowRoot | HTMLElement,
  frame: HTMLIFrameElement,
  src: string,
  label: string,
  fallback: string,
) {
  const opener = style(document.createElement('button'), {
    font: '600 16px/1.2 system-ui, sans-serif',
    color: '#fff',
    background: '#1a56db',
    border: '0',
    'border-radius': '8px',
    padding: '12px 20px',
    cursor: 'pointer',
  });
  opener.type = 'button';
  opener.textContent = label;
  opener.setAttribute('aria-haspopup', 'dialog');
  const dialog = style(document.createElement('dialog'), {
    width: 'min(640px, calc(100vw - 24px))',
    'max-width': '100vw',
    'max-height': 'calc(100vh - 24px)',
    padding: '0',
    border: '0',
    'border-radius': '12px',
    overflow: 'auto',
    background: '#fff',
    'box-shadow': '0 12px 40px rgba(0,0,0,.35)',
  });
  dialog.setAttribute('aria-label', label);
  const close = closeButton();
  dialog.appendChild(close);
  dialog.appendChild(frame);
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync('dialog::backdrop{background:rgba(15,20,30,.55)}');
    (root as ShadowRoot).adoptedStyleSheets = [sheet];
  } catch {
    // the default backdrop will do
  }
  root.appendChild(opener);
  root.appendChild(dialog);
  opener.addEventListener('click', () => {
    if (typeof dialog.showModal !== 'function') {
      window.open(fallback, '_blank', 'noopener');
      return;
    }
    if (!frame.getAttribute('src')) frame.src = src;
    dialog.showModal();
    close.focus();
  });
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('click', (e) => {
    if (e.target === dialog) dialog.close();
  });
  dialog.addEventListener('close', () => opener.focus());
  return dialog;
}

function mount(script: HTMLScriptElement) {
  if (script.hasAttribute(MARK)) return;
  script.setAttribute(MARK, '');
  const slug = script.getAttribute('data-trainer');
  const origin = scriptOrigin(script.src, location.href);
  if (!slug || !origin) return;
  const popup = script.getAttribute('data-mode') === 'popup';
  const label = script.getAttribute('data-label') || 'Book a session';

  const host = insertHost(script, slug);
  const root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
  const frame = document.createElement('iframe');
  const src = frameUrl(origin, slug, location.origin, {
    name: script.getAttribute('data-name'),
    email: script.getAttribute('data-email'),
  });
  frame.title = `${label} (${slug})`;
  style(frame, { display: 'block', width: '100%', height: '520px', border: '0', margin: '0', background: '#fff' });

  const emit = (type: string, detail: Record<string, string>) => {
    let event: CustomEvent;
    try {
      event = new CustomEvent(`trainerhub:${type}`, { bubbles: true, composed: true, detail });
    } catch {
      return;
    }
    // Bubbles from the widget's element through document to window.
    host.dispatchEvent(event);
  };

  let dialog: HTMLDialogElement | null = null;
  if (popup) dialog = mountPopup(root, frame, src, label, `${origin}/book/${encodeURIComponent(slug)}`);
  else {
    frame.src = src;
    root.appendChild(frame);
  }

  window.addEventListener('message', (event) => {
    // Only our own frame, served from the widget's origin, may talk to us.
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    const m = parseMessage(event.data);
    if (!m) return;
    if (m.type === 'height') {
      const height = frameHeight(m.detail);
      if (height !== null) frame.style.height = `${height}px`;
    } else if (m.type === 'close') {
      if (dialog?.open) dialog.close();
    } else if (isEventType(m.type)) {
      emit(m.type, eventDetail(m.detail, slug));
    }
  });
}

const current = document.currentScript;
if (current instanceof HTMLScriptElement && current.hasAttribute('data-trainer')) mount(current);
const scripts = document.querySelectorAll<HTMLScriptElement>('script[data-trainer]');
for (let i = 0; i < scripts.length; i++) {
  const script = scripts[i];
  if (script && isWidgetSrc(script.src)) mount(script);
}
