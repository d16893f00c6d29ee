-- Lookups by classroom and teacher for reports, feeds and timetable grids.
CREATE INDEX lesson_classrooms_classroom ON lesson_classrooms(classroom_id, lesson_id);
CREATE INDEX lessons_master ON lessons(master_classroom_id, starts_at);
CREATE INDEX lessons_teacher ON lessons(teacher_id, starts_at);
