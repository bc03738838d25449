//! Small widgets the screens share.

mod badge;
mod comparison;
mod confirm;
mod date;
mod feedback;
mod file_dialogs;
mod form;
mod masked;
mod supervisor;
mod transport;

/// Screens name these beside the widgets that draw them.
pub use crate::ui::forms::{Problem, sentence};
pub use badge::{badge, check_badge};
pub use comparison::{comparison_grid, hide_ids};
pub use confirm::{Answer, confirm_dialog};
pub use date::date_picker;
pub use feedback::{
    entered, field_note, field_problem, field_warning, problem_text, technical_detail, under_field, warning,
};
pub use file_dialogs::{FileDialogs, file_dialogs, set_file_dialogs};
pub use form::{FormAction, form_row, problem_under, save_cancel_row, section_heading, text_field, text_line};
pub use masked::{mask, mask_all, masked_value};
pub use supervisor::{SUPERVISOR_ONLY, SWITCH_PROMPT, SupervisorSwitch};
pub use transport::{CLEAR_TEXT_WARNING, insecure_http_box, unencrypted_mark};
