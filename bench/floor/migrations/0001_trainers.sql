-- The row a cached public availability read checks (bench/floor/src/index.ts /cached): found by
-- its unique slug, as the app's trainers row is; `version` stands for the app's two versions.
CREATE TABLE trainers (id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE, version INTEGER NOT NULL DEFAULT 0);
