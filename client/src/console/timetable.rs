//! The week's timetable: Monday to Sunday columns, each day's lessons sorted by time, for the
//! region (what the account may see), one county, school, classroom or teacher. A click on a
//! lesson picks it for the lesson panel.

use super::api::Api;
use super::bind::{self, Form, Select, TextInput};
use super::failure::FailureView;
use super::grid::{GridBy, GridForm};
use super::model::{Failure, LessonRow};
use super::names::Names;
use super::week::{span, Day, Week, WEEKDAYS};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TimetableProps {
    pub api: Api,
    /// Bumped after scheduling, to load the week again.
    pub refresh: u32,
    pub on_pick: Callback<u64>,
    /// Names for the classroom and teacher ids.
    pub names: Names,
}

fn today() -> Day {
    Day::of_unix((js_sys::Date::now() / 1000.0) as i64)
}

#[function_component(Timetable)]
pub fn timetable(props: &TimetableProps) -> Html {
    let week = use_state(|| Week::containing(today()));
    let by = use_state(GridBy::default);
    // The forms: the day typed to jump to its week, and the filter being chosen.
    let week_of = use_state(String::new);
    let grid_form = use_reducer(Form::<GridForm>::default);
    // The lessons shown, with the query they answer.
    let lessons = use_state(|| None::<(String, Vec<LessonRow>)>);
    let failure = use_state(|| None::<Failure>);
    {
        let (api, lessons, failure) = (props.api.clone(), lessons.clone(), failure.clone());
        use_effect_with(
            (*week, (*by).clone(), props.refresh),
            move |(week, by, _)| {
                let query = format!("{}{}", week.query(), by.query());
                spawn_local(async move {
                    match api.get::<Vec<LessonRow>>(&query).await {
                        Ok(mut list) => {
                            list.sort_by_key(|l| (l.starts_at, l.id));
                            failure.set(None);
                            lessons.set(Some((query, list)));
                        }
                        Err(f) => failure.set(Some(f)),
                    }
                });
            },
        );
    }
    let step = |forward: bool| {
        let week = week.clone();
        Callback::from(move |_| week.set(if forward { week.next() } else { week.prev() }))
    };
    let go = {
        let (week, week_of) = (week.clone(), week_of.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(day) = Day::parse(&week_of) {
                week.set(Week::containing(day));
            }
        })
    };
    let filter = {
        let (by, failure, form) = (by.clone(), failure.clone(), grid_form.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match form.filter() {
                Ok(b) => by.set(b),
                Err(m) => failure.set(Some(Failure::Other(m))),
            }
        })
    };
    let (shown, list) = (*lessons).clone().unwrap_or_default();
    let days = week.days();
    html! {
        <section id="timetable" class="card" data-week={week.monday.iso()}
            data-shown={shown}
            data-loaded={lessons.is_some().to_string()}>
            <h2>{ "课表" }</h2>
            <form class="inline-form" onsubmit={go}>
                <button id="prev-week" type="button" onclick={step(false)}>{ "上一周" }</button>
                <span class="week-label">{ format!("{} 至 {}", days[0].iso(), days[6].iso()) }</span>
                <button id="next-week" type="button" onclick={step(true)}>{ "下一周" }</button>
                <label>{ "跳到" }
                    <TextInput id="week-of" placeholder="2030-09-10" value={(*week_of).clone()}
                        on={let w = week_of.clone(); Callback::from(move |v| w.set(v))} />
                </label>
                <button id="go-week" type="submit">{ "查看" }</button>
            </form>
            <form class="inline-form" onsubmit={filter}>
                <label>{ "显示" }
                    <Select id="grid-by" value={grid_form.by.clone()}
                        options={[("all", "全部课程"), ("county", "按旗县"), ("school", "按学校编号"),
                                  ("classroom", "按教室编号"), ("teacher", "按教师编号")]
                            .map(|(v, t)| (v.to_string(), t.to_string())).to_vec()}
                        on={bind::setter(&grid_form, |f, v| f.by = v)} />
                </label>
                <label>{ "旗县或编号" }
                    <TextInput id="grid-value" placeholder="四子王旗 / 3"
                        value={grid_form.value.clone()}
                        on={bind::setter(&grid_form, |f, v| f.value = v)} />
                </label>
                <button id="grid-filter" type="submit">{ "筛选" }</button>
            </form>
            <FailureView failure={(*failure).clone()} />
            <div id="week" class="week">
                { for days.iter().enumerate().map(|(i, day)| html! {
                    <div class="day" data-day={day.iso()}>
                        <h3>{ format!("{} {}", WEEKDAYS[i], day.short()) }</h3>
                        <ul>
                            { for list.iter().filter(|l| week.column(l.starts_at) == Some(i)).map(|l| {
                                let on_pick = props.on_pick.clone();
                                let id = l.id;
                                let names = &props.names;
                                html! {
                                    <li class="slot" data-lesson={l.id.to_string()}
                                        title="选择此课程" onclick={move |_| on_pick.emit(id)}>
                                        <span class="time">{ span(l.starts_at, l.ends_at) }</span>
                                        <span class="title">{ l.title.clone() }</span>
                                        <span class="teacher">{ names.teacher(l.teacher) }</span>
                                        <span class="rooms">{ format!("课程 {} · 主讲 {} · 远端 {}", l.id,
                                            names.classroom(l.master_classroom), names.classrooms(&l.classrooms)) }</span>
                                    </li>
                                }
                            }) }
                        </ul>
                    </div>
                }) }
            </div>
        </section>
    }
}
