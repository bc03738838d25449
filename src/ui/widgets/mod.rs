//! Small widgets the screens share.

mod badge;
mod form;
mod masked;

pub use badge::{badge, check_badge};
pub use form::{form_row, section_heading, text_field};
pub use masked::{mask, masked_value};
