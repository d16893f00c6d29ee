//! The texts people read: statuses, refusals and why a lesson closed (Simplified Chinese).

use shared::board::BoardError;
use shared::protocol::{CloseCode, Refusal};

// Texts only the pages' markup shows (no pure module uses them).
#[cfg(target_arch = "wasm32")]
pub const PRODUCT: &str = "同頻互動課堂";
#[cfg(target_arch = "wasm32")]
pub const OPEN_YOUR_LINK: &str = "请打开老师或教育局发给您的课堂链接";
#[cfg(target_arch = "wasm32")]
pub const BAD_LINK: &str = "课堂链接无效，请检查链接是否完整";

/// Why the relay refused an op, for a short toast.
pub fn refusal(reason: &Refusal) -> String {
    let text = match reason {
        Refusal::NotAllowed => "您的身份不能修改板书",
        Refusal::NoOpenStroke => "没有正在书写的笔画",
        Refusal::NotStored => "板书未能保存，请重试",
        Refusal::Board(e) => match e {
            BoardError::NothingToUndo => "没有可撤销的操作",
            BoardError::NothingToRedo => "没有可重做的操作",
            BoardError::PageFull => "本页已满，请新建一页",
            BoardError::BoardFull => "本节课的板书已满",
            BoardError::TooManyPages => "页数已达上限",
            BoardError::TooManyPoints(_) => "笔画过长",
            BoardError::UnknownPage(_) => "该页不存在",
            BoardError::UnknownStroke(_) => "笔画已不存在",
            BoardError::StrokeClosed(_) => "笔画已结束",
            BoardError::OffBoard => "超出了板面",
            BoardError::BadWidth(_) => "笔宽无效",
            BoardError::BadColor(_) => "颜色无效",
            BoardError::BadErase => "擦除无效",
            BoardError::OutOfOrder { .. } => "操作顺序有误",
        },
    };
    text.to_string()
}

/// Why the lesson closed for good: the close code's meaning, then the relay's own words.
pub fn closed(code: u16, reason: &str, server_error: Option<&str>) -> String {
    let meaning = match code {
        CloseCode::UNAUTHORIZED => "链接无效或已过期",
        CloseCode::VERSION_MISMATCH => "客户端版本与服务器不一致，请刷新页面",
        CloseCode::NO_SUCH_LESSON => "课堂不存在或已结束",
        CloseCode::LESSON_OVER => "本节课已结束",
        CloseCode::REPLACED => "此课堂已在另一个窗口或设备上打开，本页已断开",
        _ => "连接已关闭",
    };
    let detail = server_error
        .filter(|e| !e.is_empty())
        .unwrap_or(reason)
        .trim();
    if detail.is_empty() {
        meaning.to_string()
    } else {
        format!("{meaning}（{detail}）")
    }
}

/// How a classroom's link fares, in a word for the teacher's grid.
pub fn link_grade(grade: shared::link::LinkGrade) -> &'static str {
    use shared::link::LinkGrade;
    match grade {
        LinkGrade::Good => "网络良好",
        LinkGrade::Fair => "网络一般",
        LinkGrade::Poor => "网络较差",
    }
}

/// A classroom's own link, in plain words for the people in the classroom.
pub fn own_link(grade: shared::link::LinkGrade) -> &'static str {
    use shared::link::LinkGrade;
    match grade {
        LinkGrade::Good => "本教室网络良好",
        LinkGrade::Fair => "本教室网络一般，画面可能偶尔卡顿",
        LinkGrade::Poor => "本教室网络较差，优先保证声音，画面可能卡顿",
    }
}

/// A classroom's own link and picture, in plain words: the picture's state comes first when the
/// link does not carry the whole of it.
pub fn own_link_and_picture(link: &shared::link::ClassroomLink) -> &'static str {
    use shared::link::Picture;
    match link.picture {
        Picture::Paused => "本教室网络太慢，老师的画面已暂停，仅保留声音",
        _ => own_link(link.grade),
    }
}

/// The attendance table's heading for the minutes a classroom received `picture`.
pub fn picture_minutes(picture: shared::link::Picture) -> &'static str {
    use shared::link::Picture;
    match picture {
        Picture::Whole => "完整画面（分钟）",
        Picture::Layer(0) => "低清（分钟）",
        Picture::Layer(1) => "标清（分钟）",
        Picture::Layer(_) => "高清（分钟）",
        Picture::Paused => "仅声音（分钟）",
    }
}

/// The attendance table's heading for a classroom's outages.
pub const OUTAGES: &str = "网络中断";

/// A classroom's outages in a lesson: how many, and their minutes.
pub fn outages(count: u64, minutes: &str) -> String {
    if count == 0 {
        "无".to_string()
    } else {
        format!("{count} 次，共 {minutes} 分钟")
    }
}

