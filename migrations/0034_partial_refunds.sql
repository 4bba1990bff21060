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
-- Every approved refund already received, applied or still parked for its payment, as a refund
-- row: its total in the currency's smallest unit, as cents (whole yen ×100, KWD's mils ÷10).
INSERT OR IGNORE INTO `payment_refunds` (`paddle_adjustment_id`, `paddle_transaction_id`, `amount_cents`, `created_at`)
SELECT json_extract(`payload`, '$.data.id'), json_extract(`payload`, '$.data.transaction_id'),
  CASE
    WHEN upper(json_extract(`payload`, '$.data.currency_code')) IN ('BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF',
      'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF')
      THEN CAST(json_extract(`payload`, '$.data.totals.total') AS INTEGER) * 100
    WHEN upper(json_extract(`payload`, '$.data.currency_code')) IN ('BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND')
      THEN CAST(round(CAST(json_extract(`payload`, '$.data.totals.total') AS INTEGER) / 10.0) AS INTEGER)
    ELSE CAST(json_extract(`payload`, '$.data.totals.total') AS INTEGER)
  END,
  `created_at`
FROM `webhook_events`
WHERE `event_type` LIKE 'adjustment.%' AND `error` IS NULL
  AND json_extract(`payload`, '$.data.action') = 'refund' AND json_extract(`payload`, '$.data.status') = 'approved'
  AND json_extract(`payload`, '$.data.id') IS NOT NULL AND json_extract(`payload`, '$.data.transaction_id') IS NOT NULL
  AND json_extract(`payload`, '$.data.totals.total') <> ''
  AND json_extract(`payload`, '$.data.totals.total') NOT GLOB '*[^0-9]*';
--> statement-breakpoint
-- A payment marked refunded whose refund events are gone was refunded in full.
INSERT OR IGNORE INTO `payment_refunds` (`paddle_adjustment_id`, `paddle_transaction_id`, `amount_cents`, `created_at`)
SELECT 'legacy-' || `paddle_transaction_id`, `paddle_transaction_id`, `amount_cents`, `updated_at` FROM `payments` p
WHERE `status` = 'refunded'
  AND NOT EXISTS (SELECT 1 FROM `payment_refunds` r WHERE r.`paddle_transaction_id` = p.`paddle_transaction_id`);
--> statement-breakpoint
-- Each completed or refunded payment takes the sum of its refunds (a partial one was taken as all).
UPDATE `payments` SET
  `refunded_cents` = min(`amount_cents`, (SELECT sum(`amount_cents`) FROM `payment_refunds` r
    WHERE r.`paddle_transaction_id` = `payments`.`paddle_transaction_id`)),
  `status` = CASE WHEN (SELECT sum(`amount_cents`) FROM `payment_refunds` r
    WHERE r.`paddle_transaction_id` = `payments`.`paddle_transaction_id`) >= `amount_cents` THEN 'refunded' ELSE 'completed' END
WHERE `status` IN ('completed', 'refunded')
  AND EXISTS (SELECT 1 FROM `payment_refunds` r WHERE r.`paddle_transaction_id` = `payments`.`paddle_transaction_id`);
