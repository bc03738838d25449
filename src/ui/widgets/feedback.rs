//! What a form says back: a problem beside the field that has it, a warning,
//! a technical detail one click away, and Enter as "submit".
//!
//! The [`Problem`] itself is plain data in `ui::forms`.

use egui::{Response, RichText, Ui};

use crate::ui::forms::Problem;
use crate::ui::theme;

/// Whether Enter was pressed in this single-line field (egui moves the
/// focus away from a single-line field on Enter).
pub fn entered(ui: &Ui, field: &Response) -> bool {
    field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter))
}

/// Lays out `add` under the field column of a form row.
pub fn under_field<R>(ui: &mut Ui, add: impl FnOnce(&mut Ui) -> R) -> R {
    ui.horizontal(|ui| {
        ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
        ui.vertical(add).inner
    })
    .inner
}

/// A problem shown under the field it is about; `id_salt` keeps its
/// "Technical detail" section apart from the others on the screen.
pub fn field_problem(ui: &mut Ui, id_salt: &str, problem: &Problem) {
    under_field(ui, |ui| problem_text(ui, id_salt, problem));
}

/// A problem in the error colour, with its technical detail folded away.
pub fn problem_text(ui: &mut Ui, id_salt: &str, problem: &Problem) {
    let colour = theme::error_text(ui.visuals().dark_mode);
    ui.add(egui::Label::new(RichText::new(format!("✖ {}", problem.message)).color(colour)).wrap());
    if let Some(detail) = &problem.detail {
        technical_detail(ui, id_salt, detail);
    }
}

/// A note under a field (what it is for, where it is kept).
pub fn field_note(ui: &mut Ui, text: &str) {
    under_field(ui, |ui| {
        ui.add(egui::Label::new(RichText::new(text).weak()).wrap());
    });
}

/// A warning in the warning colour, with its icon (never colour alone).
pub fn warning(ui: &mut Ui, text: &str) -> Response {
    let colour = theme::warning_text(ui.visuals().dark_mode);
    ui.add(egui::Label::new(RichText::new(format!("⚠ {text}")).color(colour)).wrap())
}

/// A warning under a field.
pub fn field_warning(ui: &mut Ui, text: &str) {
    under_field(ui, |ui| warning(ui, text));
}

/// The technical words behind a sentence, one click away, selectable so
/// they can be copied into a support request.
pub fn technical_detail(ui: &mut Ui, id_salt: &str, detail: &str) {
    egui::CollapsingHeader::new("Technical detail")
        .id_salt(("technical-detail", id_salt))
        .show(ui, |ui| {
            ui.add(egui::Label::new(RichText::new(detail).monospace()).wrap());
        });
}
