//! One lesson: changing it (only this one, or this and the following ones of its series) or
//! cancelling it, its join links (made, listed, revoked) and its attendance report.

use super::api::Api;
use super::bind::{self, Form, Select, TextInput};
use super::failure::FailureView;
use super::forms::lessons::{LessonEdit, Reach};
use super::model::{minutes, role_label, Attendance, Failure, JoinLink, LessonRow, LinkSeconds};
use super::names::Names;
use super::week::{clock, date_time};
use serde_json::Value;
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LessonPanelProps {
    pub api: Api,
    /// The lesson clicked in the timetable.
    pub picked: Option<u64>,
    /// Told after the lesson was changed or cancelled, so the timetable loads again.
    pub on_changed: Callback<()>,
    /// Names for the classroom and teacher ids.
    pub names: Names,
    /// Shows the form to change or cancel the lesson (bureau and school admins).
    pub manages: bool,
}

/// The link as an absolute URL on this page's origin.
fn absolute(path: &str) -> String {
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    format!("{origin}{path}")
}

#[function_component(LessonPanel)]
pub fn lesson_panel(props: &LessonPanelProps) -> Html {
    let lesson = use_state(String::new);
    let links = use_state(Vec::<JoinLink>::new);
    let revoked = use_state(Vec::<u64>::new);
    let attendance = use_state(|| None::<(u64, Attendance)>);
    let failure = use_state(|| None::<Failure>);
    {
        let lesson = lesson.clone();
        use_effect_with(props.picked, move |picked| {
            if let Some(id) = picked {
                lesson.set(id.to_string());
            }
        });
    }
    let id = lesson.trim().parse::<u64>().ok();
    // The lesson as stored, to show it and to change it; reloaded after a change.
    let row = use_state(|| None::<LessonRow>);
    // The change form, shown anew with each load of the lesson.
    let edit = use_reducer(Form::<Option<LessonEdit>>::default);
    let changed = use_state(|| None::<String>);
    // Cancelling asks once more in the page.
    let confirming = use_state(|| false);
    let reload = use_state(|| 0u32);
    {
        let (api, row, edit) = (props.api.clone(), row.clone(), edit.clone());
        let confirming = confirming.clone();
        use_effect_with((id, *reload), move |(id, _)| {
            row.set(None);
            confirming.set(false);
            if let Some(id) = *id {
                spawn_local(async move {
                    if let Ok(r) = api.get::<LessonRow>(&format!("/api/lessons/{id}")).await {
                        let shown = LessonEdit::shown(&r);
                        bind::edit(&edit, move |e| *e = Some(shown));
                        row.set(Some(r));
                    }
                });
            }
        });
    }
    // Sends a change to the lesson; on success shows `message(reply)`, loads the lesson again and
    // tells the timetable.
    let send_change = {
        let (api, failure, changed, reload, on_changed) = (
            props.api.clone(),
            failure.clone(),
            changed.clone(),
            reload.clone(),
            props.on_changed.clone(),
        );
        move |method: &'static str,
              path: String,
              body: Option<Value>,
              message: Box<dyn Fn(&Value) -> String>| {
            let (api, failure, changed, reload, on_changed) = (
                api.clone(),
                failure.clone(),
                changed.clone(),
                reload.clone(),
                on_changed.clone(),
            );
            spawn_local(async move {
                match api.send::<Value>(method, &path, body.as_ref()).await {
                    Ok(reply) => {
                        failure.set(None);
                        changed.set(Some(message(&reply)));
                        reload.set(*reload + 1);
                        on_changed.emit(());
                    }
                    Err(f) => failure.set(Some(f)),
                }
            });
        }
    };
    let save = {
        let (row, failure, send_change) = (row.clone(), failure.clone(), send_change.clone());
        let edit = edit.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (Some(r), Some(form)) = ((*row).clone(), (**edit).clone()) else {
                failure.set(Some(Failure::Other("请先选择一节课".into())));
                return;
            };
            let reach = form.reach;
            let (path, body) = match form.request(&r) {
                Ok(req) => req,
                Err(errors) => {
                    failure.set(Some(Failure::Fields("请检查填写的内容".into(), errors)));
                    return;
                }
            };
            send_change(
                "PATCH",
                path,
                Some(body),
                Box::new(move |v| match reach {
                    Reach::OnlyThis => "已调整这节课".to_string(),
                    Reach::ThisAndFollowing => format!(
                        "已调整本节及以后的课：{} 节改时间，新增 {} 节，取消 {} 节",
                        v["moved"], v["added"], v["cancelled"]
                    ),
                }),
            );
        })
    };
    let cancel = {
        let row = row.clone();
        Callback::from(move |_| {
            let Some(r) = (*row).clone() else {
                return;
            };
            let id = r.id;
            send_change(
                "DELETE",
                format!("/api/lessons/{id}"),
                None,
                Box::new(move |_| format!("已取消课程 {id}")),
            );
        })
    };
    let oninput = {
        let lesson = lesson.clone();
        Callback::from(move |e: InputEvent| {
            lesson.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let make_links = {
        let (api, links, failure) = (props.api.clone(), links.clone(), failure.clone());
        Callback::from(move |_| {
            let Some(id) = id else {
                failure.set(Some(Failure::Other("请先填写课程编号".into())));
                return;
            };
            let (api, links, failure) = (api.clone(), links.clone(), failure.clone());
            spawn_local(async move {
                let path = format!("/api/lessons/{id}/links");
                match api.send::<Vec<JoinLink>>("POST", &path, None).await {
                    Ok(list) => {
                        failure.set(None);
                        links.set(list);
                    }
                    Err(f) => failure.set(Some(f)),
                }
            });
        })
    };
    let load_attendance = {
        let (api, attendance, failure) = (props.api.clone(), attendance.clone(), failure.clone());
        Callback::from(move |_| {
            let Some(id) = id else {
                failure.set(Some(Failure::Other("请先填写课程编号".into())));
                return;
            };
            let (api, attendance, failure) = (api.clone(), attendance.clone(), failure.clone());
            spawn_local(async move {
                let path = format!("/api/lessons/{id}/attendance");
                match api.get::<Attendance>(&path).await {
                    Ok(a) => {
                        failure.set(None);
                        attendance.set(Some((id, a)));
                    }
                    Err(f) => failure.set(Some(f)),
                }
            });
        })
    };
    let revoke = |link: u64| {
        let (api, revoked, failure) = (props.api.clone(), revoked.clone(), failure.clone());
        Callback::from(move |_| {
            let (api, revoked, failure) = (api.clone(), revoked.clone(), failure.clone());
            spawn_local(async move {
                match api
                    .send::<()>("DELETE", &format!("/api/links/{link}"), None)
                    .await
                {
                    Ok(()) => {
                        let mut all = (*revoked).clone();
                        all.push(link);
                        revoked.set(all);
                    }
                    Err(f) => failure.set(Some(f)),
                }
            });
        })
    };
    // Writes an input of the change form into its state.
    let set_edit = |apply: fn(&mut LessonEdit, String)| {
        let edit = edit.clone();
        Callback::from(move |v: String| {
            bind::edit(&edit, move |e| {
                if let Some(e) = e {
                    apply(e, v)
                }
            })
        })
    };
    html! {
        <section id="lesson-panel" class="card">
            <h2>{ "课程链接与考勤" }</h2>
            <div class="inline-form">
                <label>{ "课程编号" }
                    <input id="lesson-id" value={(*lesson).clone()} {oninput} />
                </label>
                <button id="make-links" onclick={make_links}>{ "生成加入链接" }</button>
                <button id="load-attendance" onclick={load_attendance}>{ "查看考勤" }</button>
            </div>
            if let (Some(r), Some(form), true) = (&*row, &**edit, props.manages) {
                <form id="edit-lesson" class="inline-form" onsubmit={save}
                    data-lesson={r.id.to_string()}>
                    <span class="lesson-now">{ format!("「{}」{} – {}{}", r.title,
                        date_time(r.starts_at), clock(r.ends_at),
                        if r.series.is_some() { "（每周课程）" } else { "" }) }</span>
                    <span class="lesson-people">{ format!("{} · 主讲 {} · 远端 {}",
                        props.names.teacher(r.teacher), props.names.classroom(r.master_classroom),
                        props.names.classrooms(&r.classrooms)) }</span>
                    <label>{ "日期" }
                        <TextInput id="edit-date" value={form.date.clone()}
                            on={set_edit(|e, v| e.date = v)} />
                    </label>
                    <label>{ "开始" }
                        <TextInput id="edit-start" value={form.start.clone()}
                            on={set_edit(|e, v| e.start = v)} />
                    </label>
                    <label>{ "结束" }
                        <TextInput id="edit-end" value={form.end.clone()}
                            on={set_edit(|e, v| e.end = v)} />
                    </label>
                    <label>{ "代课教师编号" }
                        <TextInput id="edit-teacher" placeholder="不换可留空"
                            value={form.teacher.clone()} on={set_edit(|e, v| e.teacher = v)} />
                    </label>
                    <label>{ "远端教室编号" }
                        <TextInput id="edit-classrooms" value={form.classrooms.clone()}
                            on={set_edit(|e, v| e.classrooms = v)} />
                    </label>
                    if r.series.is_some() {
                        <label>{ "调整范围" }
                            <Select id="edit-reach" value={form.reach.value()}
                                options={[Reach::OnlyThis, Reach::ThisAndFollowing].map(|r| (
                                    r.value().to_string(),
                                    match r {
                                        Reach::OnlyThis => "仅这节课",
                                        Reach::ThisAndFollowing => "本节及以后的课",
                                    }.to_string(),
                                )).to_vec()}
                                on={set_edit(|e, v| e.reach = Reach::from_value(&v))} />
                        </label>
                    }
                    <button id="save-lesson" type="submit">{ "保存调整" }</button>
                    if *confirming {
                        <button id="confirm-cancel" type="button" class="danger" onclick={cancel}>
                            { format!("确认取消「{}」", r.title) }
                        </button>
                    } else {
                        <button id="cancel-lesson" type="button"
                            onclick={let c = confirming.clone(); move |_| c.set(true)}>
                            { "取消这节课" }
                        </button>
                    }
                </form>
            }
            if let Some(m) = &*changed {
                <p id="lesson-changed" class="ok">{ m.clone() }</p>
            }
            <FailureView failure={(*failure).clone()} />
            if !links.is_empty() {
                <ul id="links" class="links">
                    { for links.iter().map(|l| {
                        let gone = revoked.contains(&l.link);
                        html! {
                            <li data-role={l.role.clone()} data-link={l.link.to_string()}
                                data-revoked={gone.to_string()}>
                                <span class="role">{ role_label(&l.role) }</span>
                                <span class="name">{ l.name.clone() }</span>
                                <a class="join-link" href={absolute(&l.path)} target="_blank"
                                    rel="noopener" title="join link">{ "加入链接" }</a>
                                if let Some(src) = super::qr::data_uri(&absolute(&l.path)) {
                                    <img class="qr" {src} width="120" height="120"
                                        alt="加入链接二维码" title="扫码加入，或打印贴在教室电脑旁" />
                                }
                                <span class="window">{ format!("{} 至 {} 有效",
                                    date_time(l.not_before as i64), date_time(l.expires as i64)) }</span>
                                if gone {
                                    <span class="revoked">{ "已作废" }</span>
                                } else {
                                    <button class="revoke" onclick={revoke(l.link)}>{ "作废" }</button>
                                }
                            </li>
                        }
                    }) }
                </ul>
            }
            if let Some((id, a)) = &*attendance {
                <h3>{ format!("考勤：{}", a.title) }</h3>
                <table id="attendance" class="attendance">
                    <thead><tr><th>{ "教室" }</th><th>{ "名称" }</th><th>{ "在线分钟" }</th>
                        <th>{ "首次加入" }</th><th>{ "迟到" }</th><th>{ "缺席" }</th>
                        { for LinkSeconds::default().by_picture().iter().map(|(p, _)| html! {
                            <th>{ crate::labels::picture_minutes(*p) }</th>
                        }) }
                        <th>{ crate::labels::OUTAGES }</th></tr></thead>
                    <tbody>
                        { for a.classrooms.iter().map(|r| html! {
                            <tr data-classroom={r.classroom.to_string()}>
                                <td>{ r.classroom }</td>
                                <td>{ r.name.clone() }</td>
                                <td>{ r.minutes }</td>
                                <td>{ r.first_joined.map(date_time).unwrap_or_else(|| "—".into()) }</td>
                                <td>{ if r.late { "是" } else { "否" } }</td>
                                <td>{ if r.missing { "是" } else { "否" } }</td>
                                { for r.link.by_picture().iter().map(|(p, s)| html! {
                                    <td data-picture={p.as_str()} data-seconds={s.to_string()}>{ minutes(*s) }</td>
                                }) }
                                <td class="outages" data-outages={r.link.outages.to_string()}
                                    data-seconds={r.link.outage_seconds.to_string()}>
                                    { crate::labels::outages(r.link.outages, &minutes(r.link.outage_seconds)) }
                                </td>
                            </tr>
                        }) }
                    </tbody>
                </table>
                <a id="attendance-csv" href={format!("/api/lessons/{id}/attendance?format=csv")}
                    download={format!("attendance-{id}.csv")}>{ "下载 CSV" }</a>
            }
        </section>
    }
}
