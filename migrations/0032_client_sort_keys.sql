DROP INDEX `clients_trainer_last_name_idx`;--> statement-breakpoint
ALTER TABLE `clients` ADD `first_name_key` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `clients` ADD `last_name_key` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX `clients_trainer_last_name_key_idx` ON `clients` (`trainer_id`,`last_name_key`);--> statement-breakpoint
-- Rows written before this migration: lower case only (SQLite folds ASCII), so an accented name
-- among them sorts after "z" until its next write, when the app writes `sortKey` (accents dropped
-- too); search also matches the names as typed (`clientNameContains`), so such a row is found.
UPDATE `clients` SET `first_name_key` = lower(`first_name`), `last_name_key` = lower(`last_name`);
