//! WHIP ingest (RFC 9725) and WHEP playback over HTTP, for encoders and players that are not our
//! client: OBS or a hardware encoder in the master classroom publishes over WHIP with a teacher
//! token; a WHEP player watches any source its token's holder may see: the teacher's by default,
//! a classroom's with `?classroom=N` (a teacher token sees every classroom; any other token the
//! classroom holding the floor, as an observer does).
//!
//! - `POST /lessons/{lesson}/whip`, `POST /lessons/{lesson}/whep[?classroom=N]`: an
//!   `application/sdp` offer with `Authorization: Bearer <token>`; `201 Created` with the answer
//!   and a `Location`.
//! - `DELETE` on that `Location`, with the same bearer token, ends the publication or subscription.
//! - `OPTIONS` answers `Accept-Post: application/sdp`; `PATCH` (trickle ICE) answers 405: the
//!   answer already carries every candidate.
//!
//! Each resource is a participant of the lesson's media plane of its own, without a WebSocket.

use crate::auth::now_secs;
use crate::media::driver::DriverError;
use crate::media::forwarding::MediaError;
use crate::media::lesson::LessonMediaError;
use crate::state::AppState;
use crate::store::links::LinkState;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use axum::Router;
use sha2::{Digest, Sha256};
use shared::ids::{ClassroomId, LessonId, MediaId, Role};
use shared::protocol::MAX_SDP_BYTES;
use shared::token::Claims;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// WHIP: publish.
    Ingest,
    /// WHEP: play.
    Egress,
}

impl Direction {
    fn path(self) -> &'static str {
        match self {
            Direction::Ingest => "whip",
            Direction::Egress => "whep",
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/lessons/{lesson}/whip",
            post(|s, p, q, h, b| offer(Direction::Ingest, s, p, q, h, b)).options(options),
        )
        .route(
            "/lessons/{lesson}/whep",
            post(|s, p, q, h, b| offer(Direction::Egress, s, p, q, h, b)).options(options),
        )
        .route(
            "/lessons/{lesson}/whip/{media}",
            delete(end).patch(no_trickle).options(options),
        )
        .route(
            "/lessons/{lesson}/whep/{media}",
            delete(end).patch(no_trickle).options(options),
        )
        .layer(DefaultBodyLimit::max(MAX_SDP_BYTES))
}

/// An error as WHIP/WHEP clients expect it: a status and a plain-text reason.
struct Problem {
    status: StatusCode,
    reason: String,
    retry_after: Option<u32>,
}

impl Problem {
    fn new(status: StatusCode, reason: impl Into<String>) -> Problem {
        Problem {
            status,
            reason: reason.into(),
            retry_after: None,
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.reason).into_response();
        let headers = response.headers_mut();
        cors(headers);
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<LessonMediaError> for Problem {
    fn from(e: LessonMediaError) -> Problem {
        let status = match &e {
            LessonMediaError::Sdp(_)
            | LessonMediaError::NothingToReceive
            | LessonMediaError::Driver(DriverError::Offer(_)) => StatusCode::BAD_REQUEST,
            LessonMediaError::Driver(DriverError::TooManyConnections(_)) => {
                return Problem {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    reason: e.to_string(),
                    retry_after: Some(30),
                }
            }
            LessonMediaError::Rules(MediaError::ObserverCannotPublish)
            | LessonMediaError::Rules(MediaError::NotTheTeacher)
            | LessonMediaError::NotAllowed(_) => StatusCode::FORBIDDEN,
            LessonMediaError::NoSuchMedia(_) => StatusCode::NOT_FOUND,
            LessonMediaError::TooManySubscriptions => StatusCode::TOO_MANY_REQUESTS,
            LessonMediaError::TooManyHttpParticipants(_) => {
                return Problem {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    reason: e.to_string(),
                    retry_after: Some(30),
                }
            }
            LessonMediaError::NoSuchSource(_) => {
                return Problem {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    reason: "the lesson is not being broadcast yet; try again".into(),
                    retry_after: Some(5),
                }
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Problem::new(status, e.to_string())
    }
}

fn cors(headers: &mut HeaderMap) {
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Location"),
    );
}

async fn options() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    cors(headers);
    headers.insert("accept-post", HeaderValue::from_static("application/sdp"));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, DELETE, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, Content-Type"),
    );
    response
}

async fn no_trickle() -> Response {
    let mut response = Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "trickle ICE is not supported: the answer carries every candidate",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("DELETE, OPTIONS"));
    response
}

fn parse_lesson(text: &str) -> Result<LessonId, Problem> {
    text.parse()
        .map(LessonId)
        .map_err(|_| Problem::new(StatusCode::NOT_FOUND, "the lesson id must be a number"))
}

/// The bearer token's claims for `lesson` (a join link's revocation checked) and a digest of the token:
/// a resource is ended only with the token that created it.
async fn claims(
    state: &AppState,
    headers: &HeaderMap,
    lesson: LessonId,
) -> Result<(Claims, [u8; 32]), Problem> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            Problem::new(
                StatusCode::UNAUTHORIZED,
                "send the lesson's token as Authorization: Bearer <token>",
            )
        })?;
    let claims = state
        .signer()
        .verify(token.trim(), lesson, now_secs())
        .map_err(|e| Problem::new(StatusCode::UNAUTHORIZED, format!("token refused: {e}")))?;
    if let Some(link) = claims.link {
        match state.store().link_state(link, lesson).await {
            Ok(LinkState::Valid) => {}
            Ok(_) => {
                return Err(Problem::new(
                    StatusCode::UNAUTHORIZED,
                    "token refused: the link was revoked",
                ))
            }
            Err(_) => {
                return Err(Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the token could not be checked; try again",
                ))
            }
        }
    }
    let key: [u8; 32] = Sha256::digest(token.trim().as_bytes()).into();
    Ok((claims, key))
}

