//! The bureau console at `/console`: sign in, schools and classrooms, terms, the week's
//! timetable, scheduling and changing lessons with clash checks, join links, attendance reports
//! and calendar feeds.
//!
//! - Pure (unit-tested natively): [`week`] (days, weeks, Asia/Shanghai times), [`forms`] (each
//!   form's typed state, checked and turned into requests), [`grid`] (the timetable's filter),
//!   [`model`] (the API's JSON shapes and failures), [`names`] (ids to school, classroom and
//!   teacher names), [`qr`] (a join link as a QR code).
//! - Browser (wasm32): [`api`] (fetch with the session cookie and the CSRF header), [`bind`]
//!   (inputs and selects bound to a form's state), [`root`] (sign-in and the sections), and one
//!   component per section:
//!   [`schools`], [`terms`], [`timetable`], [`schedule`], [`lesson_panel`], [`reports`],
//!   [`accounts`], [`failure`]; and [`device`], the classroom computer's page.

pub mod forms;
pub mod grid;
pub mod model;
pub mod names;
pub mod qr;
pub mod week;

#[cfg(target_arch = "wasm32")]
pub mod accounts;
#[cfg(target_arch = "wasm32")]
pub mod api;
#[cfg(target_arch = "wasm32")]
pub mod bind;
#[cfg(target_arch = "wasm32")]
pub mod device;
#[cfg(target_arch = "wasm32")]
pub mod failure;
#[cfg(target_arch = "wasm32")]
pub mod lesson_panel;
#[cfg(target_arch = "wasm32")]
pub mod reports;
#[cfg(target_arch = "wasm32")]
pub mod root;
#[cfg(target_arch = "wasm32")]
pub mod schedule;
#[cfg(target_arch = "wasm32")]
pub mod schools;
#[cfg(target_arch = "wasm32")]
pub mod sign_in;
#[cfg(target_arch = "wasm32")]
pub mod terms;
#[cfg(target_arch = "wasm32")]
pub mod timetable;
