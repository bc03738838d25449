//! (being written)

use crate::ui::screens::{ScreenCtx, View};

#[derive(Default)]
pub struct SourcesScreen {}

impl View for SourcesScreen {
    fn ui(&mut self, ui: &mut egui::Ui, _cx: &mut ScreenCtx<'_>) {
        ui.label("");
    }
}
