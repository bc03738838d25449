//! Identifier values are masked until a person chooses to reveal them, so a
//! screen glimpsed over a shoulder (or a screenshot) does not leak them.

use egui::Ui;

use crate::domain::{MASK_ON_SCREEN, mask_identifier, mask_values_in};

/// `1234567890` → `••••••7890`: the domain's rule with the window's symbol.
pub fn mask(value: &str) -> String {
    mask_identifier(value, MASK_ON_SCREEN)
}

/// `text` with each of `values` masked, longest first (see
/// [`mask_values_in`]).
pub fn mask_all<'a>(text: &str, values: impl IntoIterator<Item = &'a str>) -> String {
    mask_values_in(text, values, MASK_ON_SCREEN)
}

/// The value, masked unless `revealed`; a button toggles it.
pub fn masked_value(ui: &mut Ui, value: &str, revealed: &mut bool) {
    ui.horizontal(|ui| {
        ui.monospace(if *revealed { value.to_string() } else { mask(value) });
        let label = if *revealed { "Hide" } else { "Reveal" };
        if ui
            .small_button(label)
            .on_hover_text(if *revealed {
                "Mask identifier values again"
            } else {
                "Show identifier values in full"
            })
            .clicked()
        {
            *revealed = !*revealed;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_end() {
        assert_eq!(mask("4567890123"), "••••••0123");
        assert_eq!(mask("12"), "••");
    }

    #[test]
    fn a_text_is_masked_with_the_window_symbol() {
        assert_eq!(
            mask_all("no record for 4567890123", ["4567890123"]),
            "no record for ••••••0123"
        );
    }
}
