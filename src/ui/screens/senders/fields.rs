//! The sender form's name, sender ID and data-source fields, and what
//! stops "Save"; the key fields, which ask the engine to fetch a key, stay
//! with the screen.

use std::collections::BTreeSet;

use egui::{RichText, Ui};

use super::Editor;
use crate::ui::forms::sender::{Review, SenderForm, TRUSTED_NOWHERE};
use crate::ui::forms::source_label;
use crate::ui::state::AppData;
use crate::ui::widgets::{
    FormAction, SUPERVISOR_ONLY, entered, field_note, field_problem, field_warning, problem_under, save_cancel_row,
    section_heading, text_field, text_line, under_field,
};
/// Name and sender ID; `focus` puts the cursor in the name once, when the
/// form opens. Returns whether Enter was pressed.
pub(super) fn identity_fields(ui: &mut Ui, f: &mut SenderForm, review: &Review, focus: &mut bool) -> bool {
    section_heading(ui, "Sender");
    let name = text_field(ui, "Name", &mut f.name, "National IBR");
    if std::mem::take(focus) {
        name.request_focus();
    }
    let mut enter = entered(ui, &name);
    problem_under(ui, "sender-name", &review.name);
    enter |= text_line(ui, "Sender ID", &mut f.sender_id, "ibr.national.gov");
    match &review.sender_id {
        Some(p) => field_problem(ui, "sender-id", p),
        None => field_note(
            ui,
            "As the registry writes it in its replies: letters, digits, dots and hyphens.",
        ),
    }
    under_field(ui, |ui| {
        ui.checkbox(&mut f.active, "Active");
        ui.label(RichText::new("Replies are trusted only from active senders.").weak());
    });
    enter
}

/// What stops saving, beside "Save" and "Cancel".
pub(super) fn save_row(ui: &mut Ui, ed: &Editor, review: &Review, supervisor: bool) -> Option<FormAction> {
    let why_not = if ed.saving.is_some() {
        Some("Saving…".to_string())
    } else if !supervisor {
        Some(SUPERVISOR_ONLY.to_string())
    } else if let Some(m) = &review.missing {
        Some(m.clone())
    } else if review.sender.is_none() {
        Some("Correct what is marked in red first.".to_string())
    } else {
        None
    };
    save_cancel_row(ui, why_not.as_deref())
}

/// The data sources a sender is trusted for now (none for a new sender).
pub(super) fn linked_sources(data: &AppData, sender_row_id: Option<i64>) -> BTreeSet<i64> {
    match (sender_row_id, &data.config) {
        (Some(id), Some(c)) => c.sources_of_sender(id).iter().map(|d| d.id).collect(),
        _ => BTreeSet::new(),
    }
}

/// "Trusted for these data sources": a box per data source.
pub(super) fn source_links(ui: &mut Ui, f: &mut SenderForm, data: &AppData) {
    section_heading(ui, "Trusted for these data sources");
    field_note(
        ui,
        "Replies of a ticked data source are trusted when this sender signs them; a signature on any other \
         registry's reply counts for nothing.",
    );
    let sources = data.sources();
    if sources.is_empty() {
        field_note(ui, "No data source yet: add one under Data sources, then tick it here.");
    }
    under_field(ui, |ui| {
        for info in sources {
            let d = &info.source;
            let mut ticked = f.sources.contains(&d.id);
            if ui.checkbox(&mut ticked, source_label(d)).changed() {
                if ticked {
                    f.sources.insert(d.id);
                } else {
                    f.sources.remove(&d.id);
                }
            }
        }
    });
    let linked_to_existing = f.sources.iter().any(|id| sources.iter().any(|s| s.source.id == *id));
    if !linked_to_existing {
        field_warning(ui, TRUSTED_NOWHERE);
    }
}
