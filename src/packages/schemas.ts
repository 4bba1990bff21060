import { LEDGER_REASONS } from '../db/schema';
import { currencyField, moneyField } from '../lib/fields';
import { toCents } from '../lib/money';
import { boolQuery, digits } from '../lib/openapi';
import { pageQuery } from '../lib/pagination';
import { multiLine, singleLine } from '../lib/text';
import * as z from '../lib/zod';
import { dateField } from '../scheduling/schemas';

const packageFields = {
  name: singleLine().trim().min(1).max(200),
  description: multiLine().max(5000),
  sessions_count: z.number().int().min(1).max(1000),
  price: moneyField,
  currency: currencyField,
  validity_days: z.number().int().min(1).max(3650).nullable(),
  is_active: z.boolean(),
  services: z
    .array(z.number().int().positive())
    .max(100)
    .openapi({
      description:
        'Ids of your services the credits may be spent on; [] = every service. On a change the list replaces the old one.',
      example: [3, 7],
    }),
};

export const packageCreateBody = z
  .strictObject(packageFields)
  .partial()
  .required({ name: true, sessions_count: true, price: true })
  .openapi('PackageCreate');
export const packagePatchBody = z.strictObject(packageFields).partial().openapi('PackageUpdate');
export type PackageInput = z.infer<typeof packagePatchBody>;

export const packageOut = z
  .object({
    id: z.number().int(),
    name: z.string(),
    description: z.string(),
    sessions_count: z.number().int(),
    price: z.string(),
    currency: z.string(),
    validity_days: z.number().int().nullable(),
    is_active: z.boolean(),
    services: z
      .array(z.number().int())
      .openapi({ description: 'Ids of the services the credits may be spent on; [] = every service.' }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Package');

/** An amount of money that may be zero, in cents. */
const paidAmount = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const cents = toCents(v);
    if (cents === null) {
      ctx.addIssue({ code: 'custom', message: 'Use an amount of 0 or more with at most two decimals, e.g. "199.00".' });
      return z.NEVER;
    }
    return cents;
  })
  .openapi({ type: 'string', example: '199.00' });

export const assignBody = z
  .strictObject({
    client_id: z.number().int().positive(),
    expiry_date: dateField.nullable().optional(),
    price_paid: paidAmount.optional(),
  })
  .openapi('PackageAssign');

export const refundBody = z
  .strictObject({
    amount: paidAmount.optional().openapi({
      description:
        'What is paid back, in the pack’s currency, at most `price_paid`. Omitted: the unused share, `price_paid` × `sessions_remaining` ÷ `sessions_total`, rounded to the currency’s smallest unit. "0" ends the pack without paying back.',
    }),
    reason: multiLine().trim().max(1000).optional(),
  })
  .openapi('ClientPackageRefund');
export type RefundInput = z.infer<typeof refundBody>;

export const clientPackageOut = z
  .object({
    id: z.number().int(),
    client: z.number().int(),
    client_name: z.string(),
    session_package: z.number().int(),
    package_name: z.string(),
    services: z.array(z.number().int()).openapi({
      description:
        "Ids of the services its credits may be spent on (its package's list, as it is now); [] = every service.",
    }),
    sessions_total: z.number().int(),
    sessions_remaining: z.number().int(),
    sessions_reserved: z.number().int(),
    sessions_available: z.number().int(),
    expiry_date: z.string().nullable(),
    is_expired: z.boolean(),
    is_active: z.boolean(),
    price_paid: z.string(),
    currency: z.string(),
    purchased_at: z.string(),
    refunded: z.string().nullable().openapi({
      description: 'What was paid back when the pack was refunded (its credits then went to 0); null: never refunded.',
    }),
    refunded_at: z.string().nullable(),
    refund_reason: z.string().openapi({
      description: "Why it was refunded, as the trainer gave it ('' if not); the client sees it on their packs too.",
    }),
  })
  .openapi('ClientPackage');
export type ClientPackageOut = z.infer<typeof clientPackageOut>;

export const ledgerOut = z
  .object({
    id: z.number().int(),
    client_package: z.number().int(),
    booking: z.number().int().nullable(),
    delta: z.number().int(),
    reason: z.enum(LEDGER_REASONS),
    balance_after: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'sessions_remaining right after this change (null for entries older than the field)' }),
    at: z.string(),
  })
  .openapi('PackageLedgerEntry');

export const packageListQuery = pageQuery.extend({ is_active: boolQuery });
export const clientPackageListQuery = pageQuery.extend({
  client: digits(z.number().int().positive()).optional(),
  is_active: boolQuery,
});
export type ClientPackageListQuery = z.infer<typeof clientPackageListQuery>;
