//! Scheduling: one form for a weekly series in a term or a single lesson on a date. A clash (409)
//! is listed in `#clashes`, wrong fields (400) are named next to them, success lists the lessons.

use super::api::Api;
use super::dom;
use super::failure::{FailureView, FieldErrorView};
use super::forms::LessonForm;
use super::model::{CreatedSeries, Failure, LessonRow, Term};
use super::names::Names;
use super::week::WEEKDAYS;
use serde_json::Value;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ScheduleProps {
    pub api: Api,
    /// Terms made in this page, offered as suggestions.
    pub terms: Vec<Term>,
    pub on_scheduled: Callback<Vec<u64>>,
    /// Teachers and classrooms by name, offered as suggestions for the id fields.
    pub names: Names,
}

fn form() -> LessonForm {
    LessonForm {
        title: dom::value("s-title"),
        subject: dom::value("s-subject"),
        teacher: dom::value("s-teacher"),
        master_classroom: dom::value("s-master"),
        classrooms: dom::value("s-classrooms"),
        start: dom::value("s-start"),
        end: dom::value("s-end"),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Series,
    Single,
}

#[function_component(Schedule)]
pub fn schedule(props: &ScheduleProps) -> Html {
    let failure = use_state(|| None::<Failure>);
    let created = use_state(|| None::<Vec<u64>>);
    let submit = |kind: Kind| {
        let (api, failure, created, on_scheduled) = (
            props.api.clone(),
            failure.clone(),
            created.clone(),
            props.on_scheduled.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let f = form();
            let body: Result<Value, _> = match kind {
                Kind::Series => f.series(&dom::value("s-term"), &dom::value("s-weekday")),
                Kind::Single => f.single(&dom::value("s-date")),
            };
            created.set(None);
            let body = match body {
                Ok(b) => b,
                Err(errors) => {
                    failure.set(Some(Failure::Fields(
                        "编号须为数字，星期须为 1–7".into(),
                        errors,
                    )));
                    return;
                }
            };
            let (api, failure, created, on_scheduled) = (
                api.clone(),
                failure.clone(),
                created.clone(),
                on_scheduled.clone(),
            );
            spawn_local(async move {
                let result = match kind {
                    Kind::Series => api
                        .send::<CreatedSeries>("POST", "/api/series", Some(&body))
                        .await
                        .map(|s| s.lessons),
                    Kind::Single => api
                        .send::<LessonRow>("POST", "/api/lessons", Some(&body))
                        .await
                        .map(|l| vec![l.id]),
                };
                match result {
                    Ok(ids) => {
                        failure.set(None);
                        created.set(Some(ids.clone()));
                        on_scheduled.emit(ids);
                    }
                    Err(f) => failure.set(Some(f)),
                }
            });
        })
    };
    let f = (*failure).clone();
    // `list`: the id of a datalist of suggestions ("" for none).
    let field = |label: &str, id: &str, api_field: &'static str, placeholder: &str, list: &str| {
        let list = (!list.is_empty()).then(|| AttrValue::from(list.to_string()));
        html! {
            <>
                <label>{ label.to_string() }
                    <input id={id.to_string()} placeholder={placeholder.to_string()} {list} />
                </label>
                <FieldErrorView failure={f.clone()} field={api_field} />
            </>
        }
    };
    let term_hint = props
        .terms
        .iter()
        .map(|t| format!("{}={}", t.id, t.name))
        .collect::<Vec<_>>()
        .join("，");
    html! {
        <section id="schedule" class="card">
            <h2>{ "排课" }</h2>
            <form class="grid-form" onsubmit={|e: SubmitEvent| e.prevent_default()}>
                <datalist id="teacher-options">
                    { for props.names.all_teachers().into_iter().map(|(id, name)| html! {
                        <option value={id.to_string()} label={name} />
                    }) }
                </datalist>
                <datalist id="classroom-options">
                    { for props.names.all_classrooms().into_iter().map(|(id, name)| html! {
                        <option value={id.to_string()} label={name} />
                    }) }
                </datalist>
                { field("课程名称", "s-title", "title", "数学：分数的加减", "") }
                { field("学科", "s-subject", "subject", "数学", "") }
                { field("主讲教师编号", "s-teacher", "teacher", "1", "teacher-options") }
                { field("主讲教室编号", "s-master", "master_classroom", "1", "classroom-options") }
                { field("远端教室编号（逗号分隔）", "s-classrooms", "classrooms", "2, 3", "") }
                { field("开始时间", "s-start", "start", "08:00", "") }
                { field("结束时间", "s-end", "end", "08:45", "") }
                <fieldset>
                    <legend>{ "每周重复" }</legend>
                    { field("学期编号", "s-term", "term", &term_hint, "") }
                    <label>{ "星期" }
                        <select id="s-weekday">
                            { for WEEKDAYS.iter().enumerate().map(|(i, d)| html! {
                                <option value={(i + 1).to_string()} selected={i == 0}>{ *d }</option>
                            }) }
                        </select>
                    </label>
                    <FieldErrorView failure={f.clone()} field="weekday" />
                    <button id="create-series" type="button" onclick={submit(Kind::Series)}>
                        { "按周排课" }
                    </button>
                </fieldset>
                <fieldset>
                    <legend>{ "单次课" }</legend>
                    <label>{ "日期" }<input id="s-date" placeholder="2030-09-10" /></label>
                    <FieldErrorView failure={f.clone()} field="date" />
                    <button id="create-lesson" type="button" onclick={submit(Kind::Single)}>
                        { "单次排课" }
                    </button>
                </fieldset>
            </form>
            <FailureView failure={f} />
            if let Some(ids) = &*created {
                <p id="scheduled" class="ok" data-lessons={ids.iter().map(u64::to_string)
                        .collect::<Vec<_>>().join(",")}>
                    { format!("已排课：课程 {}", ids.iter().map(u64::to_string)
                        .collect::<Vec<_>>().join("、")) }
                </p>
            }
        </section>
    }
}
