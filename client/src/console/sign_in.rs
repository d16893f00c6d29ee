//! The sign-in card shared by the bureau console (`/console`) and a classroom computer's page
//! (`/classroom`): login, password, the button and the error, with the same element ids on both.

use super::bind::{self, FormHandle, TextInput};
use super::forms::accounts::SignInForm;
use yew::prelude::*;

/// The card: `title` on top, then `hint` (if any), the fields bound to `form`, and `error`.
pub fn sign_in_card(
    title: &str,
    hint: Option<&str>,
    form: &FormHandle<SignInForm>,
    onsubmit: Callback<SubmitEvent>,
    error: Option<&str>,
) -> Html {
    html! {
        <form class="card login" {onsubmit}>
            <h1>{ title }</h1>
            if let Some(hint) = hint {
                <p>{ hint }</p>
            }
            <label>{ "登录名" }
                <TextInput id="login" autocomplete="username" value={form.login.clone()}
                    on={bind::setter(form, |f, v| f.login = v)} />
            </label>
            <label>{ "密码" }
                <TextInput id="password" kind="password" autocomplete="current-password"
                    value={form.password.clone()}
                    on={bind::setter(form, |f, v| f.password = v)} />
            </label>
            <button id="sign-in" type="submit">{ "登录" }</button>
            if let Some(e) = error {
                <p id="console-error" class="error" role="alert">{ e }</p>
            }
        </form>
    }
}
