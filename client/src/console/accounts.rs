//! Accounts (for bureau and school admins): who may sign in, a form to add one (a school admin,
//! a teacher, a classroom computer, or for bureau admins another bureau admin), removing one and
//! setting a new password. The relay decides which accounts an admin manages.

use super::api::Api;
use super::bind::{self, Form, Select, TextInput};
use super::failure::{FailureView, FieldErrorView};
use super::forms::accounts::{AccountForm, PasswordForm};
use super::forms::shown_option;
use super::model::{Failure, ManagedAccount};
use serde_json::Value;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct AccountsProps {
    pub api: Api,
    /// The signed-in account's id (it can not remove itself).
    pub me: u64,
}

#[function_component(Accounts)]
pub fn accounts(props: &AccountsProps) -> Html {
    let list = use_state(Vec::<ManagedAccount>::new);
    let failure = use_state(|| None::<Failure>);
    let done = use_state(|| None::<String>);
    let reload = use_state(|| 0u32);
    // Removing asks once more: the account whose button now says "confirm".
    let confirming = use_state(|| None::<u64>);
    let account_form = use_reducer(Form::<AccountForm>::default);
    let password_form = use_reducer(Form::<PasswordForm>::default);
    {
        let (api, list, failure) = (props.api.clone(), list.clone(), failure.clone());
        use_effect_with(*reload, move |_| {
            spawn_local(async move {
                match api.get::<Vec<ManagedAccount>>("/api/accounts").await {
                    Ok(l) => list.set(l),
                    Err(f) => failure.set(Some(f)),
                }
            });
        });
    }
    // One request, then a message and a reload (or the failure).
    let run = {
        let (api, failure, done, reload) = (
            props.api.clone(),
            failure.clone(),
            done.clone(),
            reload.clone(),
        );
        move |method: &'static str, path: String, body: Option<Value>, message: String| {
            let (api, failure, done, reload) =
                (api.clone(), failure.clone(), done.clone(), reload.clone());
            spawn_local(async move {
                match api.send::<Value>(method, &path, body.as_ref()).await {
                    Ok(_) => {
                        failure.set(None);
                        done.set(Some(message));
                        reload.set(*reload + 1);
                    }
                    Err(f) => failure.set(Some(f)),
                }
            });
        }
    };
    let add = {
        let (run, failure, form) = (run.clone(), failure.clone(), account_form.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let login = form.login.clone();
            match form.body() {
                Ok(body) => {
                    bind::edit(&form, |f| f.password.clear());
                    run(
                        "POST",
                        "/api/accounts".into(),
                        Some(body),
                        format!("已添加账号 {login}"),
                    )
                }
                Err(errors) => {
                    failure.set(Some(Failure::Fields("请检查填写的内容".into(), errors)))
                }
            }
        })
    };
    let account_ids: Vec<String> = list.iter().map(|a| a.account.id.to_string()).collect();
    let reset = {
        let (run, form) = (run.clone(), password_form.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (path, body) = form.request(shown_option(&form.account, &account_ids));
            bind::edit(&form, |f| f.password.clear());
            run(
                "PUT",
                path,
                Some(body),
                "已设置新密码，该账号需重新登录".into(),
            )
        })
    };
    let f = (*failure).clone();
    html! {
        <section id="accounts" class="card">
            <h2>{ "账号" }</h2>
            <table class="accounts">
                <thead><tr><th>{ "登录名" }</th><th>{ "姓名" }</th><th>{ "类型" }</th>
                    <th>{ "学校" }</th><th></th></tr></thead>
                <tbody>
                    { for list.iter().map(|a| {
                        let id = a.account.id;
                        let login = a.account.login.clone();
                        let remove = {
                            let (run, confirming) = (run.clone(), confirming.clone());
                            let login = login.clone();
                            Callback::from(move |_| {
                                if *confirming == Some(id) {
                                    confirming.set(None);
                                    run("DELETE", format!("/api/accounts/{id}"), None,
                                        format!("已删除账号 {login}"));
                                } else {
                                    confirming.set(Some(id));
                                }
                            })
                        };
                        let asking = *confirming == Some(id);
                        html! {
                            <tr data-login={login.clone()}>
                                <td>{ login.clone() }</td>
                                <td>{ a.account.name.clone() }</td>
                                <td>{ a.account.role.as_ref().map(|r| r.label()).unwrap_or_default() }</td>
                                <td>{ a.school.map(|s| s.to_string()).unwrap_or_default() }</td>
                                <td>
                                    if id != props.me {
                                        <button class="remove-account" data-confirm={asking.to_string()}
                                            onclick={remove}>
                                            { if asking { "确认删除" } else { "删除" } }
                                        </button>
                                    }
                                </td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            <form class="inline-form" onsubmit={add}>
                <label>{ "登录名" }
                    <TextInput id="account-login" autocomplete="off"
                        value={account_form.login.clone()}
                        on={bind::setter(&account_form, |f, v| f.login = v)} />
                </label>
                <FieldErrorView failure={f.clone()} field="login" />
                <label>{ "姓名" }
                    <TextInput id="account-name" value={account_form.name.clone()}
                        on={bind::setter(&account_form, |f, v| f.name = v)} />
                </label>
                <label>{ "初始密码（至少10位）" }
                    <TextInput id="account-password" kind="password" autocomplete="new-password"
                        value={account_form.password.clone()}
                        on={bind::setter(&account_form, |f, v| f.password = v)} />
                </label>
                <FieldErrorView failure={f.clone()} field="password" />
                <label>{ "类型" }
                    <Select id="account-kind" value={account_form.kind.clone()}
                        options={[("teacher", "教师"), ("classroom_device", "教室电脑"),
                                  ("school_admin", "学校管理员"), ("bureau_admin", "教育局管理员")]
                            .map(|(v, t)| (v.to_string(), t.to_string())).to_vec()}
                        on={bind::setter(&account_form, |f, v| f.kind = v)} />
                </label>
                <label>{ "教师/教室/学校编号" }
                    <TextInput id="account-of" value={account_form.of.clone()}
                        on={bind::setter(&account_form, |f, v| f.of = v)} />
                </label>
                <FieldErrorView failure={f.clone()} field="role" />
                <button id="add-account" type="submit">{ "添加账号" }</button>
            </form>
            <form class="inline-form" onsubmit={reset}>
                <label>{ "账号" }
                    <Select id="reset-account" value={password_form.account.clone()}
                        options={list.iter().map(|a| (a.account.id.to_string(), a.account.login.clone()))
                            .collect::<Vec<_>>()}
                        on={bind::setter(&password_form, |f, v| f.account = v)} />
                </label>
                <label>{ "新密码" }
                    <TextInput id="reset-password" kind="password" autocomplete="new-password"
                        value={password_form.password.clone()}
                        on={bind::setter(&password_form, |f, v| f.password = v)} />
                </label>
                <button id="reset" type="submit">{ "设置新密码" }</button>
            </form>
            if let Some(m) = &*done {
                <p id="accounts-done" class="ok">{ m.clone() }</p>
            }
            <FailureView failure={f} />
        </section>
    }
}
