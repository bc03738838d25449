//! (being written)

use crate::ui::screens::{ScreenCtx, View};

#[derive(Default)]
pub struct NewCheckScreen {}

impl View for NewCheckScreen {
    fn ui(&mut self, ui: &mut egui::Ui, _cx: &mut ScreenCtx<'_>) {
        ui.label("");
    }
}
