ALTER TABLE `trainers` ADD `brand_color` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `trainers` ADD `photo_url` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `trainers` ADD `bio` text DEFAULT '' NOT NULL;