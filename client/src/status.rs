//! The connection status text (`#status`): a small badge in a corner normally, impossible to miss
//! while reconnecting. Renders only.

use crate::state::Status;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub status: Status,
    /// Ops not yet acknowledged by the relay.
    pub unacked: usize,
}

fn text(status: &Status, unacked: usize) -> String {
    let base = match status {
        Status::Connecting => "正在连接…".to_string(),
        Status::Connected => "已连接".to_string(),
        Status::Reconnecting { attempt } => format!("正在重新连接…（第 {attempt} 次）"),
        Status::Closed { .. } => "已断开".to_string(),
    };
    if unacked > 0 && *status != Status::Connected {
        format!("{base} · {unacked} 项待发送")
    } else {
        base
    }
}

#[function_component(StatusBadge)]
pub fn status_badge(props: &Props) -> Html {
    html! {
        <div id="status" role="status" aria-live="polite"
            class={classes!("status", props.status.name())}>
            <span class="dot" aria-hidden="true"></span>
            { text(&props.status, props.unacked) }
        </div>
    }
}
