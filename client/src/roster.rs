//! Who is in the lesson, for the teacher. Renders only.

use crate::labels;
use shared::protocol::Attendee;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub roster: Vec<Attendee>,
}

#[function_component(Roster)]
pub fn roster(props: &Props) -> Html {
    let online = props.roster.iter().filter(|a| a.online).count();
    html! {
        <section class="roster-box">
            <h2>{ format!("在线课堂 {online} / {}", props.roster.len()) }</h2>
            <ul id="roster">
                { for props.roster.iter().map(|a| html! {
                    <li data-online={a.online.to_string()} class={classes!(a.online.then_some("online"))}>
                        <span class="dot" aria-hidden="true"></span>
                        <span class="name">{ a.name.clone() }</span>
                        <small class="role">{ labels::role(a.role) }</small>
                    </li>
                }) }
            </ul>
        </section>
    }
}
