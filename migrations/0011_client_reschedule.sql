ALTER TABLE `trainers` ADD `allow_client_reschedule` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `trainers` ADD `reschedule_cutoff_hours` integer;