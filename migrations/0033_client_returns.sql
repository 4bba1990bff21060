-- A client made inactive (a former client, kept instead of deleted) who books again, or is sold a
-- pack, is a client again: active, shown in the trainer's active list, paying with their packs.
-- A booking counts when the trainer made it (one booking, a series, a class place) or once it is
-- confirmed: a request from the booking page (where anyone may type any email) or a client
-- account counts when the trainer confirms it, or auto-confirm does.
CREATE TRIGGER `client_returns_on_booking` AFTER INSERT ON `bookings`
WHEN NEW.`status` = 'confirmed' OR (NEW.`status` IN ('pending', 'waitlisted') AND NEW.`source` <> 'public')
BEGIN
  UPDATE `clients` SET `is_active` = 1, `updated_at` = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  WHERE `id` = NEW.`client_id` AND `is_active` = 0;
END;
--> statement-breakpoint
CREATE TRIGGER `client_returns_on_confirm` AFTER UPDATE OF `status` ON `bookings`
WHEN NEW.`status` = 'confirmed' AND OLD.`status` IS NOT 'confirmed'
BEGIN
  UPDATE `clients` SET `is_active` = 1, `updated_at` = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  WHERE `id` = NEW.`client_id` AND `is_active` = 0;
END;
--> statement-breakpoint
CREATE TRIGGER `client_returns_on_pack` AFTER INSERT ON `client_packages`
BEGIN
  UPDATE `clients` SET `is_active` = 1, `updated_at` = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  WHERE `id` = NEW.`client_id` AND `is_active` = 0;
END;
