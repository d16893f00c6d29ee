//! JSON shapes of the API that the handlers share with these schemas ([`DayRange`],
//! [`ClassroomAttendance`]), and OpenAPI schemas of JSON bodies that the handlers build with
//! `json!` or that hold types from other modules (accounts, shared ids): those are documentation
//! only, never built (hence `dead_code` allowed below, on them alone). Each mirrors the JSON its
//! handler sends; the handlers' own request and response types derive `ToSchema` where they are
//! declared. Handlers import this module; it imports none of them.

use serde::{Deserialize, Serialize};
use shared::ids::ClassroomId;
use utoipa::ToSchema;

/// A range of days (`YYYY-MM-DD`, both included): a term's holiday.
#[derive(Deserialize, Serialize, ToSchema)]
pub struct DayRange {
    pub first: String,
    pub last: String,
}

/// One remote classroom's attendance of a lesson.
#[derive(Serialize, ToSchema)]
pub struct ClassroomAttendance {
    #[schema(value_type = u64)]
    pub classroom: ClassroomId,
    pub name: String,
    #[serde(flatten)]
    pub presence: crate::attendance::Presence,
    /// How long it received each picture of the teacher, and its outages.
    pub link: crate::attendance::LinkSeconds,
}

pub use docs_only::*;

/// Schemas that document JSON built elsewhere; never constructed.
#[allow(dead_code)]
mod docs_only {
    use super::{ClassroomAttendance, DayRange};
    use serde::Serialize;
    use utoipa::ToSchema;

    /// The body of every error response.
    #[derive(Serialize, ToSchema)]
    #[schema(as = Error)]
    pub struct ErrorBody {
        error: ErrorCode,
        message: String,
        /// With `bad_request`: what is wrong with which field.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        fields: Vec<FieldErrorBody>,
        /// With `conflict`: the scheduled lessons in the way.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        clashes: Vec<Clash>,
    }

    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum ErrorCode {
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        TooManyRequests,
        Internal,
    }

    #[derive(Serialize, ToSchema)]
    #[schema(as = FieldError)]
    pub struct FieldErrorBody {
        field: String,
        message: String,
    }

    /// A lesson in the way, and on what it clashes.
    #[derive(Serialize, ToSchema)]
    pub struct Clash {
        lesson: u64,
        title: String,
        starts_at: i64,
        ends_at: i64,
        /// `{"classroom": id}` or `{"teacher": id}`.
        on: ClashOn,
    }

    #[derive(Serialize, ToSchema)]
    pub struct ClashOn {
        #[serde(skip_serializing_if = "Option::is_none")]
        classroom: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        teacher: Option<u64>,
    }

    /// What an account is: `kind`, and the school, teacher or classroom it belongs to.
    #[derive(Serialize, ToSchema)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    pub enum Role {
        /// Education bureau staff: everything.
        BureauAdmin,
        /// Runs one school.
        SchoolAdmin { school: u64 },
        /// A teacher: their own lessons.
        Teacher { teacher: u64 },
        /// The computer in a classroom.
        ClassroomDevice { classroom: u64 },
    }

    /// A signed-in account.
    #[derive(Serialize, ToSchema)]
    pub struct Account {
        id: i64,
        login: String,
        name: String,
        role: Role,
    }

    /// The signed-in account and its CSRF token.
    #[derive(Serialize, ToSchema)]
    pub struct Me {
        account: Account,
        /// Send this in `X-CSRF-Token` with every request that changes something.
        csrf: String,
    }

    /// An account as its managers see it.
    #[derive(Serialize, ToSchema)]
    pub struct AccountView {
        id: i64,
        login: String,
        name: String,
        role: Role,
        /// The school it belongs to (none for bureau admins).
        school: Option<u64>,
    }

    #[derive(Serialize, ToSchema)]
    pub struct Teacher {
        id: u64,
        name: String,
        school: u64,
    }

    /// A term (dates `YYYY-MM-DD`).
    #[derive(Serialize, ToSchema)]
    pub struct Term {
        id: i64,
        name: String,
        first: String,
        last: String,
        holidays: Vec<DayRange>,
    }

    /// A holiday added to a term, and the series lessons it cancelled.
    #[derive(Serialize, ToSchema)]
    pub struct HolidayAdded {
        term: i64,
        first: String,
        last: String,
        cancelled: Vec<u64>,
    }

    /// A lesson's attendance per remote classroom.
    #[derive(Serialize, ToSchema)]
    pub struct LessonAttendance {
        lesson: u64,
        title: String,
        starts_at: i64,
        ends_at: i64,
        classrooms: Vec<ClassroomAttendance>,
    }

    /// The address of an iCalendar feed, with its key.
    #[derive(Serialize, ToSchema)]
    pub struct CalendarLink {
        /// Like `/api/calendar/teacher/1.ics?key=...`.
        url: String,
    }

    /// A school's lessons held against scheduled, and attendance per classroom.
    #[derive(Serialize, ToSchema)]
    pub struct SchoolReport {
        school: u64,
        from: String,
        to: String,
        lessons_scheduled: u32,
        lessons_held: u32,
        classrooms: Vec<ClassroomTally>,
    }

    #[derive(Serialize, ToSchema)]
    pub struct ClassroomTally {
        classroom: u64,
        name: String,
        scheduled: u32,
        attended: u32,
        late: u32,
        /// Attended / scheduled in percent (100 when nothing was scheduled).
        rate: u32,
        /// Its time on each picture of the teacher over those lessons, and its outages.
        link: crate::attendance::LinkSeconds,
    }

    /// A classroom device's lesson: the current one with its join link, or none and the next one.
    #[derive(Serialize, ToSchema)]
    #[serde(untagged)]
    pub enum DeviceLesson {
        Now(CurrentLesson),
        Later(NoLessonNow),
    }

    /// The lesson on now (or about to start), with the classroom's standing join link.
    #[derive(Serialize, ToSchema)]
    pub struct CurrentLesson {
        lesson: u64,
        title: String,
        starts_at: i64,
        ends_at: i64,
        link: u64,
        /// `/lesson#token=...`.
        path: String,
    }

    /// No lesson now.
    #[derive(Serialize, ToSchema)]
    pub struct NoLessonNow {
        /// Always null.
        lesson: Option<u64>,
        next: Option<NextLesson>,
    }

    #[derive(Serialize, ToSchema)]
    pub struct NextLesson {
        lesson: u64,
        title: String,
        starts_at: i64,
        ends_at: i64,
    }

    /// `csv` for a CSV file instead of JSON.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Format {
        Csv,
    }

    /// Whose calendar: a teacher's or a classroom's.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum CalendarKind {
        Teacher,
        Classroom,
    }
}
