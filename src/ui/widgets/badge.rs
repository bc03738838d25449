//! The result badge: colour, icon and words, so that no one has to tell
//! amber from red to read a result.

use egui::{Response, RichText, Ui};

use crate::domain::{DuplicationCheck, ReviewStatus};
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

/// The badge of a check: the result that stands (a supervisor's decision
/// over the rules'), and where the check is in the review queue.
pub fn check_badge(ui: &mut Ui, check: &DuplicationCheck) -> Response {
    let waiting = check.error_kind.is_some() && check.state == crate::domain::CheckState::Ready;
    let r = badge(ui, theme::badge(check.state, check.effective_result(), waiting));
    if let Some(status) = check.review_status {
        let text = match status {
            ReviewStatus::ToReview => "to review",
            ReviewStatus::NeedsInformation => "needs information",
            ReviewStatus::Decided => "reviewed",
        };
        ui.add(egui::Label::new(RichText::new(text).weak().italics()).selectable(false));
    }
    r
}
