//! Schools and their classrooms, and a form to add a classroom to a school.

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
}

type Loaded = (Vec<School>, BTreeMap<u64, Vec<Classroom>>);

async fn load(api: &Api) -> Result<Loaded, Failure> {
    let schools: Vec<School> = api.get("/api/schools").await?;
    let mut rooms = BTreeMap::new();
    for s in &schools {
        let list: Vec<Classroom> = api
            .get(&format!("/api/schools/{}/classrooms", s.id))
            .await?;
        rooms.insert(s.id, list);
    }
    Ok((schools, rooms))
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
    let add = {
        let (api, failure, reload) = (props.api.clone(), failure.clone(), reload.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (api, failure, reload) = (api.clone(), failure.clone(), reload.clone());
            let school = dom::value("classroom-school");
            let body = serde_json::json!({"name": dom::value("classroom-name")});
            spawn_local(async move {
                let path = format!("/api/schools/{}/classrooms", school.trim());
                match api.send::<Classroom>("POST", &path, Some(&body)).await {
                    Ok(_) => {
                        failure.set(None);
                        dom::clear("classroom-name");
                        reload.set(*reload + 1);
                    }
                    Err(f) => failure.set(Some(f)),
                }
            });
        })
    };
    let Some((schools, rooms)) = &*loaded else {
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
                    <th>{ "类型" }</th><th>{ "教室（编号）" }</th></tr></thead>
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
                        </tr>
                    }) }
                </tbody>
            </table>
            <form class="inline-form" onsubmit={add}>
                <label>{ "学校" }
                    <select id="classroom-school">
                        { for schools.iter().map(|s| html! {
                            <option value={s.id.to_string()}>{ s.name.clone() }</option>
                        }) }
                    </select>
                </label>
                <label>{ "教室名称" }<input id="classroom-name" /></label>
                <FieldErrorView failure={(*failure).clone()} field="name" />
                <button id="add-classroom" type="submit">{ "添加教室" }</button>
            </form>
            <FailureView failure={(*failure).clone()} />
        </section>
    }
}
