ALTER TABLE `notifications` ADD `previous_start_time` text;--> statement-breakpoint
ALTER TABLE `notifications` ADD `previous_end_time` text;