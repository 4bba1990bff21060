CREATE TABLE `payment_refunds` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`paddle_adjustment_id` text NOT NULL,
	`paddle_transaction_id` text NOT NULL,
	`amount_cents` integer NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `payment_refunds_paddle_adjustment_id_unique` ON `payment_refunds` (`paddle_adjustment_id`);--> statement-breakpoint
CREATE INDEX `payment_refunds_transaction_idx` ON `payment_refunds` (`paddle_transaction_id`);--> statement-breakpoint
ALTER TABLE `payments` ADD `refunded_cents` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Payments refunded before this migration were refunded in full.
UPDATE `payments` SET `refunded_cents` = `amount_cents` WHERE `status` = 'refunded';
