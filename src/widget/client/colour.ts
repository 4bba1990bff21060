// The trainer's brand colour made readable: WCAG 2 relative luminance and contrast ratios, the
// text colour (black or white) with the higher ratio on a colour, and the colour darkened or
// lightened until it reaches a ratio against the page. Pure: no DOM, unit-tested without a browser.

export type Rgb = [number, number, number];

/** WCAG 2.2 minimums: body text (1.4.3) and focus rings, borders and other UI parts (1.4.11). */
export const TEXT_CONTRAST = 4.5;
export const UI_CONTRAST = 3;

const HEX = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i;

/** `#rrggbb` → [r, g, b] (0–255), or null for anything else. */
export function parseHex(hex: string): Rgb | null {
  const m = HEX.exec(hex);
  return m ? [parseInt(m[1] as string, 16), parseInt(m[2] as string, 16), parseInt(m[3] as string, 16)] : null;
}

export const toHex = (rgb: Rgb): string =>
  `#${rgb
    .map((c) =>
      Math.round(Math.min(255, Math.max(0, c)))
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;

const linear = (c: number): number => {
  const s = c / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
};

/** WCAG relative luminance, 0 (black) … 1 (white). */
export const luminance = ([r, g, b]: Rgb): number => 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);

/** WCAG contrast ratio of two colours, 1 … 21, whichever is lighter. */
export function contrast(a: Rgb, b: Rgb): number {
  const la = luminance(a);
  const lb = luminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

const BLACK: Rgb = [0, 0, 0];
const WHITE: Rgb = [255, 255, 255];

/** The text colour for a background: black or white, whichever contrasts more (always ≥ 4.58:1). */
export const textOn = (bg: Rgb): Rgb => (contrast(bg, BLACK) >= contrast(bg, WHITE) ? BLACK : WHITE);

const mix = (from: Rgb, to: Rgb, t: number): Rgb => [
  from[0] + (to[0] - from[0]) * t,
  from[1] + (to[1] - from[1]) * t,
  from[2] + (to[2] - from[2]) * t,
];

/**
 * `colour` moved the least distance towards black (on a light page) or white (on a dark one)
 * that gives it at least `min`:1 against `page`; unchanged when it already does. Channels are
 * whole numbers, and the answer's ratio is checked again, so it is never below `min`.
 */
export function readableOn(colour: Rgb, page: Rgb, min: number): Rgb {
  if (contrast(colour, page) >= min) return colour;
  const target = textOn(page);
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 20; i++) {
    const mid = (lo + hi) / 2;
    if (contrast(mix(colour, target, mid), page) >= min) hi = mid;
    else lo = mid;
  }
  // Whole channels rounded towards the target, so rounding never takes contrast away.
  const round = target[0] ? Math.ceil : Math.floor;
  const rgb = mix(colour, target, hi).map((c) => round(c)) as Rgb;
  return contrast(rgb, page) >= min ? rgb : target;
}

/** The booking page's colours, as the CSS custom properties of page.css name them. */
export interface BrandPalette {
  /** Buttons and the selected day and time. */
  '--brand': string;
  /** Text on `--brand`. */
  '--on-brand': string;
  /** Links and text in the brand colour: ≥ 4.5:1 against the page and the tint of the chosen time. */
  '--brand-text': string;
  /** Focus rings, borders and hover outlines: ≥ 3:1 against the page. */
  '--brand-ui': string;
}

/** The light box around the chosen time (`.chosen` in page.css), whose "Change time" link is brand text. */
export const CHOSEN_TINT = '#eef3ff';

/**
 * The palette of a `#rrggbb` brand colour on a page background; null when the colour is not one.
 * Brand text must read on the page and on the chosen time's tint (a light page's only other
 * surface it sits on), so it is made readable on each in turn: moving it towards black for the
 * tint only adds to its contrast with the lighter page.
 */
export function brandPalette(hex: string, page = '#ffffff'): BrandPalette | null {
  const brand = parseHex(hex);
  const bg = parseHex(page);
  const tint = parseHex(CHOSEN_TINT) as Rgb;
  if (!brand || !bg) return null;
  const text = readableOn(brand, bg, TEXT_CONTRAST);
  return {
    '--brand': toHex(brand),
    '--on-brand': toHex(textOn(brand)),
    '--brand-text': toHex(luminance(bg) > luminance(tint) ? readableOn(text, tint, TEXT_CONTRAST) : text),
    '--brand-ui': toHex(readableOn(brand, bg, UI_CONTRAST)),
  };
}
