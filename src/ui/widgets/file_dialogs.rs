//! Where the window's files are chosen: the native dialogs (rfd), or a
//! test's answers. The Import roster screen picks rosters and both it and
//! the Checks screen choose where an export goes, so the choice lives here,
//! once, and a test swaps it for the whole window ([`set_file_dialogs`]).
//! The native dialog is the window's only blocking call, opened from a
//! click.

use std::path::PathBuf;
use std::sync::Arc;

/// Where files are chosen: the native dialogs, or a test's answers.
pub trait FileDialogs: Send + Sync {
    /// The roster to import, or `None` when the person closed the dialog.
    fn pick_roster(&self) -> Option<PathBuf>;
    /// Where to write an export (`suggested` is a file name).
    fn save_export(&self, suggested: &str) -> Option<PathBuf>;
}

/// The system's file dialogs (rfd). They block the frame while open, as a
/// modal dialog does.
struct NativeDialogs;

impl FileDialogs for NativeDialogs {
    fn pick_roster(&self) -> Option<PathBuf> {
        rfd::FileDialog::new()
            .set_title("Choose a roster (CSV)")
            .add_filter("CSV", &["csv", "txt"])
            .pick_file()
    }

    fn save_export(&self, suggested: &str) -> Option<PathBuf> {
        rfd::FileDialog::new()
            .set_title("Export the history")
            .add_filter("CSV", &["csv"])
            .set_file_name(suggested)
            .save_file()
    }
}

#[derive(Clone)]
struct DialogsHandle(Arc<dyn FileDialogs>);

fn dialogs_id() -> egui::Id {
    egui::Id::unique("ibr-desk-file-dialogs")
}

/// Makes the window use `dialogs` instead of the native ones (tests).
pub fn set_file_dialogs(ctx: &egui::Context, dialogs: Arc<dyn FileDialogs>) {
    ctx.data_mut(|d| d.insert_temp(dialogs_id(), DialogsHandle(dialogs)));
}

/// The dialogs the window uses: a test's, or the native ones.
pub fn file_dialogs(ctx: &egui::Context) -> Arc<dyn FileDialogs> {
    ctx.data(|d| d.get_temp::<DialogsHandle>(dialogs_id()))
        .map(|h| h.0)
        .unwrap_or_else(|| Arc::new(NativeDialogs))
}
