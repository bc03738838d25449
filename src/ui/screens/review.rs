//! (being written)

use crate::ui::screens::{ScreenCtx, View};

#[derive(Default)]
pub struct ReviewScreen {}

impl View for ReviewScreen {
    fn ui(&mut self, ui: &mut egui::Ui, _cx: &mut ScreenCtx<'_>) {
        ui.label("");
    }
}
