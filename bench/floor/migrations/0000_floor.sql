-- The same columns and indexes the app reads for these paths.
CREATE TABLE availability_slots (id INTEGER PRIMARY KEY, trainer_id INTEGER NOT NULL, day_of_week INTEGER NOT NULL,
  start_time TEXT NOT NULL, end_time TEXT NOT NULL, is_active INTEGER NOT NULL DEFAULT 1);
CREATE INDEX availability_slots_trainer_idx ON availability_slots (trainer_id, day_of_week);
CREATE TABLE trainer_breaks (id INTEGER PRIMARY KEY, trainer_id INTEGER NOT NULL, start_date TEXT NOT NULL, end_date TEXT NOT NULL);
CREATE INDEX trainer_breaks_trainer_idx ON trainer_breaks (trainer_id, end_date);
CREATE TABLE bookings (id INTEGER PRIMARY KEY AUTOINCREMENT, trainer_id INTEGER NOT NULL, client_id INTEGER NOT NULL,
  start_time TEXT NOT NULL, end_time TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending', notes TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));
CREATE INDEX bookings_trainer_start_idx ON bookings (trainer_id, start_time);
CREATE INDEX bookings_trainer_status_start_idx ON bookings (trainer_id, status, start_time);
