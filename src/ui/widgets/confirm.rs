//! A confirmation before something that cannot be undone (removing a data
//! source, replacing the office key): a modal that Esc, a click outside or
//! "Cancel" dismisses, with the keyboard focus on "Cancel" when it opens so
//! that a stray Enter or Space never confirms.

use egui::{Id, RichText, Ui};

/// What the person answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Confirm,
    Cancel,
}

/// Shows the confirmation while the caller keeps it open; returns the
/// answer on the frame it is given.
pub fn confirm_dialog(
    ui: &mut Ui,
    id_salt: &str,
    title: &str,
    body: impl FnOnce(&mut Ui),
    confirm_label: &str,
) -> Option<Answer> {
    let id = Id::unique(("confirm-dialog", id_salt));
    let mut answer = None;
    let modal = egui::Modal::new(id).show(ui.ctx(), |ui| {
        ui.set_max_width(460.0);
        ui.heading(title);
        ui.add_space(6.0);
        body(ui);
        ui.add_space(10.0);
        ui.horizontal(|ui| {
            if ui.button(RichText::new(confirm_label).strong()).clicked() {
                answer = Some(Answer::Confirm);
            }
            let cancel = ui.button("Cancel");
            let focused_once = ui.data(|d| d.get_temp::<bool>(id)).unwrap_or(false);
            if !focused_once {
                cancel.request_focus();
                ui.data_mut(|d| d.insert_temp(id, true));
            }
            if cancel.clicked() {
                answer = Some(Answer::Cancel);
            }
        });
        ui.label(RichText::new("Esc cancels.").weak().small());
    });
    if answer.is_none() && modal.should_close() {
        answer = Some(Answer::Cancel);
    }
    if answer.is_some() {
        ui.data_mut(|d| d.remove::<bool>(id));
    }
    answer
}
