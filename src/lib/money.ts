// Every piece of money arithmetic lives here: decimal strings with two places outside,
// integer cents inside. Never floats in storage or sums.

const DECIMAL = /^\d{1,9}(?:\.\d{1,2})?$/;

/** A package's currency when none is given (as `session_packages.currency`'s default in db/schema.ts), and the analytics' without sales. */
export const DEFAULT_CURRENCY = 'USD';

/** "249.99", "250", 249.99 → 24999; null for anything else (negative, three decimals, text). */
export function toCents(value: string | number): number | null {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim();
  if (!DECIMAL.test(text)) return null;
  const [whole = '0', frac = ''] = text.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
}

/** 24999 → "249.99". */
export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(cents));
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** An ISO 4217 code the runtime knows ("USD"). */
export function isCurrency(code: string): boolean {
  if (!/^[A-Z]{3}$/.test(code)) return false;
  const supported = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf;
  return supported ? supported('currency').includes(code) : true;
}

const gcd = (a: bigint, b: bigint): bigint => {
  let [x, y] = [a < 0n ? -a : a, b < 0n ? -b : b];
  while (y) [x, y] = [y, x % y];
  return x;
};

/**
 * Σ(cents / per) ÷ divisor in whole cents, rounded half away from zero; with a `currency`, to
 * that currency's smallest unit (whole yen for JPY). Exact: the fractions are added as rationals
 * (BigInt), never as floats; 0 when the divisor is 0. Used for averages such as the value of a
 * package credit (price ÷ sessions) per delivered session.
 */
export function averageCents(terms: { cents: number; per: number }[], divisor: number, currency?: string): number {
  if (divisor <= 0) return 0;
  let num = 0n;
  let den = 1n;
  for (const t of terms) {
    if (t.per <= 0) continue;
    const d = BigInt(Math.trunc(t.per));
    num = num * d + BigInt(Math.trunc(t.cents)) * den;
    den *= d;
    const g = gcd(num, den) || 1n;
    num /= g;
    den /= g;
  }
  // In units of `step` cents (1, or 100 for a currency without decimals).
  const step = BigInt(currency ? 10 ** (2 - Math.min(2, currencyDecimals(currency))) : 1);
  den *= BigInt(Math.trunc(divisor)) * step;
  const abs = num < 0n ? -num : num;
  const rounded = ((2n * abs + den) / (2n * den)) * step;
  return Number(num < 0n ? -rounded : rounded);
}

/** How many decimals a currency's smallest unit has: 2 for USD, 0 for JPY, 3 for KWD. */
export function currencyDecimals(code: string): number {
  try {
    return (
      new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2
    );
  } catch {
    return 2;
  }
}

/**
 * Why an amount (in cents) does not suit a currency, or null when it does: ¥10.50 does not, JPY
 * being written without decimals. The decimals are those of the currency's common notation
 * (`currencyDecimals`, CLDR's), which is what Paddle's `decimal_places` gives too; three-decimal
 * currencies take any two-decimal amount.
 */
export function currencyAmountError(cents: number, code: string): string | null {
  const decimals = Math.min(2, currencyDecimals(code));
  if (cents % 10 ** (2 - decimals) === 0) return null;
  return decimals === 0
    ? `${code} amounts are whole numbers, e.g. "1500".`
    : `${code} amounts have at most ${decimals} decimal${decimals === 1 ? '' : 's'}.`;
}

/**
 * An amount in a currency's smallest unit (as payment providers send it) → our cents. For JPY,
 * 1000 units are ¥1000 = 100000 cents ("1000.00"); for KWD (3 decimals) the last digit is rounded.
 */
export function minorUnitsToCents(minor: number, currency: string): number {
  const decimals = currencyDecimals(currency);
  return decimals === 2 ? minor : Math.round(minor * 10 ** (2 - decimals));
}

/** An amount for people, from the exact decimal string (never a float): 8000 USD cents → "$80.00". */
export function displayAmount(cents: number, currency: string): string {
  const text = formatCents(cents) as `${number}`;
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).format(text);
  } catch {
    return `${text} ${currency}`;
  }
}
