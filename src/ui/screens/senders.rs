//! (being written)

use crate::ui::screens::{ScreenCtx, View};

#[derive(Default)]
pub struct SendersScreen {}

impl View for SendersScreen {
    fn ui(&mut self, ui: &mut egui::Ui, _cx: &mut ScreenCtx<'_>) {
        ui.label("");
    }
}
