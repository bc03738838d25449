//! Form rows with labels that screen readers (and the UI tests) can find:
//! every input is labelled by its visible label.

use egui::{Response, RichText, Ui};

use crate::ui::forms::Problem;
use crate::ui::theme;
use crate::ui::widgets::{entered, field_problem};

/// A label and the widget `add` builds beside it; the widget is labelled by
/// the label for accessibility.
pub fn form_row(ui: &mut Ui, label: &str, add: impl FnOnce(&mut Ui) -> Response) -> Response {
    ui.horizontal(|ui| {
        let l = ui.add_sized([theme::LABEL_WIDTH, 20.0], egui::Label::new(label));
        add(ui).labelled_by(l.id)
    })
    .inner
}

/// A one-line text field in a form row.
pub fn text_field(ui: &mut Ui, label: &str, value: &mut String, hint: &str) -> Response {
    form_row(ui, label, |ui| {
        ui.add(egui::TextEdit::singleline(value).hint_text(hint).desired_width(360.0))
    })
}

/// A heading between groups of a form.
pub fn section_heading(ui: &mut Ui, text: &str) {
    ui.add_space(theme::SPACING);
    ui.heading(text);
    ui.add_space(theme::SPACING / 2.0);
}

/// What the buttons under a form asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormAction {
    Save,
    Cancel,
}

/// "Save" and "Cancel" under a form's fields. `why_not` is what stops saving
/// (shown beside the buttons and on the disabled Save); `None` enables it.
pub fn save_cancel_row(ui: &mut Ui, why_not: Option<&str>) -> Option<FormAction> {
    let mut action = None;
    ui.horizontal(|ui| {
        ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
        let save = ui.add_enabled(why_not.is_none(), egui::Button::new(RichText::new("Save").strong()));
        if save.clicked() {
            action = Some(FormAction::Save);
        }
        if let Some(w) = why_not {
            save.on_disabled_hover_text(w);
        }
        if ui.button("Cancel").clicked() {
            action = Some(FormAction::Cancel);
        }
        if let Some(w) = why_not {
            ui.label(RichText::new(w).weak());
        }
    });
    action
}

/// A one-line text field in a form row; returns whether Enter was pressed
/// in it (forms save on Enter).
pub fn text_line(ui: &mut Ui, label: &str, value: &mut String, hint: &str) -> bool {
    let field = text_field(ui, label, value, hint);
    entered(ui, &field)
}

/// The problem a form's review found for a field, under it, if any.
pub fn problem_under(ui: &mut Ui, id_salt: &str, problem: &Option<Problem>) {
    if let Some(p) = problem {
        field_problem(ui, id_salt, p);
    }
}
