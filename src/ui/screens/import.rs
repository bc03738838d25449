//! (being written)

use crate::ui::screens::{ScreenCtx, View};

#[derive(Default)]
pub struct ImportScreen {}

impl View for ImportScreen {
    fn ui(&mut self, ui: &mut egui::Ui, _cx: &mut ScreenCtx<'_>) {
        ui.label("");
    }
}
