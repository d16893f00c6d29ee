//! Path and query extractors whose rejections are [`ApiError`]s: a malformed id in the address
//! (`/api/lessons/abc`) or a missing query field is a 400 in the API's JSON shape, like every
//! other error, instead of axum's plain-text rejection.

use super::error::ApiError;
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// [`Path`], rejected as a JSON 400.
pub struct ApiPath<T>(pub T);

/// [`Query`], rejected as a JSON 400.
pub struct ApiQuery<T>(pub T);

fn bad(what: &str, detail: String) -> ApiError {
    ApiError::BadRequest {
        message: format!("{what}: {detail}"),
        fields: vec![],
    }
}

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| ApiPath(t))
            .map_err(|e| bad("the address is not valid", e.body_text()))
    }
}

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(t)| ApiQuery(t))
            .map_err(|e| bad("the query is not valid", e.body_text()))
    }
}