/// How much of the teacher's picture a classroom receives.
pub fn picture(picture: shared::link::Picture) -> &'static str {
    use shared::link::Picture;
    match picture {
        Picture::Whole => "完整画面",
        Picture::Layer(0) => "低清画面",
        Picture::Layer(1) => "标清画面",
        Picture::Layer(_) => "高清画面",
        Picture::Paused => "画面暂停，仅声音",
    }
}

/// The figures behind a classroom's link grade (the badge's tooltip).
pub fn link_details(link: &shared::link::ClassroomLink) -> String {
    format!(
        "丢包 {:.1}%，往返 {} 毫秒，接收 {} kbit/s，{}",
        f64::from(link.loss_permille) / 10.0,
        link.rtt_ms,
        link.receiving_kbps,
        picture(link.picture)
    )
}

/// A participant's role in the teacher's roster.
#[cfg(target_arch = "wasm32")]
pub fn role(role: shared::ids::Role) -> &'static str {
    use shared::ids::Role;
    match role {
        Role::Teacher => "教师",
        Role::Classroom(_) => "课堂",
        Role::Observer => "观摩",
    }
}

/// The tooltip on a page's own camera: what its browser sends now.
pub fn sending(widths: &[u32], uplink_kbps: Option<u32>, limited_by: Option<&str>) -> String {
    let layers = if widths.is_empty() {
        "未发送画面".to_string()
    } else {
        let widths: Vec<String> = widths.iter().map(u32::to_string).collect();
        format!("发送画面宽度：{}", widths.join(" / "))
    };
    let uplink = uplink_kbps.map_or(String::new(), |k| format!("；上行估计 {k} kbit/s"));
    let limit = match limited_by {
        Some("cpu") => "；受电脑性能限制",
        Some("bandwidth") => "；受网络带宽限制",
        Some(_) => "；画面受限",
        None => "",
    };
    format!("{layers}{uplink}{limit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unauthorized_names_the_cause_and_keeps_the_reason() {
        assert_eq!(
            closed(4401, "token expired", None),
            "链接无效或已过期（token expired）"
        );
        assert_eq!(closed(4401, "", None), "链接无效或已过期");
        assert_eq!(
            closed(4404, "x", Some("lesson 9 does not exist")),
            "课堂不存在或已结束（lesson 9 does not exist）"
        );
    }

    #[test]
    fn a_link_s_figures_read_as_percent_milliseconds_and_kbit() {
        use shared::ids::ClassroomId;
        use shared::link::{ClassroomLink, LinkGrade, Picture};
        let link = ClassroomLink {
            classroom: ClassroomId(2),
            grade: LinkGrade::Fair,
            loss_permille: 34,
            rtt_ms: 320,
            receiving_kbps: 712,
            picture: Picture::Layer(1),
        };
        assert_eq!(link_grade(link.grade), "网络一般");
        assert_eq!(own_link(LinkGrade::Good), "本教室网络良好");
        assert!(own_link(LinkGrade::Poor).contains("优先保证声音"));
        assert_eq!(
            link_details(&link),
            "丢包 3.4%，往返 320 毫秒，接收 712 kbit/s，标清画面"
        );
        assert_eq!(
            own_link_and_picture(&link),
            "本教室网络一般，画面可能偶尔卡顿"
        );
        let paused = ClassroomLink {
            picture: Picture::Paused,
            grade: LinkGrade::Poor,
            ..link
        };
        assert!(own_link_and_picture(&paused).contains("仅保留声音"));
    }

    #[test]
    fn outages_and_picture_minutes_read_naturally() {
        use shared::link::Picture;
        assert_eq!(OUTAGES, "网络中断");
        assert_eq!(outages(0, "0.0"), "无");
        assert_eq!(outages(2, "1.5"), "2 次，共 1.5 分钟");
        assert_eq!(picture_minutes(Picture::Paused), "仅声音（分钟）");
        assert_eq!(picture_minutes(Picture::Layer(2)), "高清（分钟）");
    }

    #[test]
    fn nothing_to_undo_reads_naturally() {
        assert_eq!(
            refusal(&Refusal::Board(BoardError::NothingToUndo)),
            "没有可撤销的操作"
        );
    }

    #[test]
    fn the_own_camera_s_tooltip_names_the_widths_the_uplink_and_the_limit() {
        assert_eq!(
            sending(&[320, 640, 1280], Some(2500), None),
            "发送画面宽度：320 / 640 / 1280；上行估计 2500 kbit/s"
        );
        assert_eq!(
            sending(&[320], None, Some("cpu")),
            "发送画面宽度：320；受电脑性能限制"
        );
        assert_eq!(
            sending(&[], Some(90), Some("bandwidth")),
            "未发送画面；上行估计 90 kbit/s；受网络带宽限制"
        );
    }
}
