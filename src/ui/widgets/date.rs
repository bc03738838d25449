//! A date picker for chrono dates. egui_extras' picker works on `jiff`
//! dates; the rest of IBR Desk uses chrono, so the conversion lives here.

use chrono::{Datelike, NaiveDate};
use egui::{Response, Ui};

/// A calendar button for `date`.
pub fn date_picker(ui: &mut Ui, id_salt: &str, date: &mut NaiveDate) -> Response {
    let Ok(mut j) = jiff::civil::Date::new(date.year() as i16, date.month() as i8, date.day() as i8) else {
        return ui.label(date.to_string());
    };
    let r = ui.add(egui_extras::DatePickerButton::new(&mut j).id_salt(id_salt));
    if let Some(d) = NaiveDate::from_ymd_opt(i32::from(j.year()), j.month() as u32, j.day() as u32) {
        *date = d;
    }
    r
}
