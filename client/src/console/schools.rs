//! Schools and their classrooms, and forms to add a school (bureau admins), a classroom or a
//! teacher to a school.

use super::api::Api;
use super::dom;
use super::failure::{FailureView, FieldErrorView};
use super::model::{Classroom, Failure, School};
use std::collections::BTreeMap;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SchoolsProps {
    pub api: Api,
    /// Told after a school, classroom or teacher was added (names elsewhere load again).
    pub on_changed: Callback<()>,
    /// Shows the form to add a school (bureau admins).
    pub bureau: bool,
    /// Shows the forms to add classrooms and teachers (bureau and school admins).
    pub manages: bool,
}

/// A teacher as `GET /api/teachers` lists them.
#[derive(Clone, PartialEq, serde::Deserialize)]
struct Teacher {
    id: u64,
    name: String,
    school: u64,
}

type Loaded = (Vec<School>, BTreeMap<u64, Vec<Classroom>>, Vec<Teacher>);

async fn load(api: &Api) -> Result<Loaded, Failure> {
    let schools: Vec<School> = api.get("/api/schools").await?;
    let mut rooms = BTreeMap::new();
    for s in &schools {
        let list: Vec<Classroom> = api
            .get(&format!("/api/schools/{}/classrooms", s.id))
            .await?;
        rooms.insert(s.id, list);
    }
    let teachers = api.get("/api/teachers").await?;
    Ok((schools, rooms, teachers))
}

#[function_component(Schools)]
pub fn schools(props: &SchoolsProps) -> Html {
    let loaded = use_state(|| None::<Loaded>);
    let failure = use_state(|| None::<Failure>);
    let reload = use_state(|| 0u32);
    {
        let (api, loaded, failure) = (props.api.clone(), loaded.clone(), failure.clone());
        use_effect_with(*reload, move |_| {
            spawn_local(async move {
                match load(&api).await {
                    Ok(l) => loaded.set(Some(l)),
                    Err(f) => failure.set(Some(f)),
                }
            });
        });
    }
    // Adding a classroom, a teacher or a school: the path, the body from the form, the fields to
    // clear.
    let post =
        |path: fn() -> String, body: fn() -> serde_json::Value, clear: &'static [&'static str]| {
            let (api, failure, reload, on_changed) = (
                props.api.clone(),
                failure.clone(),
                reload.clone(),
                props.on_changed.clone(),
            );
            Callback::from(move |e: SubmitEvent| {
                e.prevent_default();
                let (api, failure, reload, on_changed) = (
                    api.clone(),
                    failure.clone(),
                    reload.clone(),
                    on_changed.clone(),
                );
                let (path, body) = (path(), body());
                spawn_local(async move {
                    match api
                        .send::<serde_json::Value>("POST", &path, Some(&body))
                        .await
                    {
                        Ok(_) => {
                            failure.set(None);
                            for id in clear {
                                dom::clear(id);
                            }
                            reload.set(*reload + 1);
                            on_changed.emit(());
                        }
                        Err(f) => failure.set(Some(f)),
                    }
                });
            })
        };
    let add = post(
        || {
            format!(
                "/api/schools/{}/classrooms",
                dom::value("classroom-school").trim()
            )
        },
        || serde_json::json!({"name": dom::value("classroom-name")}),
        &["classroom-name"],
    );
    let add_school = post(
        || "/api/schools".into(),
        || {
            serde_json::json!({"name": dom::value("school-name"), "county": dom::value("school-county"),
                               "kind": dom::value("school-kind")})
        },
        &["school-name", "school-county"],
    );
    let add_teacher = post(
        || {
            format!(
                "/api/schools/{}/teachers",
                dom::value("teacher-school").trim()
            )
        },
        || serde_json::json!({"name": dom::value("teacher-name")}),
        &["teacher-name"],
    );
    let Some((schools, rooms, teachers)) = &*loaded else {
        return html! {
            <section id="schools" class="card"><h2>{ "学校与教室" }</h2>
                <FailureView failure={(*failure).clone()} />
            </section>
        };
    };
    html! {
        <section id="schools" class="card">
            <h2>{ "学校与教室" }</h2>
            <table class="schools">
                <thead><tr><th>{ "编号" }</th><th>{ "学校" }</th><th>{ "旗县" }</th>
                    <th>{ "类型" }</th><th>{ "教室（编号）" }</th><th>{ "教师（编号）" }</th></tr></thead>
                <tbody>
                    { for schools.iter().map(|s| html! {
                        <tr data-school={s.id.to_string()}>
                            <td>{ s.id }</td>
                            <td>{ s.name.clone() }</td>
                            <td>{ s.county.clone() }</td>
                            <td>{ if s.kind == "master" { "主讲学校" } else { "远端学校" } }</td>
                            <td>{ rooms.get(&s.id).map(|list| list.iter()
                                    .map(|c| format!("{}（{}）", c.name, c.id))
                                    .collect::<Vec<_>>().join("、")).unwrap_or_default() }</td>
                            <td class="teachers">{ teachers.iter().filter(|t| t.school == s.id)
                                    .map(|t| format!("{}（{}）", t.name, t.id))
                                    .collect::<Vec<_>>().join("、") }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            if props.manages {
            <form class="inline-form" onsubmit={add}>
                <label>{ "学校" }
                    <select id="classroom-school">
                        { for schools.iter().enumerate().map(|(i, s)| html! {
                            <option value={s.id.to_string()} selected={i == 0}>{ s.name.clone() }</option>
                        }) }
                    </select>
                </label>
                <label>{ "教室名称" }<input id="classroom-name" /></label>
                <FieldErrorView failure={(*failure).clone()} field="name" />
                <button id="add-classroom" type="submit">{ "添加教室" }</button>
            </form>
            <form class="inline-form" onsubmit={add_teacher}>
                <label>{ "学校" }
                    <select id="teacher-school">
                        { for schools.iter().enumerate().map(|(i, s)| html! {
                            <option value={s.id.to_string()} selected={i == 0}>{ s.name.clone() }</option>
                        }) }
                    </select>
                </label>
                <label>{ "教师姓名" }<input id="teacher-name" /></label>
                <button id="add-teacher" type="submit">{ "添加教师" }</button>
            </form>
            }
            if props.bureau {
            <form class="inline-form" onsubmit={add_school}>
                <label>{ "学校名称" }<input id="school-name" /></label>
                <label>{ "旗县" }<input id="school-county" placeholder="四子王旗" /></label>
                <label>{ "类型" }
                    <select id="school-kind">
                        <option value="remote" selected=true>{ "远端学校（接收课堂）" }</option>
                        <option value="master">{ "主讲学校（主讲课堂）" }</option>
                    </select>
                </label>
                <FieldErrorView failure={(*failure).clone()} field="county" />
                <button id="add-school" type="submit">{ "添加学校" }</button>
            </form>
            }
            <FailureView failure={(*failure).clone()} />
        </section>
    }
}
