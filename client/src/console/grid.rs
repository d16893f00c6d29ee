//! Which lessons the week grid shows: the whole region (or what the account may see), one county
//! (旗縣), one school, one classroom or one teacher. Plain data; turned into the query of
//! `GET /api/lessons`.

/// The grid's filter.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum GridBy {
    #[default]
    All,
    County(String),
    School(u64),
    Classroom(u64),
    Teacher(u64),
}

impl GridBy {
    /// From the console's select (`all`, `county`, `school`, `classroom`, `teacher`) and the value
    /// typed or picked; a message in Chinese for what is wrong.
    pub fn parse(kind: &str, value: &str) -> Result<GridBy, String> {
        let value = value.trim();
        let id = |what: &str| {
            value
                .parse::<u64>()
                .map_err(|_| format!("请填写{what}的数字编号"))
        };
        match kind {
            "all" => Ok(GridBy::All),
            "county" if value.is_empty() => Err("请选择旗县".into()),
            "county" => Ok(GridBy::County(value.to_string())),
            "school" => id("学校").map(GridBy::School),
            "classroom" => id("教室").map(GridBy::Classroom),
            "teacher" => id("教师").map(GridBy::Teacher),
            _ => Err("未知的筛选方式".into()),
        }
    }

    /// What to append to `/api/lessons?from=…&to=…`.
    pub fn query(&self) -> String {
        match self {
            GridBy::All => String::new(),
            GridBy::County(c) => format!("&county={}", encode(c)),
            GridBy::School(id) => format!("&school={id}"),
            GridBy::Classroom(id) => format!("&classroom={id}"),
            GridBy::Teacher(id) => format!("&teacher={id}"),
        }
    }
}

/// The timetable's filter form: the kind picked in the select and the county or id typed.
#[derive(Clone, Debug, PartialEq)]
pub struct GridForm {
    /// `all`, `county`, `school`, `classroom` or `teacher`.
    pub by: String,
    pub value: String,
}

impl Default for GridForm {
    /// Every lesson (the select's first option), nothing typed.
    fn default() -> Self {
        GridForm {
            by: "all".to_string(),
            value: String::new(),
        }
    }
}

impl GridForm {
    pub fn filter(&self) -> Result<GridBy, String> {
        GridBy::parse(&self.by, &self.value)
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986), byte by byte (UTF-8).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_become_queries() {
        assert_eq!(GridBy::parse("all", "x").unwrap().query(), "");
        assert_eq!(
            GridBy::parse("county", " 四子王旗 ").unwrap().query(),
            "&county=%E5%9B%9B%E5%AD%90%E7%8E%8B%E6%97%97"
        );
        assert_eq!(
            GridBy::parse("classroom", "12").unwrap(),
            GridBy::Classroom(12)
        );
        assert_eq!(GridBy::parse("teacher", "3").unwrap().query(), "&teacher=3");
        assert_eq!(GridBy::parse("school", "4").unwrap().query(), "&school=4");
        assert!(GridBy::parse("teacher", "王老师").is_err());
        assert!(GridBy::parse("county", "").is_err());
        assert!(GridBy::parse("planet", "1").is_err());
        assert_eq!(encode("a b&c=d"), "a%20b%26c%3Dd");
        assert_eq!(GridForm::default().filter(), Ok(GridBy::All));
        let form = GridForm {
            by: "school".into(),
            value: "4".into(),
        };
        assert_eq!(form.filter(), Ok(GridBy::School(4)));
    }
}
