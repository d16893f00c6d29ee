-- Accounts of bureau staff, school admins, teachers and classroom devices, and their sign-in sessions.
CREATE TABLE accounts (
    id             INTEGER PRIMARY KEY,
    login          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('bureau_admin', 'school_admin', 'teacher', 'classroom_device')),
    school_id      INTEGER REFERENCES schools(id),
    teacher_id     INTEGER REFERENCES teachers(id),
    classroom_id   INTEGER REFERENCES classrooms(id),
    CHECK ((role = 'school_admin') = (school_id IS NOT NULL)),
    CHECK ((role = 'teacher') = (teacher_id IS NOT NULL)),
    CHECK ((role = 'classroom_device') = (classroom_id IS NOT NULL))
);

-- A signed-in browser. Only the SHA-256 of the cookie's token is stored.
CREATE TABLE web_sessions (
    token_hash  BLOB PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    csrf        TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX web_sessions_account ON web_sessions(account_id);
