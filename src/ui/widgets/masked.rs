//! Identifier values are masked until a person chooses to reveal them, so a
//! screen glimpsed over a shoulder (or a screenshot) does not leak them.

use egui::Ui;

/// `1234567890` → `******7890`.
pub fn mask(value: &str) -> String {
    let n = value.chars().count();
    let keep = if n > 6 { 4 } else { n / 3 };
    let tail: String = value.chars().skip(n - keep).collect();
    format!("{}{tail}", "•".repeat(n - keep))
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
}
