//! The bureau API's JSON shapes as the console reads them (docs/protocol.md, "Bureau API"), and
//! what a failed request means for the page.

use serde::Deserialize;

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Account {
    pub id: u64,
    pub login: String,
    pub name: String,
    #[serde(default)]
    pub role: Option<AccountRole>,
}

/// What an account is: `{"kind": "teacher", "teacher": 1}` and so on.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct AccountRole {
    pub kind: String,
    pub school: Option<u64>,
    pub teacher: Option<u64>,
    pub classroom: Option<u64>,
}

impl AccountRole {
    pub fn label(&self) -> String {
        let n = |id: Option<u64>| id.map(|i| i.to_string()).unwrap_or_default();
        match self.kind.as_str() {
            "bureau_admin" => "教育局管理员".into(),
            "school_admin" => format!("学校管理员（学校 {}）", n(self.school)),
            "teacher" => format!("教师（编号 {}）", n(self.teacher)),
            "classroom_device" => format!("教室电脑（教室 {}）", n(self.classroom)),
            _ => "其他".into(),
        }
    }

    /// A bureau or school admin: manages accounts, classrooms, teachers and lessons (the console
    /// shows their forms; the relay checks every request again).
    pub fn is_admin(&self) -> bool {
        matches!(self.kind.as_str(), "bureau_admin" | "school_admin")
    }
}

/// `GET /api/accounts`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ManagedAccount {
    #[serde(flatten)]
    pub account: Account,
    pub school: Option<u64>,
}

