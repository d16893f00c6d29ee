//! Terms: those the relay has (`GET /api/terms`) and those made in this page, listed with their
//! ids; and a form to create one (name, first and last day, holidays).

use super::api::Api;
use super::dom;
use super::failure::{FailureView, FieldErrorView};
use super::forms::term_body;
use super::model::{Failure, Term};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TermsProps {
    pub api: Api,
    pub terms: Vec<Term>,
    pub on_created: Callback<Term>,
}

#[function_component(Terms)]
pub fn terms(props: &TermsProps) -> Html {
    let failure = use_state(|| None::<Failure>);
    let create = {
        let (api, failure, on_created) =
            (props.api.clone(), failure.clone(), props.on_created.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let body = match term_body(
                &dom::value("term-name"),
                &dom::value("term-first"),
                &dom::value("term-last"),
                &dom::value("term-holidays"),
            ) {
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
    let f = (*failure).clone();
    html! {
        <section id="terms-section" class="card">
            <h2>{ "学期" }</h2>
            <form class="grid-form" onsubmit={create}>
                <label>{ "名称" }<input id="term-name" placeholder="2030年秋季学期" /></label>
                <FieldErrorView failure={f.clone()} field="name" />
                <label>{ "第一天" }<input id="term-first" placeholder="2030-09-02" /></label>
                <FieldErrorView failure={f.clone()} field="first" />
                <label>{ "最后一天" }<input id="term-last" placeholder="2030-11-30" /></label>
                <FieldErrorView failure={f.clone()} field="last" />
                <label>{ "假期（每行一段，如 2030-10-01..2030-10-07）" }
                    <textarea id="term-holidays" rows="3" />
                </label>
                <FieldErrorView failure={f.clone()} field="holidays" />
                <button id="create-term" type="submit">{ "创建学期" }</button>
            </form>
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
