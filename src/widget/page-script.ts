// The booking pages' one script (/book/assets/app.js), plain browser JavaScript served as a
// string: no framework, no build step, no third-party request. It talks only to this origin's
// public API, and to the embedding page only through postMessage to the origin the widget named.
// Kept free of backticks and dollar-brace so it can live in this String.raw literal.
export const PAGE_JS = String.raw`'use strict';
(() => {
  const app = document.getElementById('app');
  if (!app) return;
  const $ = (id) => document.getElementById(id);
  const show = (el, on) => { el.hidden = !on; };

  // The widget passes ?parent=<its page's origin>. Messages go to exactly that origin: if the
  // page that really embeds us is another one, the browser drops them.
  const parentOrigin = (() => {
    if (window.parent === window) return null;
    const claimed = new URLSearchParams(location.search).get('parent');
    if (!claimed) return null;
    try {
      const url = new URL(claimed);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === claimed ? claimed : null;
    } catch (e) {
      return null;
    }
  })();
  const post = (type, detail) => {
    if (parentOrigin) window.parent.postMessage({ source: 'trainerhub', type: type, detail: detail || {} }, parentOrigin);
  };
  if (parentOrigin) {
    document.documentElement.classList.add('embedded');
    let last = 0;
    const sendHeight = () => {
      const height = Math.ceil(app.getBoundingClientRect().height);
      if (height !== last) {
        last = height;
        post('height', { height: height });
      }
    };
    if ('ResizeObserver' in window) new ResizeObserver(sendHeight).observe(app);
    window.addEventListener('load', sendHeight);
    // Focus inside this frame keeps Escape from reaching the widget's dialog: ask it to close.
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') post('close');
    });
  }

  const FORMATS = {
    key: { year: 'numeric', month: '2-digit', day: '2-digit' },
    time: { hour: '2-digit', minute: '2-digit' },
    weekday: { weekday: 'short' },
    dayMonth: { day: 'numeric', month: 'short' },
    dayLong: { weekday: 'long', day: 'numeric', month: 'long' },
    full: { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: 'numeric', minute: '2-digit' },
  };
  const formatters = new Map();
  const format = (name, zone, date) => {
    const key = name + '|' + zone;
    let f = formatters.get(key);
    if (!f) {
      f = new Intl.DateTimeFormat(name === 'key' ? 'en-CA' : undefined, Object.assign({ timeZone: zone }, FORMATS[name]));
      formatters.set(key, f);
    }
    return name === 'key' ? f.formatToParts(date) : f.format(date);
  };
  const validZone = (zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch (e) {
      return false;
    }
  };
  const visitorZone = (() => {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
    } catch (e) {
      return 'UTC';
    }
  })();
  /** YYYY-MM-DD of an instant in a zone. */
  const dateKey = (iso, zone) => {
    const parts = format('key', zone, new Date(iso));
    const part = (type) => (parts.find((p) => p.type === type) || { value: '' }).value;
    return part('year') + '-' + part('month') + '-' + part('day');
  };
  /** A calendar date's label; noon UTC names the same day everywhere. */
  const dayLabel = (key, name) => format(name, 'UTC', new Date(key + 'T12:00:00Z'));
  const when = (b, zone) =>
    format('full', zone, new Date(b.start_time)) + ' – ' + format('time', zone, new Date(b.end_time));

  const api = async (method, path, body, headers) => {
    const init = { method: method, headers: Object.assign({ Accept: 'application/json' }, headers), credentials: 'omit' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      return { status: 0, data: null, headers: new Headers() };
    }
    let data = null;
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
    return { status: res.status, data: data, headers: res.headers };
  };

  const status = $('status');
  const alertBox = $('alert');
  const showAlert = (text) => {
    alertBox.textContent = text;
    show(alertBox, !!text);
  };
  const setFieldError = (name, text) => {
    const input = $('f-' + name);
    const error = $('e-' + name);
    if (!input || !error) return false;
    error.textContent = text;
    show(error, !!text);
    if (text) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', 'e-' + name);
    } else {
      input.removeAttribute('aria-invalid');
      input.removeAttribute('aria-describedby');
    }
    return true;
  };
  const messages = (value) => (Array.isArray(value) ? value : [value]).map(String).join(' ');
  const retryText = (res) => {
    const seconds = res.headers.get('Retry-After');
    return 'Too many attempts. Please try again' + (seconds ? ' in ' + seconds + ' seconds.' : ' later.');
  };
  const uuid = () =>
    crypto.randomUUID
      ? crypto.randomUUID()
      : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');

  const bookingPage = () => {
    const slug = app.dataset.slug || '';
    const trainerZone = app.dataset.timezone || 'UTC';
    const base = '/api/public/trainers/' + encodeURIComponent(slug) + '/';
    const FIELDS = ['first_name', 'last_name', 'email', 'phone', 'notes'];
    const pick = $('pick');
    const daysEl = $('days');
    const timesEl = $('times');
    const timesHeading = $('times-h');
    const form = $('form');
    const formError = $('form-error');
    const submit = $('submit');
    const done = $('done');
    const zoneSelect = $('tz');
    let zone = validZone(visitorZone) ? visitorZone : trainerZone;
    let apiDays = [];
    let days = [];
    let selectedDay = null;
    let selected = null;
    let sending = false;
    let ready = false;

    const zones = [];
    [visitorZone, trainerZone, 'UTC', 'Europe/London', 'Europe/Berlin', 'America/New_York', 'America/Chicago',
      'America/Los_Angeles', 'Asia/Kolkata', 'Asia/Tokyo', 'Australia/Sydney'].forEach((z) => {
      if (z && zones.indexOf(z) < 0 && validZone(z)) zones.push(z);
    });
    zoneSelect.textContent = '';
    zones.forEach((z) => {
      const option = document.createElement('option');
      const tags = [];
      if (z === visitorZone) tags.push('yours');
      if (z === trainerZone) tags.push("trainer's");
      option.value = z;
      option.textContent = z.replace(/_/g, ' ') + (tags.length ? ' (' + tags.join(', ') + ')' : '');
      zoneSelect.appendChild(option);
    });
    zoneSelect.value = zone;
    zoneSelect.addEventListener('change', () => {
      zone = zoneSelect.value;
      renderDays();
      if (selected) $('chosen').textContent = when(selected, zone);
    });

    /** The API's days (trainer's dates) regrouped by date in the zone shown; empty days stay, disabled. */
    const group = () => {
      const byDate = new Map();
      apiDays.forEach((d) => {
        if (!byDate.has(d.date)) byDate.set(d.date, []);
      });
      apiDays.forEach((d) =>
        (d.slots || []).forEach((s) => {
          const key = dateKey(s.start_time, zone);
          if (!byDate.has(key)) byDate.set(key, []);
          byDate.get(key).push(s);
        }),
      );
      return Array.from(byDate.keys())
        .sort()
        .map((date) => ({ date: date, slots: byDate.get(date).sort((a, b) => Date.parse(a.start_time) - Date.parse(b.start_time)) }));
    };

    const renderTimes = () => {
      const day = days.find((d) => d.date === selectedDay);
      timesEl.textContent = '';
      timesHeading.textContent = day ? 'Choose a time on ' + dayLabel(day.date, 'dayLong') : 'Choose a time';
      (day ? day.slots : []).forEach((s) => {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'slot';
        button.textContent = format('time', zone, new Date(s.start_time));
        button.dataset.start = s.start_time;
        button.setAttribute('aria-pressed', String(!!selected && selected.start_time === s.start_time));
        button.addEventListener('click', () => choose(s));
        timesEl.appendChild(button);
      });
    };

    const renderDays = () => {
      days = group();
      const open = days.filter((d) => d.slots.length);
      if (!open.some((d) => d.date === selectedDay)) selectedDay = open.length ? open[0].date : null;
      daysEl.textContent = '';
      days.forEach((d) => {
        const button = document.createElement('button');
        const date = document.createElement('span');
        const count = document.createElement('small');
        const n = d.slots.length;
        button.type = 'button';
        button.className = 'day';
        button.dataset.date = d.date;
        button.textContent = dayLabel(d.date, 'weekday');
        date.textContent = dayLabel(d.date, 'dayMonth');
        count.textContent = n ? n + (n === 1 ? ' time' : ' times') : 'No times';
        button.appendChild(date);
        button.appendChild(count);
        button.setAttribute('aria-label', dayLabel(d.date, 'dayLong') + ', ' + count.textContent);
        button.setAttribute('aria-pressed', String(d.date === selectedDay));
        button.disabled = !n;
        button.addEventListener('click', () => {
          selectedDay = d.date;
          daysEl.querySelectorAll('.day').forEach((b) => b.setAttribute('aria-pressed', String(b === button)));
          renderTimes();
        });
        daysEl.appendChild(button);
      });
      status.textContent = open.length ? '' : 'No free times in the next two weeks. Please check back later.';
      renderTimes();
    };

    const load = async (fresh) => {
      // Availability is cached for 15 s; after a booking or a conflict, bust the cache.
      const res = await api('GET', base + 'availability/' + (fresh ? '?_=' + Date.now() : ''));
      if (res.status === 200 && res.data && Array.isArray(res.data.days)) {
        apiDays = res.data.days;
        renderDays();
        return true;
      }
      status.textContent = '';
      if (res.status === 429) showAlert(retryText(res));
      else if (res.status === 404) showAlert('This booking page is not available.');
      else showAlert('Available times could not be loaded. Please try again later.');
      return false;
    };

    const clearErrors = () => {
      FIELDS.forEach((name) => setFieldError(name, ''));
      formError.textContent = '';
      show(formError, false);
    };
    const formFail = (text) => {
      formError.textContent = text;
      show(formError, true);
    };
    FIELDS.forEach((name) => $('f-' + name).addEventListener('input', () => setFieldError(name, '')));

    const showPicker = () => {
      show(form, false);
      show(done, false);
      show(pick, true);
    };
    const choose = (slot) => {
      selected = { start_time: slot.start_time, end_time: slot.end_time };
      post('slot-selected', selected);
      showAlert('');
      clearErrors();
      $('chosen').textContent = when(selected, zone);
      show(pick, false);
      show(form, true);
      $('f-first_name').focus();
    };
    $('change').addEventListener('click', () => {
      showPicker();
      renderTimes();
      const current = timesEl.querySelector('[aria-pressed="true"]');
      (current || timesHeading).focus();
    });

    const taken = async (text) => {
      selected = null;
      showPicker();
      await load(true);
      showAlert(text);
      timesHeading.focus();
    };

    const manageToken = (url) => {
      try {
        const m = /\/book\/manage\/([^/?#]+)\/?$/.exec(new URL(url, location.href).pathname);
        return m ? m[1] : null;
      } catch (e) {
        return null;
      }
    };
    const booked = (b) => {
      const pending = b.status === 'pending';
      const who = b.business_name || 'your trainer';
      const token = manageToken(b.manage_url);
      showAlert('');
      show(form, false);
      show(pick, false);
      $('done-h').textContent = pending ? 'Booking requested' : 'You are booked';
      $('done-when').textContent = when(b, zone);
      $('done-status').textContent = pending
        ? 'Your request has been sent to ' + who + ', who will confirm it soon.'
        : 'Your session with ' + who + ' is confirmed.';
      const manage = $('done-manage');
      const ics = $('done-ics');
      if (token) {
        const given = /^https?:/.test(String(b.manage_url)) ? String(b.manage_url) : '';
        manage.href = given || location.origin + '/book/manage/' + token;
        ics.href = '/api/public/bookings/' + token + '/ics';
      }
      show(manage.parentNode, !!token);
      show(ics.parentNode, !!token);
      show(done, true);
      $('done-h').focus();
      post('booked', { start_time: b.start_time, end_time: b.end_time, status: b.status });
    };

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (sending || !selected) return;
      clearErrors();
      const value = (name) => form.elements.namedItem(name).value.trim();
      const body = { start_time: selected.start_time, first_name: value('first_name'), last_name: value('last_name'), email: value('email') };
      ['phone', 'notes', 'website'].forEach((name) => {
        if (value(name)) body[name] = value(name);
      });
      sending = true;
      submit.disabled = true;
      submit.textContent = 'Booking…';
      const res = await api('POST', base + 'bookings/', body, { 'Idempotency-Key': uuid() });
      sending = false;
      submit.disabled = false;
      submit.textContent = 'Confirm booking';
      const problem = res.data || {};
      if (res.status === 201 && res.data) return booked(res.data);
      if (res.status === 409) return taken('This time was just taken. Please choose another time.');
      if (res.status === 400 && problem.errors && typeof problem.errors === 'object') {
        let first = null;
        const rest = [];
        Object.keys(problem.errors).forEach((name) => {
          const text = messages(problem.errors[name]);
          if (FIELDS.indexOf(name) >= 0 && setFieldError(name, text)) first = first || $('f-' + name);
          else if (name === 'start_time') rest.push('This time can no longer be booked: ' + text);
          else rest.push(text);
        });
        if (rest.length) formFail(rest.join(' '));
        if (first) first.focus();
        else formError.scrollIntoView({ block: 'nearest' });
        return;
      }
      if (res.status === 429) formFail(retryText(res));
      else if (res.status === 413) formFail('That is too much text. Please shorten your notes and try again.');
      else if (res.status === 0) formFail('No connection. Check your network and try again.');
      else formFail(problem.detail || 'The booking could not be completed. Please try again.');
      formError.scrollIntoView({ block: 'nearest' });
    });

    $('again').addEventListener('click', async () => {
      selected = null;
      $('f-notes').value = '';
      showPicker();
      await load(true);
      timesHeading.focus();
    });

    load(false).then((ok) => {
      show(pick, ok);
      if (!ready) post('ready', { trainer: slug });
      ready = true;
    });
  };

  const managePage = async () => {
    const token = app.dataset.token || '';
    const base = '/api/public/bookings/' + encodeURIComponent(token) + '/';
    const zone = validZone(visitorZone) ? visitorZone : 'UTC';
    const STATUS = { pending: 'Waiting for the trainer to confirm', confirmed: 'Confirmed', cancelled: 'Cancelled', completed: 'Completed' };
    const cancel = $('cancel');
    const cancelButton = $('cancel-submit');
    const heading = $('business');
    let sending = false;

    const render = (b) => {
      heading.textContent = b.business_name ? 'Your booking with ' + b.business_name : 'Your booking';
      $('b-when').textContent = when(b, zone);
      $('b-tz').textContent = zone.replace(/_/g, ' ') + (b.timezone && b.timezone !== zone ? " (the trainer's is " + b.timezone.replace(/_/g, ' ') + ')' : '');
      $('b-status').textContent = STATUS[b.status] || String(b.status);
      $('b-business').textContent = b.business_name || '';
      $('b-ics').href = base + 'ics';
      show($('b-ics').parentNode, b.status !== 'cancelled');
      show(cancel, (b.status === 'pending' || b.status === 'confirmed') && Date.parse(b.start_time) > Date.now());
      show($('booking'), true);
    };

    cancel.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (sending) return;
      setFieldError('reason', '');
      showAlert('');
      const reason = $('f-reason').value.trim();
      sending = true;
      cancelButton.disabled = true;
      cancelButton.textContent = 'Cancelling…';
      const res = await api('POST', base + 'cancel/', reason ? { reason: reason } : {});
      sending = false;
      cancelButton.disabled = false;
      cancelButton.textContent = 'Cancel booking';
      if (res.status === 200 && res.data) {
        render(res.data);
        status.textContent = 'Your booking is cancelled.';
        heading.setAttribute('tabindex', '-1');
        heading.focus();
        return;
      }
      const problem = res.data || {};
      if (res.status === 400 && problem.errors && problem.errors.reason) {
        setFieldError('reason', messages(problem.errors.reason));
        $('f-reason').focus();
      } else if (res.status === 409) showAlert(problem.detail || 'This booking can no longer be cancelled.');
      else if (res.status === 429) showAlert(retryText(res));
      else showAlert(problem.detail || 'The booking could not be cancelled. Please try again.');
    });

    const res = await api('GET', base);
    status.textContent = '';
    if (res.status === 200 && res.data) render(res.data);
    else if (res.status === 404) showAlert('This booking link is not valid. Check the link in your confirmation email.');
    else if (res.status === 429) showAlert(retryText(res));
    else showAlert('Your booking could not be loaded. Please try again later.');
    post('ready', {});
  };

  if (app.dataset.page === 'book') bookingPage();
  else if (app.dataset.page === 'manage') managePage();
})();
`;
