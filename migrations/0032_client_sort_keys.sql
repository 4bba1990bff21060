DROP INDEX `clients_trainer_last_name_idx`;--> statement-breakpoint
ALTER TABLE `clients` ADD `first_name_key` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `clients` ADD `last_name_key` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX `clients_trainer_last_name_key_idx` ON `clients` (`trainer_id`,`last_name_key`);--> statement-breakpoint
-- Rows written before this migration: lower case only (SQLite folds ASCII); the app writes
-- `sortKey` (accents dropped too) on every later write of a name.
UPDATE `clients` SET `first_name_key` = lower(`first_name`), `last_name_key` = lower(`last_name`);
