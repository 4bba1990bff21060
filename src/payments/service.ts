// The payments area: the trainer's TrainerHub subscription through Paddle Billing.
export { listPayments, listSubscriptions, toPaymentOut, toSubscriptionOut } from './queries';
export { cancelSubscription, createCheckout } from './subscriptions';
export { handleWebhook, parseWebhook } from './webhook';
