//! Colours, icons and spacing in one place, so screens name meanings
//! ("possible match") rather than colours.

use egui::Color32;

use crate::domain::{CheckState, MatchResult};

/// Space between form rows and sections.
pub const SPACING: f32 = 8.0;
/// Height of one row of the history table.
pub const ROW_HEIGHT: f32 = 24.0;
/// Width of labels in forms.
pub const LABEL_WIDTH: f32 = 170.0;

/// How a check's outcome looks: a colour, an icon and words (never colour alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadgeStyle {
    pub fill: Color32,
    pub text: Color32,
    pub icon: &'static str,
    pub label: &'static str,
}

/// The badge of a check in `state` with `result`; `waiting` marks a ready
/// check that is waiting to be retried (the registry was unreachable).
pub fn badge(state: CheckState, result: Option<MatchResult>, waiting: bool) -> BadgeStyle {
    let grey = Color32::from_rgb(0x60, 0x66, 0x6e);
    match (state, result) {
        (CheckState::Completed, Some(MatchResult::NoMatch)) => BadgeStyle {
            fill: Color32::from_rgb(0x1e, 0x7b, 0x34),
            text: Color32::WHITE,
            icon: "✔",
            label: "No match",
        },
        (CheckState::Completed, Some(MatchResult::PossibleMatch)) => BadgeStyle {
            fill: Color32::from_rgb(0xf0, 0xa2, 0x02),
            text: Color32::BLACK,
            icon: "⚠",
            label: "Possible match",
        },
        (CheckState::Completed, Some(MatchResult::ConfirmedMatch)) => BadgeStyle {
            fill: Color32::from_rgb(0xd0, 0x21, 0x2b),
            text: Color32::WHITE,
            icon: "⛔",
            label: "Confirmed match",
        },
        (CheckState::Failed, _) => BadgeStyle {
            fill: Color32::from_rgb(0x7a, 0x0c, 0x12),
            text: Color32::WHITE,
            icon: "✖",
            label: "Failed",
        },
        (CheckState::Checking, _) => BadgeStyle {
            fill: grey,
            text: Color32::WHITE,
            icon: "⟳",
            label: "Checking",
        },
        (CheckState::Ready, _) if waiting => BadgeStyle {
            fill: grey,
            text: Color32::WHITE,
            icon: "⏸",
            label: "Queued (offline)",
        },
        _ => BadgeStyle {
            fill: grey,
            text: Color32::WHITE,
            icon: "⏳",
            label: "Queued",
        },
    }
}

/// Colour of the online/offline dot of a data source.
pub fn status_colour(online: Option<bool>) -> Color32 {
    match online {
        Some(true) => Color32::from_rgb(0x1e, 0x7b, 0x34),
        Some(false) => Color32::from_rgb(0xd0, 0x21, 0x2b),
        None => Color32::GRAY,
    }
}

/// Text colour of warnings inside forms (demo data, unsigned replies).
pub fn warning_text(dark: bool) -> Color32 {
    if dark {
        Color32::from_rgb(0xff, 0xc8, 0x57)
    } else {
        Color32::from_rgb(0x8a, 0x55, 0x00)
    }
}

/// Text colour of errors.
pub fn error_text(dark: bool) -> Color32 {
    if dark {
        Color32::from_rgb(0xff, 0x8a, 0x80)
    } else {
        Color32::from_rgb(0xb0, 0x12, 0x1b)
    }
}

/// Every symbol the window draws outside the default fonts' Latin range.
/// A test checks that the bundled fonts have each one: a missing glyph
/// draws as a box, and a badge must never lose its icon.
pub const SYMBOLS: &str = "✔⚠⛔✖⟳⏳⏸⏺⬇⬆⟲•—…×";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_fonts_draw_every_symbol() {
        let ctx = egui::Context::default();
        let mut out = ctx.run_ui(egui::RawInput::default(), |_| {});
        out.textures_delta.clear();
        let missing: String = SYMBOLS
            .chars()
            .filter(|c| !ctx.fonts_mut(|f| f.has_glyph(&egui::FontId::proportional(14.0), *c)))
            .collect();
        assert!(missing.is_empty(), "no glyph for {missing:?}");
    }
}
