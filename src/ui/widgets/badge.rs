//! The result badge: colour, icon and words, so that no one has to tell
//! amber from red to read a result.

use egui::{Response, RichText, Ui};

use crate::domain::DuplicationCheck;
use crate::ui::theme::{self, BadgeStyle};

/// Draws a badge.
pub fn badge(ui: &mut Ui, style: BadgeStyle) -> Response {
    egui::Frame::new()
        .fill(style.fill)
        .corner_radius(4.0)
        .inner_margin(egui::Margin::symmetric(6, 1))
        .show(ui, |ui| {
            ui.add(
                egui::Label::new(
                    RichText::new(format!("{} {}", style.icon, style.label))
                        .color(style.text)
                        .strong(),
                )
                .selectable(false),
            )
        })
        .inner
}

/// The badge of a check.
pub fn check_badge(ui: &mut Ui, check: &DuplicationCheck) -> Response {
    let waiting = check.error_kind.is_some() && check.state == crate::domain::CheckState::Ready;
    badge(ui, theme::badge(check.state, check.result, waiting))
}
