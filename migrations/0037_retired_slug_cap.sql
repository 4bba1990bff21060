-- A trainer keeps their last 5 retired slugs: enough for the links and embeds still around after
-- a few renames, and no way to hold every name in the trade by renaming again and again. The
-- oldest one beyond 5 is free for anyone. A deleted trainer's (trainer_id null) are not counted.
DROP TRIGGER `trainer_slug_retires`;
--> statement-breakpoint
CREATE TRIGGER `trainer_slug_retires` AFTER UPDATE OF `slug` ON `trainers`
WHEN OLD.`slug` <> NEW.`slug`
BEGIN
  DELETE FROM `retired_slugs` WHERE `slug` = NEW.`slug`;
  INSERT OR REPLACE INTO `retired_slugs` (`slug`, `trainer_id`) VALUES (OLD.`slug`, OLD.`id`);
  DELETE FROM `retired_slugs` WHERE `trainer_id` = OLD.`id` AND `rowid` NOT IN (
    SELECT `rowid` FROM `retired_slugs` WHERE `trainer_id` = OLD.`id` ORDER BY `retired_at` DESC, `rowid` DESC LIMIT 5
  );
END;
