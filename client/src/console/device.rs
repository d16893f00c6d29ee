//! The classroom computer's page at `/classroom`: signed in once with the classroom's device
//! account, it asks the relay every 30 seconds for the lesson on now and opens it by itself
//! (the standing link; `GET /api/device/lesson`). The lesson comes back here when it is over
//! (close 4410), to wait for the next one.

use super::api::{self, Api};
use super::bind::Form;
use super::forms::accounts::SignInForm;
use super::model::Failure;
use super::sign_in::sign_in_card;
use super::week::date_time;
use crate::ready;
use gloo_timers::future::TimeoutFuture;
use serde_json::Value;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

const POLL_MS: u32 = 30_000;

#[derive(Clone, PartialEq)]
enum State {
    Checking,
    SignedOut,
    /// Signed in; no lesson on now. The next one, if known.
    Waiting(Option<String>),
}

/// Asks for the current lesson until there is one, then opens it.
fn poll(api: Api, state: UseStateHandle<State>) {
    spawn_local(async move {
        loop {
            match api.get::<Value>("/api/device/lesson").await {
                Ok(now) => {
                    if let Some(path) = now["path"].as_str() {
                        // Marked so the lesson comes back here when it is over.
                        let path = path.replacen("#", "?from=classroom#", 1);
                        if let Some(w) = web_sys::window() {
                            let _ = w.location().assign(&path);
                        }
                        return;
                    }
                    let next = now["next"]["starts_at"].as_i64().map(|t| {
                        format!(
                            "下一节课：{} {}",
                            now["next"]["title"].as_str().unwrap_or(""),
                            date_time(t)
                        )
                    });
                    state.set(State::Waiting(next));
                }
                Err(Failure::SignedOut) => {
                    state.set(State::SignedOut);
                    return;
                }
                Err(_) => state.set(State::Waiting(None)),
            }
            TimeoutFuture::new(POLL_MS).await;
        }
    });
}

#[function_component(Device)]
pub fn device() -> Html {
    let state = use_state(|| State::Checking);
    let error = use_state(|| None::<String>);
    let form = use_reducer(Form::<SignInForm>::default);
    {
        let state = state.clone();
        use_effect_with((), move |_| {
            spawn_local(async move {
                match api::restore().await {
                    Ok((api, _)) => poll(api, state),
                    Err(_) => state.set(State::SignedOut),
                }
                ready::mark();
            });
        });
    }
    let sign_in = {
        let (state, error, form) = (state.clone(), error.clone(), form.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (state, error) = (state.clone(), error.clone());
            let (login, password) = (form.login.clone(), form.password.clone());
            spawn_local(async move {
                match api::sign_in(&login, &password).await {
                    Ok((api, _)) => {
                        error.set(None);
                        state.set(State::Waiting(None));
                        poll(api, state);
                    }
                    Err(_) => error.set(Some("登录名或密码错误".into())),
                }
            });
        })
    };
    match &*state {
        State::Checking => {
            html! { <main id="device" class="console" data-state="checking"><p>{ "正在加载…" }</p></main> }
        }
        State::SignedOut => html! {
            <main id="device" class="console" data-state="signed-out">
                { sign_in_card("同頻互動課堂 · 教室终端", Some("用本教室的终端账号登录一次，之后每节课会自动进入课堂。"), &form, sign_in, error.as_deref()) }
            </main>
        },
        State::Waiting(next) => html! {
            <main id="device" class="console" data-state="waiting">
                <div class="card">
                    <h1>{ "现在没有课" }</h1>
                    <p>{ "上课前会自动进入课堂。" }</p>
                    if let Some(n) = next { <p id="next-lesson">{ n.clone() }</p> }
                </div>
            </main>
        },
    }
}
