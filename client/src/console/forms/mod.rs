//! The console's forms as typed state: what was typed or picked, held by the section's component
//! (each input writes its field as it changes), checked where the browser can tell, and turned
//! into the API's requests. The relay checks everything again; these checks only catch what would
//! make the request itself wrong (a classroom id that is not a number).
//!
//! - [`lessons`]: scheduling a series or a single lesson, and changing one.
//! - [`terms`]: a new term and its holidays; a holiday added later.
//! - [`schools`]: a new school, and a classroom or a teacher added to a school.
//! - [`accounts`]: signing in, a new account, a new password.
//! - [`reports`]: a school's attendance report and a calendar feed.

pub mod accounts;
pub mod lessons;
pub mod reports;
pub mod schools;
pub mod terms;

use super::model::FieldError;

fn error(field: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_string(),
        message: message.to_string(),
    }
}

/// `2, 3 4，5` → `[2, 3, 4, 5]` (commas, Chinese commas or spaces).
pub fn parse_ids(text: &str) -> Option<Vec<u64>> {
    text.split([',', '，', ' ', '、'])
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().ok())
        .collect()
}

fn id(field: &str, text: &str, errors: &mut Vec<FieldError>) -> u64 {
    text.trim().parse().unwrap_or_else(|_| {
        errors.push(error(field, "请填写数字编号"));
        0
    })
}

fn ids(field: &str, text: &str, errors: &mut Vec<FieldError>) -> Vec<u64> {
    parse_ids(text).unwrap_or_else(|| {
        errors.push(error(field, "请填写以逗号分隔的数字编号"));
        Vec::new()
    })
}

/// The option a select shows: the one picked, or the first if none was picked (or the picked
/// one is no longer offered). `""` when there are no options.
pub fn shown_option<'a>(picked: &'a str, options: &'a [String]) -> &'a str {
    if options.iter().any(|o| o == picked) {
        picked
    } else {
        options.first().map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_lists_accept_chinese_commas() {
        assert_eq!(parse_ids("2, 3，4 5、6"), Some(vec![2, 3, 4, 5, 6]));
        assert_eq!(parse_ids(""), Some(vec![]));
        assert_eq!(parse_ids("2, x"), None);
    }

    #[test]
    fn a_select_shows_the_first_option_until_one_is_picked() {
        let options = ["4".to_string(), "7".to_string()];
        assert_eq!(shown_option("", &options), "4");
        assert_eq!(shown_option("7", &options), "7");
        assert_eq!(shown_option("9", &options), "4", "a school that is gone");
        assert_eq!(shown_option("7", &[]), "");
    }
}
