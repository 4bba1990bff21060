ALTER TABLE `client_packages` ADD `refunded_cents` integer;--> statement-breakpoint
ALTER TABLE `client_packages` ADD `refunded_at` text;--> statement-breakpoint
ALTER TABLE `client_packages` ADD `refund_reason` text DEFAULT '' NOT NULL;