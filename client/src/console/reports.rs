//! Reports: a school's attendance over a date range (lessons held against scheduled, and per
//! classroom: scheduled, attended, late, rate, minutes on the sound alone and outages), with its
//! CSV; and the iCalendar feed address of a teacher's or a classroom's timetable, to subscribe to
//! in a calendar app.

use super::api::Api;
use super::bind::{self, Form, Select, TextInput};
use super::failure::FailureView;
use super::forms::reports::{CalendarForm, ReportForm};
use super::forms::shown_option;
use super::model::{Failure, School};
use serde::Deserialize;
use serde_json::Value;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ReportsProps {
    pub api: Api,
    /// Shows the school report (bureau and school admins).
    pub manages: bool,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
struct ClassroomRow {
    classroom: u64,
    #[serde(default)]
    name: Option<String>,
    scheduled: u32,
    attended: u32,
    late: u32,
    rate: u32,
    /// Its time on each picture of the teacher over those lessons, and its outages.
    #[serde(default)]
    link: super::model::LinkSeconds,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
struct SchoolReport {
    lessons_scheduled: u32,
    lessons_held: u32,
    classrooms: Vec<ClassroomRow>,
}

fn origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

#[function_component(Reports)]
pub fn reports(props: &ReportsProps) -> Html {
    let schools = use_state(Vec::<School>::new);
    let report = use_state(|| None::<(String, SchoolReport)>);
    let calendar = use_state(|| None::<String>);
    let failure = use_state(|| None::<Failure>);
    let report_form = use_reducer(Form::<ReportForm>::default);
    let calendar_form = use_reducer(Form::<CalendarForm>::default);
    {
        let (api, schools) = (props.api.clone(), schools.clone());
        use_effect_with((), move |_| {
            spawn_local(async move {
                if let Ok(list) = api.get::<Vec<School>>("/api/schools").await {
                    schools.set(list);
                }
            });
        });
    }
    let school_ids: Vec<String> = schools.iter().map(|s| s.id.to_string()).collect();
    let load = {
        let (api, report, failure) = (props.api.clone(), report.clone(), failure.clone());
        let form = report_form.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let query = form.query(shown_option(&form.school, &school_ids));
            let (api, report, failure) = (api.clone(), report.clone(), failure.clone());
            spawn_local(async move {
                match api.get::<SchoolReport>(&query).await {
                    Ok(r) => {
                        failure.set(None);
                        report.set(Some((query, r)));
                    }
                    Err(f) => failure.set(Some(f)),
                }
            });
        })
    };
    let feed = {
        let (api, calendar, failure) = (props.api.clone(), calendar.clone(), failure.clone());
        let form = calendar_form.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let path = form.path();
            let (api, calendar, failure) = (api.clone(), calendar.clone(), failure.clone());
            spawn_local(async move {
                match api.get::<Value>(&path).await {
                    Ok(v) => {
                        failure.set(None);
                        calendar.set(v["url"].as_str().map(|u| format!("{}{u}", origin())));
                    }
                    Err(f) => failure.set(Some(f)),
                }
            });
        })
    };
    html! {
        <section id="reports" class="card">
            <h2>{ "考勤统计与课表订阅" }</h2>
            if props.manages {
            <form class="inline-form" onsubmit={load}>
                <label>{ "学校" }
                    <Select id="report-school" value={report_form.school.clone()}
                        options={schools.iter().map(|s| (s.id.to_string(), s.name.clone()))
                            .collect::<Vec<_>>()}
                        on={bind::setter(&report_form, |f, v| f.school = v)} />
                </label>
                <label>{ "从" }
                    <TextInput id="report-from" placeholder="2030-09-01"
                        value={report_form.from.clone()}
                        on={bind::setter(&report_form, |f, v| f.from = v)} />
                </label>
                <label>{ "到（不含）" }
                    <TextInput id="report-to" placeholder="2031-01-16"
                        value={report_form.to.clone()}
                        on={bind::setter(&report_form, |f, v| f.to = v)} />
                </label>
                <button id="school-report" type="submit">{ "查看学校考勤" }</button>
            </form>
            }
            if let Some((query, r)) = &*report {
                <p id="school-summary">{ format!("已开课 {} 节 / 排课 {} 节", r.lessons_held, r.lessons_scheduled) }</p>
                <table id="school-report-table" class="attendance">
                    <thead><tr><th>{ "教室" }</th><th>{ "名称" }</th><th>{ "应到" }</th>
                        <th>{ "实到" }</th><th>{ "迟到" }</th><th>{ "出勤率" }</th>
                        <th>{ crate::labels::picture_minutes(shared::link::Picture::Paused) }</th>
                        <th>{ crate::labels::OUTAGES }</th></tr></thead>
                    <tbody>
                        { for r.classrooms.iter().map(|c| html! {
                            <tr data-classroom={c.classroom.to_string()}>
                                <td>{ c.classroom }</td>
                                <td>{ c.name.clone().unwrap_or_default() }</td>
                                <td>{ c.scheduled }</td>
                                <td>{ c.attended }</td>
                                <td>{ c.late }</td>
                                <td>{ format!("{}%", c.rate) }</td>
                                <td class="audio-only" data-seconds={c.link.audio_only_seconds.to_string()}>
                                    { super::model::minutes(c.link.audio_only_seconds) }
                                </td>
                                <td class="outages" data-outages={c.link.outages.to_string()}>
                                    { crate::labels::outages(c.link.outages, &super::model::minutes(c.link.outage_seconds)) }
                                </td>
                            </tr>
                        }) }
                    </tbody>
                </table>
                <a id="school-report-csv" href={format!("{query}&format=csv")}>{ "下载 CSV" }</a>
            }
            <form class="inline-form" onsubmit={feed}>
                <label>{ "课表" }
                    <Select id="calendar-kind" value={calendar_form.kind.clone()}
                        options={vec![("teacher".to_string(), "教师".to_string()),
                                      ("classroom".to_string(), "教室".to_string())]}
                        on={bind::setter(&calendar_form, |f, v| f.kind = v)} />
                </label>
                <label>{ "编号" }
                    <TextInput id="calendar-id" value={calendar_form.id.clone()}
                        on={bind::setter(&calendar_form, |f, v| f.id = v)} />
                </label>
                <button id="calendar-link" type="submit">{ "获取日历订阅链接" }</button>
            </form>
            if let Some(url) = &*calendar {
                <p class="calendar">{ "在日历应用中订阅：" }
                    <a id="calendar-url" href={url.clone()}>{ url.clone() }</a>
                </p>
            }
            <FailureView failure={(*failure).clone()} />
        </section>
    }
}
