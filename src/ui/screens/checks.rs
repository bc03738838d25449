//! (being written)

use crate::ui::screens::{ScreenCtx, View};
use crate::ui::state::Commands;

#[derive(Default)]
pub struct ChecksScreen {}

impl ChecksScreen {
    pub fn select(&mut self, _id: i64, _cmds: &Commands) {}
}

impl View for ChecksScreen {
    fn ui(&mut self, ui: &mut egui::Ui, _cx: &mut ScreenCtx<'_>) {
        ui.label("");
    }
}
