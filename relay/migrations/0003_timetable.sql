-- Terms with holidays, weekly series of lessons. Dates are ISO text (YYYY-MM-DD), times HH:MM,
-- all Asia/Shanghai; a lesson's starts_at/ends_at stay unix seconds.
CREATE TABLE terms (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    first_day  TEXT NOT NULL,
    last_day   TEXT NOT NULL
);

CREATE TABLE holidays (
    term_id    INTEGER NOT NULL REFERENCES terms(id) ON DELETE CASCADE,
    first_day  TEXT NOT NULL,
    last_day   TEXT NOT NULL
);

CREATE TABLE series (
    id          INTEGER PRIMARY KEY,
    term_id     INTEGER NOT NULL REFERENCES terms(id),
    weekday     INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_time  TEXT NOT NULL,
    end_time    TEXT NOT NULL,
    from_day    TEXT NOT NULL,
    until_day   TEXT
);

ALTER TABLE lessons ADD COLUMN series_id INTEGER REFERENCES series(id);
ALTER TABLE lessons ADD COLUMN occurrence_day TEXT;
CREATE INDEX lessons_series ON lessons(series_id);
CREATE INDEX lessons_starts ON lessons(starts_at);

-- Each stretch of time a classroom was connected to a lesson (unix seconds; left_at NULL while
-- connected, or if the relay stopped before it could record the leave).
CREATE TABLE attendance (
    lesson_id     INTEGER NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
    classroom_id  INTEGER NOT NULL REFERENCES classrooms(id),
    joined_at     INTEGER NOT NULL,
    left_at       INTEGER
);
CREATE INDEX attendance_lesson ON attendance(lesson_id, classroom_id);
