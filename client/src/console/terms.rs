//! Terms: those the relay has (`GET /api/terms`) and those made in this page, listed with their
//! ids; and a form to create one (name, first and last day, holidays).

use super::api::Api;
use super::bind::{self, Form, Select, TextArea, TextInput};
use super::failure::{FailureView, FieldErrorView};
use super::forms::shown_option;
use super::forms::terms::{HolidayForm, TermForm};
use super::model::{Failure, Term};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TermsProps {
    pub api: Api,
    pub terms: Vec<Term>,
    pub on_created: Callback<Term>,
    /// Told after a holiday cancelled lessons, so the timetable loads again.
    pub on_closed: Callback<()>,
    /// Shows the forms to create terms and add holidays (bureau admins).
    pub bureau: bool,
}

#[function_component(Terms)]
pub fn terms(props: &TermsProps) -> Html {
    let failure = use_state(|| None::<Failure>);
    let term_form = use_reducer(Form::<TermForm>::default);
    let holiday_form = use_reducer(Form::<HolidayForm>::default);
    let create = {
        let (api, failure, on_created, form) = (
            props.api.clone(),
            failure.clone(),
            props.on_created.clone(),
            term_form.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let body = match form.body() {
                Ok(b) => b,
                Err(errors) => {
                    failure.set(Some(Failure::Fields("假期格式有误".into(), errors)));
                    return;
                }
            };
            let (api, failure, on_created) = (api.clone(), failure.clone(), on_created.clone());
            spawn_local(async move {
                match api.send::<Term>("POST", "/api/terms", Some(&body)).await {
                    Ok(t) => {
                        failure.set(None);
                        on_created.emit(t);
                    }
                    Err(f) => failure.set(Some(f)),
                }
            });
        })
    };
    // A holiday added to a term later (a snow day): the relay cancels the series lessons in it.
    let closed = use_state(|| None::<String>);
    let term_ids: Vec<String> = props.terms.iter().map(|t| t.id.to_string()).collect();
    let close = {
        let (api, failure, closed, on_closed, form) = (
            props.api.clone(),
            failure.clone(),
            closed.clone(),
            props.on_closed.clone(),
            holiday_form.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (path, body) = form.request(shown_option(&form.term, &term_ids));
            let (api, failure, closed, on_closed) = (
                api.clone(),
                failure.clone(),
                closed.clone(),
                on_closed.clone(),
            );
            spawn_local(async move {
                match api
                    .send::<serde_json::Value>("POST", &path, Some(&body))
                    .await
                {
                    Ok(v) => {
                        failure.set(None);
                        let n = v["cancelled"].as_array().map_or(0, Vec::len);
                        closed.set(Some(format!("已添加假期，取消了 {n} 节每周课程")));
                        on_closed.emit(());
                    }
                    Err(f) => failure.set(Some(f)),
                }
            });
        })
    };
    let f = (*failure).clone();
    html! {
        <section id="terms-section" class="card">
            <h2>{ "学期" }</h2>
            if props.bureau {
            <form class="grid-form" onsubmit={create}>
                <label>{ "名称" }
                    <TextInput id="term-name" placeholder="2030年秋季学期"
                        value={term_form.name.clone()}
                        on={bind::setter(&term_form, |f, v| f.name = v)} />
                </label>
                <FieldErrorView failure={f.clone()} field="name" />
                <label>{ "第一天" }
                    <TextInput id="term-first" placeholder="2030-09-02"
                        value={term_form.first.clone()}
                        on={bind::setter(&term_form, |f, v| f.first = v)} />
                </label>
                <FieldErrorView failure={f.clone()} field="first" />
                <label>{ "最后一天" }
                    <TextInput id="term-last" placeholder="2030-11-30"
                        value={term_form.last.clone()}
                        on={bind::setter(&term_form, |f, v| f.last = v)} />
                </label>
                <FieldErrorView failure={f.clone()} field="last" />
                <label>{ "假期（每行一段，如 2030-10-01..2030-10-07）" }
                    <TextArea id="term-holidays" rows="3" value={term_form.holidays.clone()}
                        on={bind::setter(&term_form, |f, v| f.holidays = v)} />
                </label>
                <FieldErrorView failure={f.clone()} field="holidays" />
                <button id="create-term" type="submit">{ "创建学期" }</button>
            </form>
            }
            if props.bureau && !props.terms.is_empty() {
                <form class="inline-form" onsubmit={close}>
                    <label>{ "临时停课（如雪灾）" }
                        <Select id="holiday-term" value={holiday_form.term.clone()}
                            options={props.terms.iter().map(|t| (t.id.to_string(), t.name.clone()))
                                .collect::<Vec<_>>()}
                            on={bind::setter(&holiday_form, |f, v| f.term = v)} />
                    </label>
                    <label>{ "从" }
                        <TextInput id="holiday-first" placeholder="2030-12-02"
                            value={holiday_form.first.clone()}
                            on={bind::setter(&holiday_form, |f, v| f.first = v)} />
                    </label>
                    <label>{ "到" }
                        <TextInput id="holiday-last" placeholder="2030-12-03"
                            value={holiday_form.last.clone()}
                            on={bind::setter(&holiday_form, |f, v| f.last = v)} />
                    </label>
                    <button id="add-holiday" type="submit">{ "添加假期" }</button>
                </form>
            }
            if let Some(m) = &*closed {
                <p id="holiday-added" class="ok">{ m.clone() }</p>
            }
            <FailureView failure={f} />
            if !props.terms.is_empty() {
                <ul id="terms" class="terms">
                    { for props.terms.iter().map(|t| html! {
                        <li data-term={t.id.to_string()}>
                            { format!("学期 {}：{}（{} 至 {}）", t.id, t.name, t.first, t.last) }
                        </li>
                    }) }
                </ul>
            }
        </section>
    }
}
