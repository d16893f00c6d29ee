-- Per classroom and lesson, how long it received each picture of the teacher and how long it
-- was in outages (the Rural links issue's attendance figures), in milliseconds. One row per
-- classroom and lesson; the relay adds to it every few seconds while the lesson has media.
CREATE TABLE link_time (
    lesson_id      INTEGER NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
    classroom_id   INTEGER NOT NULL REFERENCES classrooms(id),
    high_ms        INTEGER NOT NULL DEFAULT 0,
    middle_ms      INTEGER NOT NULL DEFAULT 0,
    low_ms         INTEGER NOT NULL DEFAULT 0,
    whole_ms       INTEGER NOT NULL DEFAULT 0,
    audio_only_ms  INTEGER NOT NULL DEFAULT 0,
    outage_ms      INTEGER NOT NULL DEFAULT 0,
    outages        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (lesson_id, classroom_id)
);
