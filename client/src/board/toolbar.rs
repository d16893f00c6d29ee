//! The teacher's toolbar: tools, colours, widths, undo/redo/clear and pages. Renders only.

use crate::board::tools::{css_color, ToolKind, Toolbox, COLORS, WIDTHS};
use yew::prelude::*;

/// The tool buttons, in toolbar order.
const TOOLS: [ToolKind; 4] = [
    ToolKind::Pen,
    ToolKind::Highlighter,
    ToolKind::Eraser,
    ToolKind::Laser,
];

/// A tool button's element id, also the board's `using-…` class while the tool is chosen.
pub fn tool_id(kind: ToolKind) -> &'static str {
    match kind {
        ToolKind::Pen => "tool-pen",
        ToolKind::Highlighter => "tool-highlighter",
        ToolKind::Eraser => "tool-eraser",
        ToolKind::Laser => "tool-laser",
    }
}

/// A tool button's text.
fn tool_label(kind: ToolKind) -> &'static str {
    match kind {
        ToolKind::Pen => "钢笔",
        ToolKind::Highlighter => "荧光笔",
        ToolKind::Eraser => "橡皮擦",
        ToolKind::Laser => "激光笔",
    }
}

/// A tool button's tooltip.
fn tool_title(kind: ToolKind) -> &'static str {
    match kind {
        ToolKind::Pen => "Pen",
        ToolKind::Highlighter => "Highlighter",
        ToolKind::Eraser => "Eraser",
        ToolKind::Laser => "Laser pointer",
    }
}

/// Buttons that act on the board rather than choose a tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Undo,
    Redo,
    Clear,
    PagePrev,
    PageNext,
    PageAdd,
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub tools: Toolbox,
    /// The shown page (from 0) and how many there are.
    pub page: u16,
    pub pages: usize,
    pub on_tool: Callback<ToolKind>,
    pub on_color: Callback<u32>,
    pub on_width: Callback<u16>,
    pub on_action: Callback<Action>,
}

#[function_component(Toolbar)]
pub fn toolbar(props: &Props) -> Html {
    let t = props.tools;
    let inking = t.style().is_some();
    let action =
        |a: Action, id: &'static str, label: &'static str, title: &'static str, enabled: bool| {
            let cb = props.on_action.clone();
            html! {
                <button id={id} class="btn" title={title} disabled={!enabled}
                    onclick={move |_| cb.emit(a)}>{label}</button>
            }
        };
    html! {
        <nav class="toolbar" aria-label="工具栏">
            <div class="group tools">
                { for TOOLS.iter().map(|&kind| {
                    let cb = props.on_tool.clone();
                    html! {
                        <button id={tool_id(kind)} title={tool_title(kind)}
                            class={classes!("btn", "tool", (t.tool == kind).then_some("active"))}
                            aria-pressed={(t.tool == kind).to_string()}
                            onclick={move |_| cb.emit(kind)}>
                            <span class={classes!("icon", tool_id(kind))}></span>{tool_label(kind)}
                        </button>
                    }
                }) }
            </div>
            <div class="group colors">
                { for COLORS.iter().map(|&(color, name)| {
                    let cb = props.on_color.clone();
                    let hex = css_color(color);
                    html! {
                        <button id={format!("color-{}", &hex[1..])} title={name}
                            class={classes!("swatch", (inking && t.color == color).then_some("active"))}
                            aria-label={name} style={format!("--swatch: {hex}")}
                            onclick={move |_| cb.emit(color)}></button>
                    }
                }) }
            </div>
            <div class="group widths">
                { for WIDTHS.iter().map(|&width| {
                    let cb = props.on_width.clone();
                    html! {
                        <button id={format!("width-{width}")} title={format!("Width {width}")}
                            class={classes!("btn", "width", (inking && t.width == width).then_some("active"))}
                            aria-label={format!("笔宽 {width}")}
                            onclick={move |_| cb.emit(width)}>
                            <span class="line" style={format!("--w: {}px", 2 + width / 2)}></span>
                        </button>
                    }
                }) }
            </div>
            <div class="group edit">
                { action(Action::Undo, "undo", "↶ 撤销", "Undo", true) }
                { action(Action::Redo, "redo", "↷ 重做", "Redo", true) }
                { action(Action::Clear, "clear", "清屏", "Clear page", true) }
            </div>
            <div class="group pages">
                { action(Action::PagePrev, "page-prev", "‹", "上一页 Previous page", props.page > 0) }
                <span id="page-indicator" class="page-indicator">
                    { format!("{} / {}", props.page + 1, props.pages) }
                </span>
                { action(Action::PageNext, "page-next", "›", "下一页 Next page",
                    usize::from(props.page) + 1 < props.pages) }
                { action(Action::PageAdd, "page-add", "+ 新页", "新建一页 Add page", true) }
            </div>
        </nav>
    }
}
