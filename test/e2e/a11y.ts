// The accessibility script every page people see is run through, in Chromium: axe-core's WCAG 2
// A/AA rules (labels, text contrast >= 4.5:1 (3:1 for large text), heading order, `lang`, names of
// links and buttons...), plus what axe does not check: a visible focus ring of at least 3:1 against
// the background around it, on every focusable element.
import { createRequire } from 'node:module';
import type { Frame, Page } from 'playwright-core';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export interface A11yFinding {
  rule: string;
  help: string;
  targets: string[];
}

/** axe-core's violations on the page (or frame), one entry per rule with the elements it failed on. */
export async function axeViolations(
  target: Page | Frame,
  options: { exclude?: string[] } = {},
): Promise<A11yFinding[]> {
  await target.addScriptTag({ path: AXE });
  // In-page code is a string: this file is type-checked without the DOM library.
  return target.evaluate<A11yFinding[]>(`(async () => {
    const result = await axe.run(
      { include: [document], exclude: ${JSON.stringify(options.exclude ?? [])}.map((s) => [s]) },
      { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } },
    );
    return result.violations.map((v) => ({ rule: v.id, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  })()`);
}

/** Contrast ratio of two CSS colours (rgb()/rgba() strings as getComputedStyle gives them). */
export function contrast(a: string, b: string): number {
  const lum = (css: string) => {
    const [r = 0, g = 0, bl = 0] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const hi = Math.max(lum(a), lum(b));
  const lo = Math.min(lum(a), lum(b));
  return (hi + 0.05) / (lo + 0.05);
}

export interface FocusRing {
  element: string;
  ring: string;
  background: string;
  ratio: number;
}

/**
 * Tabs through the page (up to `limit` stops) and reads each focused element's ring: its outline
 * colour (or, with no outline, its box-shadow colour) against the first opaque background behind it.
 * An element with neither gets ratio 0.
 */
const READ_RING = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const label = (el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 20);
  const element = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.getAttribute('name') ? '[name=' + el.getAttribute('name') + ']' : '') + ':' + label;
  const hasOutline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow !== 'none' ? ((style.boxShadow.match(/rgba?\\([^)]*\\)/) || [''])[0]) : '';
  const ring = hasOutline ? style.outlineColor : shadow;
  let background = 'rgb(255, 255, 255)';
  for (let n = el.parentElement; n; n = n.parentElement) {
    const c = getComputedStyle(n).backgroundColor;
    const alpha = c.startsWith('rgba') ? Number((c.match(/[\\d.]+/g) || [])[3] || '1') : 1;
    if (alpha > 0.5) { background = c; break; }
  }
  return { element, ring, background };
})()`;

export async function focusRings(page: Page, limit = 40): Promise<FocusRing[]> {
  const rings: FocusRing[] = [];
  const seen = new Set<string>();
  await page.evaluate('document.activeElement && document.activeElement.blur && document.activeElement.blur()');
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const ring = await page.evaluate<Omit<FocusRing, 'ratio'> | null>(READ_RING);
    if (!ring) continue;
    if (seen.has(ring.element)) break;
    seen.add(ring.element);
    rings.push({ ...ring, ratio: ring.ring ? contrast(ring.ring, ring.background) : 0 });
  }
  return rings;
}
