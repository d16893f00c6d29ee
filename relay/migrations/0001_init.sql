-- Schools, classrooms and lessons: the minimum the lesson relay needs. The bureau issue extends these.
CREATE TABLE schools (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL,
    county  TEXT NOT NULL DEFAULT '',
    kind    TEXT NOT NULL CHECK (kind IN ('master', 'remote'))
);

CREATE TABLE classrooms (
    id          INTEGER PRIMARY KEY,
    school_id   INTEGER NOT NULL REFERENCES schools(id),
    name        TEXT NOT NULL
);

CREATE TABLE teachers (
    id          INTEGER PRIMARY KEY,
    school_id   INTEGER NOT NULL REFERENCES schools(id),
    name        TEXT NOT NULL
);

-- Times are unix seconds (UTC); the bureau's views show them in Asia/Shanghai.
CREATE TABLE lessons (
    id                   INTEGER PRIMARY KEY,
    title                TEXT NOT NULL,
    subject              TEXT NOT NULL DEFAULT '',
    teacher_id           INTEGER NOT NULL REFERENCES teachers(id),
    master_classroom_id  INTEGER NOT NULL REFERENCES classrooms(id),
    starts_at            INTEGER NOT NULL,
    ends_at              INTEGER NOT NULL,
    CHECK (ends_at > starts_at)
);

CREATE TABLE lesson_classrooms (
    lesson_id     INTEGER NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
    classroom_id  INTEGER NOT NULL REFERENCES classrooms(id),
    PRIMARY KEY (lesson_id, classroom_id)
);

-- Every stored board op of a lesson, in sequence. session/cseq let the relay recognise an op a
-- reconnecting client sends again.
CREATE TABLE board_ops (
    lesson_id  INTEGER NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    session    INTEGER NOT NULL,
    cseq       INTEGER NOT NULL,
    op         BLOB NOT NULL,
    PRIMARY KEY (lesson_id, seq)
) WITHOUT ROWID;

-- The latest snapshot of a lesson's board (postcard), so loading does not replay every op.
CREATE TABLE board_snapshots (
    lesson_id  INTEGER PRIMARY KEY REFERENCES lessons(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    board      BLOB NOT NULL,
    sessions   BLOB NOT NULL
);
