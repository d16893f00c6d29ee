//! Showing a failed request: the message, the clashes as a list, the fields at fault.

use super::model::{ClashOn, Failure, FieldError};
use super::week::{clock, date_time};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FailureProps {
    pub failure: Option<Failure>,
}

/// The message and, for a 409, `#clashes` with one `li` per clash.
#[function_component(FailureView)]
pub fn failure_view(props: &FailureProps) -> Html {
    let Some(failure) = &props.failure else {
        return Html::default();
    };
    let clashes = failure.clashes();
    html! {
        <div class="failure">
            <p class="error" role="alert">{ failure.message() }</p>
            if !clashes.is_empty() {
                <ul id="clashes" class="clashes">
                    { for clashes.iter().map(|c| {
                        let on = match c.on {
                            ClashOn::Classroom(id) => format!("教室 {id}"),
                            ClashOn::Teacher(id) => format!("教师 {id}"),
                        };
                        html! {
                            <li data-lesson={c.lesson.to_string()}>
                                { format!("课程 {}「{}」 {}–{}，冲突于{}", c.lesson, c.title,
                                    date_time(c.starts_at), clock(c.ends_at), on) }
                            </li>
                        }
                    }) }
                </ul>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct FieldErrorProps {
    pub failure: Option<Failure>,
    /// The API's field name, e.g. `start`.
    pub field: AttrValue,
}

/// The errors for one field, next to it: `.field-error[data-field=start]`.
#[function_component(FieldErrorView)]
pub fn field_error_view(props: &FieldErrorProps) -> Html {
    let errors: Vec<&FieldError> = props
        .failure
        .as_ref()
        .map(|f| {
            f.field_errors()
                .iter()
                .filter(|e| e.field == props.field.as_str())
                .collect()
        })
        .unwrap_or_default();
    html! {
        { for errors.into_iter().map(|e| html! {
            <span class="field-error" data-field={e.field.clone()}>
                { format!("{}：{}", e.field, e.message) }
            </span>
        }) }
    }
}
