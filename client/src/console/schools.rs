//! Schools and their classrooms, and forms to add a school (bureau admins), a classroom or a
//! teacher to a school.

use super::api::Api;
use super::bind::{self, Form, FormHandle, Select, TextInput};
use super::failure::{FailureView, FieldErrorView};
use super::forms::schools::{Member, MemberForm, SchoolForm};
use super::forms::shown_option;
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
    let school_form = use_reducer(Form::<SchoolForm>::default);
    let classroom_form = use_reducer(Form::<MemberForm>::default);
    let teacher_form = use_reducer(Form::<MemberForm>::default);
    // The schools' ids, as the selects offer them.
    let school_ids: Vec<String> = loaded
        .as_ref()
        .map(|(schools, _, _)| schools.iter().map(|s| s.id.to_string()).collect())
        .unwrap_or_default();
    // Adding a classroom, a teacher or a school: the path and body; `done` clears the form's
    // fields once it is added.
    let post = {
        let (api, failure, reload, on_changed) = (
            props.api.clone(),
            failure.clone(),
            reload.clone(),
            props.on_changed.clone(),
        );
        move |path: String, body: serde_json::Value, done: Box<dyn FnOnce()>| {
            let (api, failure, reload, on_changed) = (
                api.clone(),
                failure.clone(),
                reload.clone(),
                on_changed.clone(),
            );
            spawn_local(async move {
                match api
                    .send::<serde_json::Value>("POST", &path, Some(&body))
                    .await
                {
                    Ok(_) => {
                        failure.set(None);
                        done();
                        reload.set(*reload + 1);
                        on_changed.emit(());
                    }
                    Err(f) => failure.set(Some(f)),
                }
            });
        }
    };
    let add_member = |member: Member, form: &FormHandle<MemberForm>| {
        let (post, form, school_ids) = (post.clone(), form.clone(), school_ids.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (path, body) = form.request(member, shown_option(&form.school, &school_ids));
            let form = form.clone();
            post(
                path,
                body,
                Box::new(move || bind::edit(&form, |f| f.name.clear())),
            );
        })
    };
    let add = add_member(Member::Classroom, &classroom_form);
    let add_teacher = add_member(Member::Teacher, &teacher_form);
    let add_school = {
        let (post, form) = (post.clone(), school_form.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let form = form.clone();
            let body = form.body();
            post(
                "/api/schools".into(),
                body,
                Box::new(move || {
                    bind::edit(&form, |f| {
                        f.name.clear();
                        f.county.clear();
                    })
                }),
            );
        })
    };
    let Some((schools, rooms, teachers)) = &*loaded else {
        return html! {
            <section id="schools" class="card"><h2>{ "学校与教室" }</h2>
                <FailureView failure={(*failure).clone()} />
            </section>
        };
    };
    let school_options: Vec<(String, String)> = schools
        .iter()
        .map(|s| (s.id.to_string(), s.name.clone()))
        .collect();
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
                    <Select id="classroom-school" options={school_options.clone()}
                        value={classroom_form.school.clone()}
                        on={bind::setter(&classroom_form, |f, v| f.school = v)} />
                </label>
                <label>{ "教室名称" }
                    <TextInput id="classroom-name" value={classroom_form.name.clone()}
                        on={bind::setter(&classroom_form, |f, v| f.name = v)} />
                </label>
                <FieldErrorView failure={(*failure).clone()} field="name" />
                <button id="add-classroom" type="submit">{ "添加教室" }</button>
            </form>
            <form class="inline-form" onsubmit={add_teacher}>
                <label>{ "学校" }
                    <Select id="teacher-school" options={school_options}
                        value={teacher_form.school.clone()}
                        on={bind::setter(&teacher_form, |f, v| f.school = v)} />
                </label>
                <label>{ "教师姓名" }
                    <TextInput id="teacher-name" value={teacher_form.name.clone()}
                        on={bind::setter(&teacher_form, |f, v| f.name = v)} />
                </label>
                <button id="add-teacher" type="submit">{ "添加教师" }</button>
            </form>
            }
            if props.bureau {
            <form class="inline-form" onsubmit={add_school}>
                <label>{ "学校名称" }
                    <TextInput id="school-name" value={school_form.name.clone()}
                        on={bind::setter(&school_form, |f, v| f.name = v)} />
                </label>
                <label>{ "旗县" }
                    <TextInput id="school-county" placeholder="四子王旗"
                        value={school_form.county.clone()}
                        on={bind::setter(&school_form, |f, v| f.county = v)} />
                </label>
                <label>{ "类型" }
                    <Select id="school-kind" value={school_form.kind.clone()}
                        options={vec![
                            ("remote".to_string(), "远端学校（接收课堂）".to_string()),
                            ("master".to_string(), "主讲学校（主讲课堂）".to_string()),
                        ]}
                        on={bind::setter(&school_form, |f, v| f.kind = v)} />
                </label>
                <FieldErrorView failure={(*failure).clone()} field="county" />
                <button id="add-school" type="submit">{ "添加学校" }</button>
            </form>
            }
            <FailureView failure={(*failure).clone()} />
        </section>
    }
}
