//! A CSV report as a download: `text/csv` in UTF-8, saved under a file name.

use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

/// `csv` as an attachment named `filename` (ASCII, no quotes).
pub fn csv_download(filename: &str, csv: String) -> Response {
    let headers = [
        (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
        (
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ),
    ];
    (headers, csv).into_response()
}
