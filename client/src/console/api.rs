//! The bureau API over `fetch`: the session cookie goes along by itself (same origin); the CSRF
//! token from signing in goes in `X-CSRF-Token` on every request that is not a GET.

use super::model::{Failure, Me};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestCredentials, RequestInit, Response};
use yew::Callback;

/// A signed-in session: what every request after signing in needs. Cheap to clone.
#[derive(Clone, Debug, PartialEq)]
pub struct Api {
    csrf: Rc<str>,
    /// Told when a request finds the session gone (401), so the page can ask to sign in again.
    expired: Callback<()>,
}

fn js_text(e: JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| "fetch failed".into())
}

/// One request; the status and the body's text.
async fn fetch(
    method: &str,
    path: &str,
    csrf: Option<&str>,
    body: Option<&Value>,
) -> Result<(u16, String), Failure> {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_credentials(RequestCredentials::SameOrigin);
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(&body.to_string()));
    }
    let request =
        Request::new_with_str_and_init(path, &init).map_err(|e| Failure::network(&js_text(e)))?;
    let headers = request.headers();
    let _ = headers.set("Accept", "application/json");
    if body.is_some() {
        let _ = headers.set("Content-Type", "application/json");
    }
    if let Some(csrf) = csrf {
        let _ = headers.set("X-CSRF-Token", csrf);
    }
    let window = web_sys::window().ok_or_else(|| Failure::network("no window"))?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|e| Failure::network(&js_text(e)))?
        .dyn_into()
        .map_err(|_| Failure::network("not a response"))?;
    let text = match response.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    Ok((response.status(), text))
}

fn decode<T: DeserializeOwned>((status, text): (u16, String)) -> Result<T, Failure> {
    if !(200..300).contains(&status) {
        return Err(Failure::from_response(status, &text));
    }
    // 204 has no body: read it as JSON null (for `()`).
    let text = if text.is_empty() { "null" } else { &text };
    serde_json::from_str(text).map_err(|e| Failure::network(&e.to_string()))
}

/// `POST /api/session`.
pub async fn sign_in(login: &str, password: &str) -> Result<(Api, Me), Failure> {
    let body = serde_json::json!({"login": login, "password": password});
    let me: Me = decode(fetch("POST", "/api/session", None, Some(&body)).await?)?;
    Ok((Api::new(&me.csrf), me))
}

/// `GET /api/me`: a session kept in the cookie from an earlier visit.
pub async fn restore() -> Result<(Api, Me), Failure> {
    let me: Me = decode(fetch("GET", "/api/me", None, None).await?)?;
    Ok((Api::new(&me.csrf), me))
}

impl Api {
    fn new(csrf: &str) -> Api {
        Api {
            csrf: csrf.into(),
            expired: Callback::noop(),
        }
    }

    /// The same session, calling `expired` when a request is refused with 401.
    pub fn on_expiry(self, expired: Callback<()>) -> Api {
        Api { expired, ..self }
    }

    fn watch<T>(&self, result: Result<T, Failure>) -> Result<T, Failure> {
        if let Err(Failure::SignedOut) = result {
            self.expired.emit(());
        }
        result
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Failure> {
        self.watch(decode(fetch("GET", path, None, None).await?))
    }

    /// POST, PATCH or DELETE with the CSRF header.
    pub async fn send<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, Failure> {
        self.watch(decode(fetch(method, path, Some(&self.csrf), body).await?))
    }

    /// `DELETE /api/session`.
    pub async fn sign_out(&self) -> Result<(), Failure> {
        self.send::<()>("DELETE", "/api/session", None).await
    }
}
