//! The console's root: restores or asks for a session, then shows the sections. It owns what the
//! sections share: the session, the terms (loaded from the relay, plus those made in this page),
//! the lesson picked in the timetable and a counter that makes the timetable reload after
//! scheduling or changing a lesson.

use super::accounts::Accounts;
use super::api::{self, Api};
use super::bind::{self, Form};
use super::forms::accounts::SignInForm;
use super::lesson_panel::LessonPanel;
use super::model::{Failure, Me, School, Term};
use super::names::{ClassroomEntry, Names, TeacherEntry};
use super::reports::Reports;
use super::schedule::Schedule;
use super::schools::Schools;
use super::sign_in::sign_in_card;
use super::terms::Terms;
use super::timetable::Timetable;
use crate::ready;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[derive(Clone, PartialEq)]
enum Session {
    /// Asking `GET /api/me`.
    Checking,
    SignedOut,
    SignedIn(Api, Me),
}

#[function_component(Console)]
pub fn console() -> Html {
    let session = use_state(|| Session::Checking);
    let error = use_state(|| None::<String>);
    let terms = use_state(Vec::<Term>::new);
    let picked = use_state(|| None::<u64>);
    let refresh = use_state(|| 0u32);
    let names = use_state(Names::default);
    let form = use_reducer(Form::<SignInForm>::default);
    // A session that ends while the page is open (expired, signed out elsewhere): sign in again.
    let expired = {
        let (session, error) = (session.clone(), error.clone());
        Callback::from(move |()| {
            error.set(Some("登录已失效，请重新登录".into()));
            session.set(Session::SignedOut);
        })
    };
    {
        let (session, expired) = (session.clone(), expired.clone());
        use_effect_with((), move |_| {
            spawn_local(async move {
                session.set(match api::restore().await {
                    Ok((api, me)) => Session::SignedIn(api.on_expiry(expired), me),
                    Err(_) => Session::SignedOut,
                });
                ready::mark();
            });
        });
    }
    let sign_in = {
        let (session, error, form) = (session.clone(), error.clone(), form.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (session, error, expired) = (session.clone(), error.clone(), expired.clone());
            let (login, password) = (form.login.clone(), form.password.clone());
            let form = form.clone();
            spawn_local(async move {
                match api::sign_in(&login, &password).await {
                    Ok((api, me)) => {
                        error.set(None);
                        // Signed out later, the form shows empty again (as it did when its
                        // inputs were made anew).
                        bind::edit(&form, |f| *f = SignInForm::default());
                        session.set(Session::SignedIn(api.on_expiry(expired), me));
                    }
                    Err(Failure::Other(m)) if m.contains("wrong login") => {
                        error.set(Some("登录名或密码错误".into()))
                    }
                    Err(f) => error.set(Some(f.message())),
                }
            });
        })
    };
    {
        // The terms, once signed in.
        let terms = terms.clone();
        let api = match &*session {
            Session::SignedIn(api, _) => Some(api.clone()),
            _ => None,
        };
        use_effect_with(api, move |api| {
            if let Some(api) = api.clone() {
                spawn_local(async move {
                    if let Ok(list) = api.get::<Vec<Term>>("/api/terms").await {
                        terms.set(list);
                    }
                });
            }
        });
    }
    {
        // Names for ids, once signed in and after every change.
        let names = names.clone();
        let api = match &*session {
            Session::SignedIn(api, _) => Some(api.clone()),
            _ => None,
        };
        use_effect_with((api, *refresh), move |(api, _)| {
            if let Some(api) = api.clone() {
                spawn_local(async move {
                    let schools = api.get::<Vec<School>>("/api/schools").await;
                    let rooms = api.get::<Vec<ClassroomEntry>>("/api/classrooms").await;
                    let teachers = api.get::<Vec<TeacherEntry>>("/api/teachers").await;
                    if let (Ok(s), Ok(r), Ok(t)) = (schools, rooms, teachers) {
                        names.set(Names::new(&s, &r, &t));
                    }
                });
            }
        });
    }
    match &*session {
        Session::Checking => html! {
            <main id="console" class="console" data-state="checking"><p>{ "正在加载…" }</p></main>
        },
        Session::SignedOut => html! {
            <main id="console" class="console" data-state="signed-out">
                { sign_in_card("同频互动课堂 · 教育局管理台", None, &form, sign_in, error.as_deref()) }
            </main>
        },
        Session::SignedIn(api, me) => {
            let sign_out = {
                let (session, api) = (session.clone(), api.clone());
                Callback::from(move |_| {
                    let (session, api) = (session.clone(), api.clone());
                    spawn_local(async move {
                        let _ = api.sign_out().await;
                        session.set(Session::SignedOut);
                    });
                })
            };
            let on_term = {
                let terms = terms.clone();
                Callback::from(move |t: Term| {
                    let mut all = (*terms).clone();
                    all.push(t);
                    terms.set(all);
                })
            };
            let on_scheduled = {
                let refresh = refresh.clone();
                Callback::from(move |_: Vec<u64>| refresh.set(*refresh + 1))
            };
            // What this account may change (the relay checks again; this only hides forms).
            let manages = me.account.role.as_ref().is_some_and(|r| r.is_admin());
            let bureau = me
                .account
                .role
                .as_ref()
                .is_some_and(|r| r.kind == "bureau_admin");
            let on_changed = {
                let refresh = refresh.clone();
                Callback::from(move |()| refresh.set(*refresh + 1))
            };
            let on_pick = {
                let picked = picked.clone();
                Callback::from(move |id: u64| picked.set(Some(id)))
            };
            html! {
                <main id="console" class="console" data-state="signed-in">
                    <header class="console-bar">
                        <h1>{ "同频互动课堂 · 教育局管理台" }</h1>
                        <span id="account" class="account">{ format!("{}（{}）", me.account.name, me.account.login) }</span>
                        <button id="sign-out" onclick={sign_out}>{ "退出登录" }</button>
                    </header>
                    <Schools api={api.clone()} on_changed={on_changed.clone()} {bureau} {manages} />
                    <Terms api={api.clone()} terms={(*terms).clone()} on_created={on_term}
                        on_closed={on_changed.clone()} {bureau} />
                    if manages {
                        <Schedule api={api.clone()} terms={(*terms).clone()} {on_scheduled}
                            names={(*names).clone()} />
                    }
                    <Timetable api={api.clone()} refresh={*refresh} {on_pick} names={(*names).clone()} />
                    <LessonPanel api={api.clone()} picked={*picked} {on_changed} names={(*names).clone()} {manages} />
                    <Reports api={api.clone()} {manages} />
                    if manages {
                        <Accounts api={api.clone()} me={me.account.id} />
                    }
                </main>
            }
        }
    }
}
