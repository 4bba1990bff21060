// GET /widget.js: the embed script trainers paste into their own sites. Plain browser
// JavaScript served as a string; it touches nothing on the host page except the element it
// inserts, whose contents live in a shadow root so the host's CSS cannot reach them.
// Kept free of backticks and dollar-brace so it can live in this String.raw literal.
export const WIDGET_JS = String.raw`/*! TrainerHub booking widget */
(function () {
  'use strict';
  var MARK = 'data-trainerhub-mounted';
  var TYPES = { ready: 1, 'slot-selected': 1, booked: 1 };

  function style(el, rules) {
    for (var k in rules) el.style.setProperty(k, rules[k]);
    return el;
  }

  function pick(detail) {
    var out = {};
    ['trainer', 'start_time', 'end_time', 'status'].forEach(function (k) {
      if (detail && typeof detail[k] === 'string') out[k] = detail[k];
    });
    return out;
  }

  function mount(script) {
    if (script.hasAttribute(MARK)) return;
    script.setAttribute(MARK, '');
    var slug = script.getAttribute('data-trainer');
    var origin;
    try {
      origin = new URL(script.src, location.href).origin;
    } catch (e) {
      return;
    }
    if (!slug || !/^https?:/.test(origin)) return;
    var popup = script.getAttribute('data-mode') === 'popup';
    var label = script.getAttribute('data-label') || 'Book a session';

    var host = document.createElement('div');
    host.className = 'trainerhub-widget';
    host.setAttribute('data-trainer', slug);
    var parent = script.parentNode;
    if (parent && parent !== document.head && parent !== document.documentElement) {
      parent.insertBefore(host, script.nextSibling);
    } else {
      (document.body || document.documentElement).appendChild(host);
    }
    var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;

    var src = origin + '/book/' + encodeURIComponent(slug);
    var self = location.origin;
    if (self && self !== 'null') src += '?parent=' + encodeURIComponent(self);
    var frame = document.createElement('iframe');
    frame.src = src;
    frame.title = label + ' (' + slug + ')';
    style(frame, { display: 'block', width: '100%', height: '520px', border: '0', margin: '0', background: '#fff' });

    function emit(type, detail) {
      var event;
      try {
        event = new CustomEvent('trainerhub:' + type, { bubbles: true, composed: true, detail: detail });
      } catch (e) {
        return;
      }
      // Bubbles from the widget's element through document to window.
      host.dispatchEvent(event);
    }

    var dialog = null;
    var opener = null;
    if (popup) {
      opener = style(document.createElement('button'), {
        font: '600 16px/1.2 system-ui, sans-serif', color: '#fff', background: '#1a56db', border: '0',
        'border-radius': '8px', padding: '12px 20px', cursor: 'pointer',
      });
      opener.type = 'button';
      opener.textContent = label;
      opener.setAttribute('aria-haspopup', 'dialog');
      dialog = style(document.createElement('dialog'), {
        width: 'min(640px, calc(100vw - 24px))', 'max-width': '100vw', 'max-height': 'calc(100vh - 24px)',
        padding: '0', border: '0', 'border-radius': '12px', overflow: 'auto', background: '#fff',
        'box-shadow': '0 12px 40px rgba(0,0,0,.35)',
      });
      dialog.setAttribute('aria-label', label);
      var close = style(document.createElement('button'), {
        display: 'block', font: '14px/1 system-ui, sans-serif', color: '#1d2330',
        background: '#eef0f4', border: '0', 'border-radius': '6px', padding: '8px 12px', margin: '8px 8px 0 auto', cursor: 'pointer',
      });
      close.type = 'button';
      close.textContent = 'Close';
      close.setAttribute('aria-label', 'Close booking');
      dialog.appendChild(close);
      dialog.appendChild(frame);
      try {
        var sheet = new CSSStyleSheet();
        sheet.replaceSync('dialog::backdrop{background:rgba(15,20,30,.55)}');
        root.adoptedStyleSheets = [sheet];
      } catch (e) {
        // the default backdrop will do
      }
      root.appendChild(opener);
      root.appendChild(dialog);
      opener.addEventListener('click', function () {
        if (typeof dialog.showModal !== 'function') {
          window.open(origin + '/book/' + encodeURIComponent(slug), '_blank', 'noopener');
          return;
        }
        dialog.showModal();
        close.focus();
      });
      close.addEventListener('click', function () {
        dialog.close();
      });
      dialog.addEventListener('click', function (e) {
        if (e.target === dialog) dialog.close();
      });
      dialog.addEventListener('close', function () {
        opener.focus();
      });
    } else {
      root.appendChild(frame);
    }

    window.addEventListener('message', function (event) {
      // Only our own frame, served from the widget's origin, may talk to us.
      if (event.origin !== origin || event.source !== frame.contentWindow) return;
      var data = event.data;
      if (!data || typeof data !== 'object' || data.source !== 'trainerhub') return;
      var detail = data.detail && typeof data.detail === 'object' ? data.detail : {};
      if (data.type === 'height') {
        var height = Number(detail.height);
        if (height > 0 && height < 20000) frame.style.height = Math.ceil(height) + 'px';
      } else if (data.type === 'close') {
        if (dialog && dialog.open) dialog.close();
      } else if (TYPES[data.type] === 1) {
        var out = pick(detail);
        out.trainer = slug;
        emit(data.type, out);
      }
    });
  }

  var current = document.currentScript;
  if (current && current.hasAttribute('data-trainer')) mount(current);
  var scripts = document.querySelectorAll('script[data-trainer]');
  for (var i = 0; i < scripts.length; i++) {
    if (/\/widget\.js([?#]|$)/.test(scripts[i].src)) mount(scripts[i]);
  }
})();
`;
