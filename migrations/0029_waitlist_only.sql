ALTER TABLE `bookings` ADD `waitlist_only` integer DEFAULT false NOT NULL;--> statement-breakpoint
-- bookings.waitlist_only: 1 while a class place has never held a seat. A place booked onto the
-- waitlist starts at 1; promotion (to pending or confirmed) clears it for good; leaving the
-- waitlist (the client's or trainer's cancel, the cut-off lapse, the class cancelled) keeps it, so
-- the analytics can tell such a "cancelled" row from a cancelled booking and count it nowhere.
-- Triggers keep it, whoever writes the row.
CREATE TRIGGER `waitlist_only_insert` AFTER INSERT ON `bookings`
WHEN NEW.`status` = 'waitlisted'
BEGIN
  UPDATE `bookings` SET `waitlist_only` = 1 WHERE `id` = NEW.`id`;
END;
--> statement-breakpoint
CREATE TRIGGER `waitlist_only_seated` AFTER UPDATE OF `status` ON `bookings`
WHEN OLD.`status` = 'waitlisted' AND NEW.`status` IN ('pending', 'confirmed', 'completed', 'no_show')
BEGIN
  UPDATE `bookings` SET `waitlist_only` = 0 WHERE `id` = NEW.`id`;
END;
--> statement-breakpoint
-- The rows written before: those waiting now, and those the cut-off lapsed (their reason says so).
-- A place that left the waitlist otherwise is no longer told apart and stays a cancelled booking.
UPDATE `bookings` SET `waitlist_only` = 1 WHERE `status` = 'waitlisted'
  OR (`status` = 'cancelled' AND `class_session_id` IS NOT NULL AND `cancellation_reason` = 'waitlist_expired');
--> statement-breakpoint
-- Stored month figures were written counting such places as cancelled: the hourly cron writes them again.
DELETE FROM `booking_month_stats`;
