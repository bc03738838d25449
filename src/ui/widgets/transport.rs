//! How a form lets a person choose plain http:// to another computer: only
//! by ticking a box that says, in red, what it costs.

use egui::{RichText, Ui};

use crate::ui::theme;
use crate::ui::widgets::under_field;

/// What the "Allow unencrypted http://" box warns of when ticked.
pub const CLEAR_TEXT_WARNING: &str =
    "Client secrets and applicants' data will travel unencrypted, readable on the network: only for a test lab.";

/// "Allow unencrypted http:// (test lab only)", with the red warning beside
/// it when ticked. The domain's check refuses such a URL otherwise, and its
/// words show beside the URL field.
pub fn insecure_http_box(ui: &mut Ui, allowed: &mut bool) {
    under_field(ui, |ui| {
        ui.checkbox(allowed, "Allow unencrypted http:// (test lab only)");
        if *allowed {
            let red = theme::error_text(ui.visuals().dark_mode);
            ui.add(egui::Label::new(RichText::new(format!("⚠ {CLEAR_TEXT_WARNING}")).color(red)).wrap());
        } else {
            ui.label(
                RichText::new("https:// is required, except for a test server on this computer (http://localhost).")
                    .weak(),
            );
        }
    });
}

/// "⚠ unencrypted" in red bold beside an address that travels in clear.
pub fn unencrypted_mark(ui: &mut Ui) -> egui::Response {
    ui.label(
        RichText::new("⚠ unencrypted")
            .strong()
            .color(theme::error_text(ui.visuals().dark_mode)),
    )
}
