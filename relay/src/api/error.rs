//! One error type for the JSON API, mapped to a status and a JSON body:
//! `{"error": "<code>", "message": "...", "fields": [{"field": "...", "message": "..."}]}`.

use crate::store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// The problem with one field of a request body.
pub fn field(field: &'static str, message: &str) -> FieldError {
    FieldError {
        field,
        message: message.to_string(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest {
        message: String,
        fields: Vec<FieldError>,
    },
    #[error("sign in first")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    Conflict {
        message: String,
        clashes: Vec<ClashView>,
    },
    #[error("too many failed sign-ins for this login; try again in {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    /// Another 429 (too many sign-ins from one address, or the server busy hashing).
    #[error("{message}")]
    Throttled { message: String, retry_after: u64 },
    #[error("something went wrong on the server")]
    Internal,
}

/// A lesson that a new or moved lesson would overlap, and on what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClashView {
    pub lesson: u64,
    pub title: String,
    pub starts_at: i64,
    pub ends_at: i64,
    /// `{"classroom": id}` or `{"teacher": id}`.
    pub on: serde_json::Value,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'static str,
    message: String,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    fields: &'a [FieldError],
    #[serde(skip_serializing_if = "<[ClashView]>::is_empty")]
    clashes: &'a [ClashView],
}

impl ApiError {
    /// A 400 naming the fields at fault.
    pub fn fields(fields: Vec<FieldError>) -> ApiError {
        let names: Vec<&str> = fields.iter().map(|f| f.field).collect();
        ApiError::BadRequest {
            message: format!("check these fields: {}", names.join(", ")),
            fields,
        }
    }

    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest { .. } => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict { .. } => (StatusCode::CONFLICT, "conflict"),
            ApiError::TooManyRequests { .. } | ApiError::Throttled { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_requests")
            }
            ApiError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error) = self.parts();
        let fields = match &self {
            ApiError::BadRequest { fields, .. } => fields.as_slice(),
            _ => &[],
        };
        let clashes = match &self {
            ApiError::Conflict { clashes, .. } => clashes.as_slice(),
            _ => &[],
        };
        let message = self.to_string();
        let mut response = (
            status,
            Json(Body {
                error,
                message,
                fields,
                clashes,
            }),
        )
            .into_response();
        if let ApiError::TooManyRequests { retry_after } | ApiError::Throttled { retry_after, .. } =
            self
        {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after),
            );
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        tracing::error!(error = %e, "database error behind an API request");
        ApiError::Internal
    }
}

impl From<csv::Error> for ApiError {
    fn from(e: csv::Error) -> ApiError {
        tracing::error!(error = %e, "writing a CSV report");
        ApiError::Internal
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(e: axum::extract::rejection::JsonRejection) -> ApiError {
        ApiError::BadRequest {
            message: format!(
                "the request body is not valid JSON for this endpoint: {}",
                e.body_text()
            ),
            fields: vec![],
        }
    }
}

/// Checks a display name: 1 to `max` characters, no control characters, trimmed.
pub fn check_name(field: &'static str, value: &str, max: usize, errors: &mut Vec<FieldError>) {
    let n = value.chars().count();
    let message = if value.trim() != value || n == 0 {
        Some("must not be empty or start or end with spaces".to_string())
    } else if n > max {
        Some(format!("may have at most {max} characters"))
    } else if value.chars().any(char::is_control) {
        Some("must not contain control characters".to_string())
    } else {
        None
    };
    if let Some(message) = message {
        errors.push(FieldError { field, message });
    }
}
