// Roving tabindex for a group of buttons (the days, the times): the group is one tab stop, and
// Left/Up, Right/Down, Home and End move focus among its enabled buttons (WAI-ARIA APG).

const KEYS: Record<string, (index: number, count: number) => number> = {
  ArrowLeft: (i) => i - 1,
  ArrowUp: (i) => i - 1,
  ArrowRight: (i) => i + 1,
  ArrowDown: (i) => i + 1,
  Home: () => 0,
  End: (_i, n) => n - 1,
};

const items = (group: HTMLElement): HTMLButtonElement[] =>
  Array.prototype.filter.call(group.querySelectorAll('button'), (b: HTMLButtonElement) => !b.disabled);

/** Makes `current` (or the pressed button, or the first enabled one) the group's only tab stop. */
export function setTabStop(group: HTMLElement, current?: HTMLElement | null): void {
  const all = items(group);
  const stop = current || all.find((b) => b.getAttribute('aria-pressed') === 'true') || all[0];
  for (const b of group.querySelectorAll('button')) b.tabIndex = b === stop ? 0 : -1;
}

/** Arrow keys, Home and End move focus inside `group`; `onMove` hears of each move (e.g. to select). */
export function roving(group: HTMLElement, onMove?: (button: HTMLButtonElement) => void): void {
  group.addEventListener('keydown', (e) => {
    const step = KEYS[e.key];
    if (!step || e.altKey || e.ctrlKey || e.metaKey) return;
    const all = items(group);
    if (!all.length) return;
    const from = all.indexOf(document.activeElement as HTMLButtonElement);
    const next = all[Math.min(all.length - 1, Math.max(0, step(Math.max(from, 0), all.length)))];
    if (!next) return;
    e.preventDefault();
    setTabStop(group, next);
    next.focus();
    if (onMove) onMove(next);
  });
}
