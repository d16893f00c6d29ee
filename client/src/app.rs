//! The root component: the lesson when the link holds a readable token, else a clear message.

use crate::console::root::Console;
use crate::labels;
use crate::lesson::Lesson;
use crate::listener::Listener;
use crate::net::link::token_from_fragment;
use crate::ready;
use shared::token::{parse, Claims};
use yew::prelude::*;

enum Route {
    /// The bureau console at `/console`.
    Console,
    /// A classroom computer's standing page at `/classroom`.
    Device,
    /// No token: the page at `/`.
    Landing,
    /// A token that is not a join token at all.
    BadLink,
    Lesson {
        token: String,
        claims: Claims,
    },
}

fn route() -> Route {
    let path = web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_default();
    match path.trim_end_matches('/') {
        "/console" => return Route::Console,
        "/classroom" => return Route::Device,
        _ => {}
    }
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    match token_from_fragment(&hash) {
        None => Route::Landing,
        Some(token) => match parse(&token) {
            Ok(parsed) => Route::Lesson {
                claims: parsed.claims,
                token,
            },
            Err(_) => Route::BadLink,
        },
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let route = use_memo((), |_| route());
    use_effect_with((), |_| {
        // A new link pasted into the same tab only changes the fragment: start over with it.
        let reload = web_sys::window().map(|w| {
            Listener::new(&w, "hashchange", |_| {
                if let Some(w) = web_sys::window() {
                    let _ = w.location().reload();
                }
            })
        });
        ready::mark();
        move || drop(reload)
    });
    match &*route {
        Route::Console => html! { <Console /> },
        Route::Device => html! { <crate::console::device::Device /> },
        Route::Landing => landing(false),
        Route::BadLink => landing(true),
        Route::Lesson { token, claims } => html! {
            <Lesson token={AttrValue::from(token.clone())} lesson={claims.lesson} role={claims.role} />
        },
    }
}

fn landing(bad_link: bool) -> Html {
    html! {
        <main id="landing" class="landing">
            <div class="card">
                <h1>{ labels::PRODUCT }</h1>
                if bad_link {
                    <p id="error" class="error">{ labels::BAD_LINK }</p>
                }
                <p class="lead">{ labels::OPEN_YOUR_LINK }</p>
            </div>
        </main>
    }
}
