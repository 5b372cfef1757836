//! Colours of the text rendering, used only when the caller asks (a terminal).

use anstyle::{AnsiColor, Style};

use crate::plan::ActionKind;

/// Paints text, or leaves it plain.
#[derive(Debug, Clone, Copy)]
pub struct Painter {
    color: bool,
}

impl Painter {
    /// A painter that colours when `color` is true.
    pub fn new(color: bool) -> Self {
        Self { color }
    }

    /// `text` in the colour of an action kind (green create, yellow update, red delete,
    /// magenta replace).
    pub fn action(&self, kind: ActionKind, text: &str) -> String {
        let colour = match kind {
            ActionKind::Create => AnsiColor::Green,
            ActionKind::Update => AnsiColor::Yellow,
            ActionKind::Delete => AnsiColor::Red,
            ActionKind::Replace => AnsiColor::Magenta,
        };
        self.paint(Style::new().fg_color(Some(colour.into())), text)
    }

    /// `text` in bold.
    pub fn bold(&self, text: &str) -> String {
        self.paint(Style::new().bold(), text)
    }

    /// `text` dimmed (comments, notes).
    pub fn dim(&self, text: &str) -> String {
        self.paint(Style::new().dimmed(), text)
    }

    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_owned()
        }
    }
}
