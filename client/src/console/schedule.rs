//! Scheduling: one form for a weekly series in a term or a single lesson on a date. A clash (409)
//! is listed in `#clashes`, wrong fields (400) are named next to them, success lists the lessons.

use super::api::Api;
use super::bind::{self, Form, Select, TextInput};
use super::failure::{FailureView, FieldErrorView};
use super::forms::lessons::LessonForm;
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

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Series,
    Single,
}

#[function_component(Schedule)]
pub fn schedule(props: &ScheduleProps) -> Html {
    let failure = use_state(|| None::<Failure>);
    let created = use_state(|| None::<Vec<u64>>);
    let form = use_reducer(Form::<LessonForm>::default);
    let submit = |kind: Kind| {
        let (api, failure, created, on_scheduled, form) = (
            props.api.clone(),
            failure.clone(),
            created.clone(),
            props.on_scheduled.clone(),
            form.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let body: Result<Value, _> = match kind {
                Kind::Series => form.series(),
                Kind::Single => form.single(),
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
    // A text field of the form: `value` reads it, `set` writes it; `list` is the id of a datalist
    // of suggestions ("" for none).
    let field = |label: &str,
                 id: &'static str,
                 api_field: &'static str,
                 placeholder: &str,
                 list: &'static str,
                 value: &str,
                 set: fn(&mut LessonForm, String)| {
        let list = (!list.is_empty()).then_some(AttrValue::Static(list));
        html! {
            <>
                <label>{ label.to_string() }
                    <TextInput {id} placeholder={AttrValue::from(placeholder.to_string())} {list}
                        value={AttrValue::from(value.to_string())} on={bind::setter(&form, set)} />
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
                { field("课程名称", "s-title", "title", "数学：分数的加减", "", &form.title,
                    |f, v| f.title = v) }
                { field("学科", "s-subject", "subject", "数学", "", &form.subject,
                    |f, v| f.subject = v) }
                { field("主讲教师编号", "s-teacher", "teacher", "1", "teacher-options",
                    &form.teacher, |f, v| f.teacher = v) }
                { field("主讲教室编号", "s-master", "master_classroom", "1", "classroom-options",
                    &form.master_classroom, |f, v| f.master_classroom = v) }
                { field("远端教室编号（逗号分隔）", "s-classrooms", "classrooms", "2, 3", "",
                    &form.classrooms, |f, v| f.classrooms = v) }
                { field("开始时间", "s-start", "start", "08:00", "", &form.start,
                    |f, v| f.start = v) }
                { field("结束时间", "s-end", "end", "08:45", "", &form.end, |f, v| f.end = v) }
                <fieldset>
                    <legend>{ "每周重复" }</legend>
                    { field("学期编号", "s-term", "term", &term_hint, "", &form.term,
                        |f, v| f.term = v) }
                    <label>{ "星期" }
                        <Select id="s-weekday" value={form.weekday.clone()}
                            options={WEEKDAYS.iter().enumerate()
                                .map(|(i, d)| ((i + 1).to_string(), d.to_string()))
                                .collect::<Vec<_>>()}
                            on={bind::setter(&form, |f, v| f.weekday = v)} />
                    </label>
                    <FieldErrorView failure={f.clone()} field="weekday" />
                    <button id="create-series" type="button" onclick={submit(Kind::Series)}>
                        { "按周排课" }
                    </button>
                </fieldset>
                <fieldset>
                    <legend>{ "单次课" }</legend>
                    <label>{ "日期" }
                        <TextInput id="s-date" placeholder="2030-09-10" value={form.date.clone()}
                            on={bind::setter(&form, |f, v| f.date = v)} />
                    </label>
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
