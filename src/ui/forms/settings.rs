//! The Settings form as a model: the officer's name and the office's
//! sender ID as typed, checked, and compared with the configuration; what
//! stops "Save"; and the supervisor PIN form's rules. No egui:
//! `screens::settings` draws it.

use crate::engine::event::ConfigSnapshot;
use crate::ui::forms::{Problem, sender_id_problem};

/// The settings form as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SettingsForm {
    pub officer_name: String,
    pub office_sender_id: String,
}

/// What stops the settings from being saved.
#[derive(Debug, Default, PartialEq)]
pub struct Review {
    pub sender_id: Option<Problem>,
    pub missing: Option<String>,
    /// Trimmed values ready to send.
    pub ready: Option<(String, String)>,
}

impl SettingsForm {
    pub fn from_config(c: &ConfigSnapshot) -> SettingsForm {
        SettingsForm {
            officer_name: c.officer_name.clone(),
            office_sender_id: c.office_sender_id.clone(),
        }
    }

    pub fn review(&self) -> Review {
        let name = self.officer_name.trim();
        let id = self.office_sender_id.trim();
        let mut r = Review::default();
        if name.is_empty() {
            r.missing = Some("Type your name: it is recorded with every action.".into());
        } else if id.is_empty() {
            r.missing = Some("Type the office's sender ID.".into());
        }
        if !id.is_empty() {
            r.sender_id = sender_id_problem(id);
        }
        if r.missing.is_none() && r.sender_id.is_none() {
            r.ready = Some((name.to_string(), id.to_string()));
        }
        r
    }

    /// Whether the configuration holds exactly what the form holds.
    pub fn saved_in(&self, c: &ConfigSnapshot) -> bool {
        c.officer_name == self.officer_name.trim() && c.office_sender_id == self.office_sender_id.trim()
    }
}

/// Setting or changing the supervisor PIN.
#[derive(Default)]
pub struct PinForm {
    pub current: String,
    pub new: String,
    pub repeat: String,
    pub error: Option<String>,
    pub sending: bool,
}

impl PinForm {
    /// What is wrong with the form, in a sentence.
    pub fn problem(&self, pin_set: bool) -> Option<&'static str> {
        if pin_set && self.current.is_empty() {
            Some("type the current PIN")
        } else if self.new.chars().count() < 4 {
            Some("the new PIN needs at least 4 characters")
        } else if self.new != self.repeat {
            Some("the two new PINs differ")
        } else {
            None
        }
    }
}

/// What stops "Save", said beside it; `None` enables it. `saving`: a save
/// is under way; `editing`: the officer changed a field since the last load.
pub fn save_blocker(review: &Review, saving: bool, editing: bool) -> Option<String> {
    if saving {
        Some("Saving…".to_string())
    } else if let Some(m) = &review.missing {
        Some(m.clone())
    } else if review.ready.is_none() {
        Some("Correct what is marked in red first.".to_string())
    } else if !editing {
        Some("Nothing changed.".to_string())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_trimmed_and_checked() {
        let f = SettingsForm {
            officer_name: " Awa Ndiaye ".into(),
            office_sender_id: " office.dakar.gov ".into(),
        };
        assert_eq!(
            f.review().ready,
            Some(("Awa Ndiaye".to_string(), "office.dakar.gov".to_string()))
        );
        let bad = SettingsForm {
            office_sender_id: "office dakar".into(),
            ..f.clone()
        };
        let r = bad.review();
        assert!(r.ready.is_none());
        assert!(r.sender_id.unwrap().message.starts_with("The sender ID"));
        let nameless = SettingsForm {
            officer_name: "  ".into(),
            ..f
        };
        assert!(nameless.review().missing.unwrap().contains("your name"));
    }

    #[test]
    fn save_is_blocked_until_something_valid_changed() {
        let f = SettingsForm {
            officer_name: "Awa".into(),
            office_sender_id: "office.dakar.gov".into(),
        };
        let r = f.review();
        assert_eq!(save_blocker(&r, false, true), None);
        assert_eq!(save_blocker(&r, false, false).as_deref(), Some("Nothing changed."));
        assert_eq!(save_blocker(&r, true, true).as_deref(), Some("Saving…"));
        let bad = SettingsForm {
            office_sender_id: "office dakar".into(),
            ..f.clone()
        };
        assert_eq!(
            save_blocker(&bad.review(), false, true).as_deref(),
            Some("Correct what is marked in red first.")
        );
        let empty = SettingsForm {
            office_sender_id: " ".into(),
            ..f
        };
        assert_eq!(
            save_blocker(&empty.review(), false, true).as_deref(),
            Some("Type the office's sender ID.")
        );
    }

    #[test]
    fn a_pin_needs_four_characters_twice_and_the_current_one() {
        let pin = |current: &str, new: &str, repeat: &str| PinForm {
            current: current.into(),
            new: new.into(),
            repeat: repeat.into(),
            ..PinForm::default()
        };
        assert_eq!(pin("", "1234", "1234").problem(false), None);
        assert_eq!(pin("", "1234", "1234").problem(true), Some("type the current PIN"));
        assert_eq!(pin("0000", "1234", "1234").problem(true), None);
        assert_eq!(
            pin("", "123", "123").problem(false),
            Some("the new PIN needs at least 4 characters")
        );
        // Characters, not bytes.
        assert_eq!(
            pin("", "éé", "éé").problem(false),
            Some("the new PIN needs at least 4 characters")
        );
        assert_eq!(pin("", "1234", "1235").problem(false), Some("the two new PINs differ"));
    }

    #[test]
    fn the_form_is_saved_when_the_configuration_holds_it_trimmed() {
        let c = ConfigSnapshot {
            officer_name: "Awa".into(),
            office_sender_id: "office.dakar.gov".into(),
            revision: 1,
            sources: vec![],
            senders: vec![],
            sender_links: vec![],
            office_kid: None,
            office_jwks: None,
            keyring: Ok("memory".into()),
            supervisor_pin_set: false,
        };
        let f = SettingsForm::from_config(&c);
        assert!(f.saved_in(&c));
        let typed = SettingsForm {
            officer_name: " Awa ".into(),
            ..f.clone()
        };
        assert!(typed.saved_in(&c));
        let other = SettingsForm {
            officer_name: "Awa N.".into(),
            ..f
        };
        assert!(!other.saved_in(&c));
    }
}