/// `POST /api/session` and `GET /api/me`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Me {
    pub account: Account,
    pub csrf: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct School {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub county: String,
    pub kind: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Classroom {
    pub id: u64,
    pub school: u64,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Term {
    pub id: i64,
    pub name: String,
    pub first: String,
    pub last: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct LessonRow {
    pub id: u64,
    pub title: String,
    #[serde(default)]
    pub subject: String,
    pub teacher: u64,
    pub master_classroom: u64,
    pub classrooms: Vec<u64>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub series: Option<u64>,
    /// For a lesson of a series: the date its weekly rule gave it.
    #[serde(default)]
    pub occurrence: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct CreatedSeries {
    pub series: u64,
    pub lessons: Vec<u64>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct JoinLink {
    pub link: u64,
    pub role: String,
    pub classroom: Option<u64>,
    pub name: String,
    pub path: String,
    pub not_before: u64,
    pub expires: u64,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct AttendanceRow {
    pub classroom: u64,
    pub name: String,
    pub minutes: i64,
    pub first_joined: Option<i64>,
    pub late: bool,
    pub missing: bool,
    /// How long it received each picture of the teacher, and its outages.
    #[serde(default)]
    pub link: LinkSeconds,
}

/// A classroom's seconds on each picture of the teacher in a lesson, and its outages.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct LinkSeconds {
    pub high_seconds: u64,
    pub middle_seconds: u64,
    pub low_seconds: u64,
    pub whole_seconds: u64,
    pub audio_only_seconds: u64,
    pub outage_seconds: u64,
    pub outages: u64,
}

impl LinkSeconds {
    /// Each picture with its seconds, in the attendance table's column order.
    pub fn by_picture(&self) -> [(shared::link::Picture, u64); 5] {
        use shared::link::Picture;
        [
            (Picture::Layer(2), self.high_seconds),
            (Picture::Layer(1), self.middle_seconds),
            (Picture::Layer(0), self.low_seconds),
            (Picture::Whole, self.whole_seconds),
            (Picture::Paused, self.audio_only_seconds),
        ]
    }
}

/// Seconds as minutes with one decimal, as the attendance table and its CSV show them.
pub fn minutes(seconds: u64) -> String {
    format!("{:.1}", seconds as f64 / 60.0)
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Attendance {
    pub title: String,
    pub classrooms: Vec<AttendanceRow>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// What a clash is on: `{"classroom": id}` or `{"teacher": id}`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClashOn {
    Classroom(u64),
    Teacher(u64),
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Clash {
    pub lesson: u64,
    pub title: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub on: ClashOn,
}

/// The API's error body.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub fields: Vec<FieldError>,
    #[serde(default)]
    pub clashes: Vec<Clash>,
}

/// A request that did not succeed, as the page shows it.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// 400: the fields at fault.
    Fields(String, Vec<FieldError>),
    /// 409: the lessons in the way (possibly none, e.g. a lesson that is over).
    Clashes(String, Vec<Clash>),
    /// 401: the session is gone.
    SignedOut,
    /// Anything else, with a message for the page.
    Other(String),
}

impl Failure {
    /// The failure for an HTTP status and its (possibly non-JSON) body.
    pub fn from_response(status: u16, body: &str) -> Failure {
        let parsed: ErrorBody = serde_json::from_str(body).unwrap_or_default();
        let message = if parsed.message.is_empty() {
            format!("HTTP {status}")
        } else {
            parsed.message
        };
        match status {
            400 => Failure::Fields(message, parsed.fields),
            401 => Failure::SignedOut,
            409 => Failure::Clashes(message, parsed.clashes),
            _ => Failure::Other(message),
        }
    }

    /// A failure before any response: the network or an unreadable body.
    pub fn network(what: &str) -> Failure {
        Failure::Other(format!("网络错误：{what}"))
    }

    /// One line for the page.
    pub fn message(&self) -> String {
        match self {
            Failure::Fields(m, _) => format!("请检查填写的内容（{m}）"),
            Failure::Clashes(m, _) => format!("时间冲突：{m}"),
            Failure::SignedOut => "登录已失效，请重新登录".to_string(),
            Failure::Other(m) => m.clone(),
        }
    }

    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Failure::Fields(_, f) => f,
            _ => &[],
        }
    }

    pub fn clashes(&self) -> &[Clash] {
        match self {
            Failure::Clashes(_, c) => c,
            _ => &[],
        }
    }
}

/// The Chinese name of a join link's role.
pub fn role_label(role: &str) -> &'static str {
    match role {
        "teacher" => "主讲教师",
        "classroom" => "教室",
        "observer" => "观摩",
        _ => "其他",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clash_response_names_every_lesson() {
        let body = r#"{"error":"conflict","message":"clashes with 1 lesson(s) already scheduled",
            "clashes":[{"lesson":2,"title":"数学","starts_at":100,"ends_at":200,"on":{"classroom":3}},
                       {"lesson":2,"title":"数学","starts_at":100,"ends_at":200,"on":{"teacher":1}}]}"#;
        let f = Failure::from_response(409, body);
        assert_eq!(f.clashes().len(), 2);
        assert_eq!(f.clashes()[0].on, ClashOn::Classroom(3));
        assert_eq!(f.clashes()[1].on, ClashOn::Teacher(1));
        assert!(f.message().contains("clashes with 1"));
    }

    #[test]
    fn field_errors_and_odd_bodies() {
        let body = r#"{"error":"bad_request","message":"check these fields: start",
            "fields":[{"field":"start","message":"a time like 08:00"}]}"#;
        let f = Failure::from_response(400, body);
        assert_eq!(f.field_errors()[0].field, "start");
        assert_eq!(Failure::from_response(401, ""), Failure::SignedOut);
        assert_eq!(
            Failure::from_response(502, "<html>"),
            Failure::Other("HTTP 502".into())
        );
    }

    #[test]
    fn lessons_and_links_parse() {
        let rows: Vec<LessonRow> = serde_json::from_str(
            r#"[{"id":1,"title":"t","subject":"","teacher":1,"master_classroom":1,
                "classrooms":[2,3],"starts_at":5,"ends_at":9,"series":null}]"#,
        )
        .unwrap();
        assert_eq!(rows[0].classrooms, vec![2, 3]);
        let links: Vec<JoinLink> = serde_json::from_str(
            r#"[{"link":7,"role":"teacher","name":"王老师","path":"/lesson#token=v1.a.b",
                "not_before":1,"expires":2}]"#,
        )
        .unwrap();
        assert_eq!(links[0].classroom, None);
        assert_eq!(role_label(&links[0].role), "主讲教师");
    }

    #[test]
    fn accounts_and_their_roles_parse() {
        let me: Me = serde_json::from_str(
            r#"{"account":{"id":1,"login":"admin","name":"管理员",
                "role":{"kind":"school_admin","school":4}},"csrf":"x"}"#,
        )
        .unwrap();
        let role = me.account.role.unwrap();
        assert!(role.is_admin());
        assert_eq!(role.label(), "学校管理员（学校 4）");
        let list: Vec<ManagedAccount> = serde_json::from_str(
            r#"[{"id":2,"login":"pc3","name":"三班电脑",
                 "role":{"kind":"classroom_device","classroom":3},"school":4},
                {"id":3,"login":"old","name":"无角色","school":null}]"#,
        )
        .unwrap();
        let device = list[0].account.role.clone().unwrap();
        assert!(!device.is_admin());
        assert_eq!(device.label(), "教室电脑（教室 3）");
        assert_eq!(list[0].school, Some(4));
        assert_eq!(list[1].account.role, None);
    }

    #[test]
    fn terms_series_classrooms_and_attendance_parse() {
        let term: Term = serde_json::from_str(
            r#"{"id":4,"name":"秋季","first":"2030-09-02","last":"2030-11-30"}"#,
        )
        .unwrap();
        assert_eq!(term.id, 4);
        let series: CreatedSeries =
            serde_json::from_str(r#"{"series":2,"lessons":[7,8,9]}"#).unwrap();
        assert_eq!(series.lessons, vec![7, 8, 9]);
        let room: Classroom = serde_json::from_str(r#"{"id":3,"school":4,"name":"三班"}"#).unwrap();
        assert_eq!(room.school, 4);
        let a: Attendance = serde_json::from_str(
            r#"{"title":"数学","classrooms":[{"classroom":3,"name":"三班","minutes":40,
                "first_joined":null,"late":false,"missing":true}]}"#,
        )
        .unwrap();
        assert!(a.classrooms[0].missing);
        assert_eq!(a.classrooms[0].first_joined, None);
        assert_eq!(a.classrooms[0].link, LinkSeconds::default());
        let with_link: AttendanceRow = serde_json::from_str(
            r#"{"classroom":3,"name":"三班","minutes":40,"first_joined":null,"late":false,
                "missing":false,"link":{"high_seconds":120,"middle_seconds":0,"low_seconds":30,
                "whole_seconds":0,"audio_only_seconds":9,"outage_seconds":6,"outages":1}}"#,
        )
        .unwrap();
        let by_picture = with_link.link.by_picture();
        assert_eq!(by_picture[0], (shared::link::Picture::Layer(2), 120));
        assert_eq!(by_picture[4], (shared::link::Picture::Paused, 9));
        assert_eq!(minutes(by_picture[0].1), "2.0");
        assert_eq!(minutes(9), "0.1");
    }

    #[test]
    fn network_failures_say_so() {
        let f = Failure::network("not a response");
        assert_eq!(f.message(), "网络错误：not a response");
        assert!(f.field_errors().is_empty());
    }
}
