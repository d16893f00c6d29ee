//! Booking new lessons: one lesson, or every occurrence of a weekly series at once, checked
//! against the timetable under its lock (a clash is a 409 naming every clashing lesson).

use super::basics::LessonBasics;
use super::clashes::conflict;
use crate::api::error::{field, ApiError};
use crate::api::session::Staff;
use crate::state::AppState;
use shared::ids::{LessonId, SeriesId};
use shared::schedule::{Booking, Date, Series, Slot, Term, WeeklyRule};

/// Books and stores one lesson at `slot`.
pub async fn book_lesson(
    state: &AppState,
    staff: &Staff,
    basics: &LessonBasics,
    slot: Slot,
) -> Result<LessonId, ApiError> {
    let lock = state.timetable().await?;
    let mut timetable = lock.lock().await;
    let mut booking = basics.booking(LessonId(0), slot);
    let clashes = timetable.clashes(&booking);
    if !clashes.is_empty() {
        drop(timetable);
        return Err(conflict(state, staff, clashes).await);
    }
    let id = state
        .store()
        .insert_lessons(&[basics.lesson_at(slot)])
        .await?
        .pop()
        .ok_or(ApiError::Internal)?;
    booking.lesson = id;
    timetable.insert_unchecked(booking);
    Ok(id)
}

/// A weekly series in term `term_id` from `from` on: books and stores every occurrence, all
/// checked for clashes at once.
pub async fn book_series(
    state: &AppState,
    staff: &Staff,
    (term_id, term): (i64, &Term),
    rule: WeeklyRule,
    from: Date,
    basics: &LessonBasics,
) -> Result<(SeriesId, Vec<LessonId>), ApiError> {
    let bad = |e: shared::schedule::series::SeriesError| {
        ApiError::fields(vec![field("end", &e.to_string())])
    };
    let occurrences = Series::new(SeriesId(0), rule, from)
        .map_err(bad)?
        .occurrences(term)
        .map_err(bad)?;
    if occurrences.is_empty() {
        return Err(ApiError::fields(vec![field(
            "weekday",
            "no school day of the term falls on this weekday",
        )]));
    }
    let lock = state.timetable().await?;
    let mut timetable = lock.lock().await;
    // Check all occurrences at once (numbered from the top so they never match a stored lesson).
    let candidates: Vec<Booking> = occurrences
        .iter()
        .enumerate()
        .map(|(i, o)| basics.booking(LessonId(u64::MAX - i as u64), o.slot))
        .collect();
    let clashes = timetable.clashes_all(&candidates);
    if !clashes.is_empty() {
        drop(timetable);
        return Err(conflict(state, staff, clashes).await);
    }
    let lessons: Vec<_> = occurrences
        .iter()
        .map(|o| (o.date, basics.lesson_at(o.slot)))
        .collect();
    let (series, ids) = state
        .store()
        .insert_series(term_id, &rule, from, &lessons)
        .await?;
    for (id, o) in ids.iter().zip(&occurrences) {
        timetable.insert_unchecked(basics.booking(*id, o.slot));
    }
    Ok((series, ids))
}
