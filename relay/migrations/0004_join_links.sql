-- Join links handed out for a lesson: each token names its link, so revoking the link refuses the
-- token at once (and closes connections made with it).
CREATE TABLE join_links (
    id            INTEGER PRIMARY KEY,
    lesson_id     INTEGER NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
    role          TEXT NOT NULL CHECK (role IN ('teacher', 'classroom', 'observer')),
    classroom_id  INTEGER REFERENCES classrooms(id),
    not_before    INTEGER NOT NULL,
    expires       INTEGER NOT NULL,
    revoked_at    INTEGER
);
CREATE INDEX join_links_lesson ON join_links(lesson_id);
