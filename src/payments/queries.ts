// The trainer's subscription and payments as stored (Paddle is the only writer of both).
import { and, desc, eq } from 'drizzle-orm';
import { type Payment, payments, type Subscription, subscriptions } from '../db/schema';
import type { Db } from '../lib/db';
import { formatCents } from '../lib/money';
import { countedPage, type PageQuery, pageOffset } from '../lib/pagination';
import type { PaymentListQuery, SubscriptionOut, SubscriptionStatus } from './schemas';

export const toSubscriptionOut = (s: Subscription): SubscriptionOut => ({
  id: s.id,
  paddle_subscription_id: s.paddleSubscriptionId,
  paddle_customer_id: s.paddleCustomerId,
  // Mirrors Paddle's spelling; Paddle is the only writer of this column.
  status: s.status as SubscriptionStatus,
  price_id: s.priceId,
  next_billing_date: s.nextBillingDate,
  scheduled_cancel_at: s.scheduledCancelAt,
  created_at: s.createdAt,
  updated_at: s.updatedAt,
});

export const toPaymentOut = (p: Payment) => ({
  id: p.id,
  subscription: p.subscriptionId,
  amount: formatCents(p.amountCents),
  currency: p.currency,
  paddle_transaction_id: p.paddleTransactionId,
  status: p.status,
  refunded_amount: formatCents(p.refundedCents),
  error_code: p.errorCode,
  created_at: p.createdAt,
});

// ---- the trainer's subscription ----------------------------------------------------------

export async function listSubscriptions(db: Db, trainerId: number, q: PageQuery) {
  const where = eq(subscriptions.trainerId, trainerId);
  const { count, rows } = await countedPage(
    db,
    subscriptions,
    where,
    db
      .select()
      .from(subscriptions)
      .where(where)
      .orderBy(desc(subscriptions.id))
      .limit(q.page_size)
      .offset(pageOffset(q)),
  );
  return { count, results: rows.map(toSubscriptionOut) };
}

export async function listPayments(db: Db, trainerId: number, q: PaymentListQuery) {
  const where = and(eq(payments.trainerId, trainerId), q.status ? eq(payments.status, q.status) : undefined);
  const { count, rows } = await countedPage(
    db,
    payments,
    where,
    db
      .select()
      .from(payments)
      .where(where)
      .orderBy(desc(payments.createdAt), desc(payments.id))
      .limit(q.page_size)
      .offset(pageOffset(q)),
  );
  return { count, results: rows.map(toPaymentOut) };
}
