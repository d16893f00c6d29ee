//! The teacher's toolbar choices: tool, colour and width.

use shared::board::{Style, Tool};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToolKind {
    Pen,
    Highlighter,
    Eraser,
    Laser,
}

/// The palette: 0xRRGGBB and a name.
pub const COLORS: [(u32, &str); 6] = [
    (0x1f2937, "黑色"),
    (0xdc2626, "红色"),
    (0x2563eb, "蓝色"),
    (0x16a34a, "绿色"),
    (0xea580c, "橙色"),
    (0x7c3aed, "紫色"),
];

/// Pen widths in board units.
pub const WIDTHS: [u16; 3] = [4, 8, 16];

/// Radius of the eraser in board units.
pub const ERASER_RADIUS: u16 = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Toolbox {
    pub tool: ToolKind,
    pub color: u32,
    pub width: u16,
}

impl Default for Toolbox {
    fn default() -> Self {
        Toolbox {
            tool: ToolKind::Pen,
            color: COLORS[0].0,
            width: WIDTHS[1],
        }
    }
}

impl Toolbox {
    /// The ink style of the pen or highlighter; `None` for the eraser and the laser.
    pub fn style(&self) -> Option<Style> {
        let tool = match self.tool {
            ToolKind::Pen => Tool::Pen,
            ToolKind::Highlighter => Tool::Highlighter,
            ToolKind::Eraser | ToolKind::Laser => return None,
        };
        Some(Style {
            tool,
            color: self.color,
            width: self.width,
        })
    }
}

/// `#rrggbb` for CSS and canvas.
pub fn css_color(color: u32) -> String {
    format!("#{:06x}", color & 0xff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_inking_tools_have_a_style() {
        let mut t = Toolbox::default();
        assert_eq!(t.style().map(|s| s.tool), Some(Tool::Pen));
        t.tool = ToolKind::Eraser;
        assert_eq!(t.style(), None);
        assert_eq!(css_color(0x0000ff), "#0000ff");
    }
}
