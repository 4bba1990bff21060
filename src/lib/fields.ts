// Request fields several areas share (an amount, a currency code, an https address) and the
// check of an amount against its currency.

import { currencyAmountError, isCurrency, toCents } from './money';
import { invalidField } from './problem';
import { singleLine } from './text';
import * as z from './zod';

/**
 * A whole-body check's option that runs it even when a field already failed, so that one 400
 * lists every bad field (zod skips such checks by default). The check must cope with any value
 * in the fields it reads.
 */
export const always = {
  when: (p: { value: unknown }) => typeof p.value === 'object' && p.value !== null && !Array.isArray(p.value),
};

/**
 * A positive amount as a decimal string (numbers accepted) → integer cents. Whether it suits its
 * currency (whole JPY) is `checkAmount`'s, once the currency is known.
 */
export const moneyField = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const cents = toCents(v);
    if (cents === null || cents <= 0) {
      ctx.addIssue({ code: 'custom', message: 'Use a positive amount with at most two decimals, e.g. "249.99".' });
      return z.NEVER;
    }
    return cents;
  })
  .openapi({
    type: 'string',
    example: '249.99',
    description: 'At most two decimals; whole for a currency written without them (JPY: "1500").',
  });

/** A 400 naming `field` when the amount cannot be charged in the currency (¥10.50). */
export function checkAmount(field: string, cents: number | null, currency: string | null): void {
  const error = cents !== null && currency !== null ? currencyAmountError(cents, currency) : null;
  if (error) throw invalidField(field, error);
}

/**
 * `checkAmount` of a price as a change leaves it (a field left out keeps `current`'s), naming the
 * field the request changed. Only a change of price or currency is checked: a row stored before
 * the check (¥10.50) still archives and renames.
 */
export function checkPriceChange(
  change: { price?: number | null | undefined; currency?: string | null | undefined },
  current: { priceCents: number | null; currency: string | null },
): void {
  if (change.price === undefined && change.currency === undefined) return;
  checkAmount(
    change.price !== undefined ? 'price' : 'currency',
    change.price !== undefined ? change.price : current.priceCents,
    change.currency !== undefined ? change.currency : current.currency,
  );
}

/** An ISO 4217 code, upper-cased. */
export const currencyField = singleLine()
  .trim()
  .toUpperCase()
  .refine(isCurrency, 'Use an ISO 4217 currency code such as "USD".')
  .openapi({ example: 'USD' });

/** An absolute https URL with a host and no credentials in it. */
export function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname !== '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}
