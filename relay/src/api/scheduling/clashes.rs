//! The 409 a clash gets: every clashing lesson, named by its title only where the account may see
//! it (someone else's lesson is named by its time and what it occupies).

use super::access::schools_of;
use crate::accounts::permissions::scope;
use crate::api::error::{ApiError, ClashView};
use crate::api::session::Staff;
use crate::state::AppState;
use serde_json::json;
use shared::schedule::{Clash, Resource};
use std::collections::BTreeSet;

/// The 409 for `clashes`, with the clashing lessons' titles.
pub async fn conflict(state: &AppState, staff: &Staff, clashes: Vec<Clash>) -> ApiError {
    let scope = scope(staff.account.role);
    let mut views = Vec::new();
    for c in &clashes {
        let title = match state.store().lesson_row(c.lesson).await {
            Ok(Some(row)) => match schools_of(state, &row).await {
                Ok(schools) if scope.sees(row.teacher, &schools) => row.title,
                _ => "（其他学校的课程）".to_string(),
            },
            _ => String::new(),
        };
        let on = match c.on {
            Resource::Classroom(id) => json!({"classroom": id.0}),
            Resource::Teacher(id) => json!({"teacher": id.0}),
        };
        views.push(ClashView {
            lesson: c.lesson.0,
            title,
            starts_at: c.slot.start,
            ends_at: c.slot.end,
            on,
        });
    }
    let lessons: BTreeSet<u64> = clashes.iter().map(|c| c.lesson.0).collect();
    ApiError::Conflict {
        message: format!("clashes with {} lesson(s) already scheduled", lessons.len()),
        clashes: views,
    }
}