/// Whose Publication a WHEP player asks for: `classroom=N` for that classroom's, nothing for the
/// teacher's. Any other parameter is refused, so a mistyped one is not silently the teacher.
fn whep_source(query: Option<&str>) -> Result<Role, Problem> {
    let mut wanted = Role::Teacher;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let bad = || {
            Problem::new(
                StatusCode::BAD_REQUEST,
                format!("{pair:?}: the only parameter is classroom=<classroom id>"),
            )
        };
        match pair.split_once('=') {
            Some(("classroom", id)) => {
                wanted = Role::Classroom(ClassroomId(id.parse().map_err(|_| bad())?));
            }
            _ => return Err(bad()),
        }
    }
    Ok(wanted)
}

/// The role a WHIP/WHEP participant joins the media plane in. A WHEP player sees what its token's
/// holder may see: a teacher every classroom, anyone else the teacher and the classroom holding
/// the floor (joined as an observer, so a player never keeps a classroom's floor alive after the
/// classroom left).
fn viewer_role(direction: Direction, token_role: Role) -> Role {
    match (direction, token_role) {
        (Direction::Ingest, role) => role,
        (Direction::Egress, Role::Teacher) => Role::Teacher,
        (Direction::Egress, _) => Role::Observer,
    }
}

async fn offer(
    direction: Direction,
    State(state): State<AppState>,
    Path(lesson): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let lesson = parse_lesson(&lesson)?;
    let (claims, key) = claims(&state, &headers, lesson).await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/sdp") {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the offer must be sent as Content-Type: application/sdp",
        ));
    }
    let sdp = String::from_utf8(body.to_vec())
        .map_err(|_| Problem::new(StatusCode::BAD_REQUEST, "the offer is not UTF-8 text"))?;
    if direction == Direction::Ingest && claims.role != Role::Teacher {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "only the master classroom (a teacher token) publishes over WHIP",
        ));
    }
    let wanted = match direction {
        Direction::Ingest => Role::Teacher,
        Direction::Egress => whep_source(query.as_deref())?,
    };
    let media = state.media().lesson(lesson);
    let conn = state.next_conn();
    media.join_http(conn, viewer_role(direction, claims.role), key)?;
    let result = match direction {
        Direction::Ingest => media.publish(conn, sdp).await,
        Direction::Egress => match media.source_of(wanted) {
            Some(source) => media.subscribe(conn, source, sdp).await,
            None => Err(LessonMediaError::NoSuchSource(MediaId(0))),
        },
    };
    let (id, answer) = match result {
        Ok(ok) => ok,
        Err(e) => {
            media.leave(conn).await;
            state.media().release(lesson);
            return Err(e.into());
        }
    };
    let location = format!("/lessons/{}/{}/{id}", lesson.0, direction.path());
    let mut response = (StatusCode::CREATED, answer).into_response();
    let headers = response.headers_mut();
    cors(headers);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/sdp"),
    );
    if let Ok(value) = HeaderValue::from_str(&location) {
        headers.insert(header::LOCATION, value);
    }
    Ok(response)
}

async fn end(
    State(state): State<AppState>,
    Path((lesson, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let lesson = parse_lesson(&lesson)?;
    let (_, key) = claims(&state, &headers, lesson).await?;
    let id = id
        .parse()
        .map(MediaId)
        .map_err(|_| Problem::new(StatusCode::NOT_FOUND, "no such resource"))?;
    let media = state
        .media()
        .existing(lesson)
        .ok_or_else(|| Problem::new(StatusCode::NOT_FOUND, "no such resource"))?;
    media.end_http_media(id, key).await?;
    state.media().release(lesson);
    let mut response = StatusCode::OK.into_response();
    cors(response.headers_mut());
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whep_player_asks_for_the_teacher_or_one_classroom() {
        assert_eq!(whep_source(None).ok(), Some(Role::Teacher));
        assert_eq!(whep_source(Some("")).ok(), Some(Role::Teacher));
        assert_eq!(
            whep_source(Some("classroom=7")).ok(),
            Some(Role::Classroom(ClassroomId(7)))
        );
        for bad in [
            "classroom=x",
            "classroom=",
            "room=7",
            "classroom",
            "classroom=-1",
        ] {
            let e = whep_source(Some(bad)).err().map(|p| p.status);
            assert_eq!(e, Some(StatusCode::BAD_REQUEST), "{bad}");
        }
    }

    #[test]
    fn a_whep_player_sees_what_its_token_may_see() {
        assert_eq!(viewer_role(Direction::Egress, Role::Teacher), Role::Teacher);
        let room = Role::Classroom(ClassroomId(3));
        assert_eq!(viewer_role(Direction::Egress, room), Role::Observer);
        assert_eq!(
            viewer_role(Direction::Egress, Role::Observer),
            Role::Observer
        );
        assert_eq!(viewer_role(Direction::Ingest, Role::Teacher), Role::Teacher);
    }
}
