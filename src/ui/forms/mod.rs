//! The form models behind the Data sources, Trusted senders and Settings
//! screens, and what they share — without egui, so every validation rule,
//! hint and conversion is unit-tested here and the screens only draw.
//!
//! A model holds the fields as typed, converts from and to the domain's
//! types, and "reviews" itself: a [`Problem`] per field, what is still
//! missing, and the value saving would send. The words of a review are the
//! domain's own (its `validate()`), turned into sentences.
//!
//! - [`applicant`]: the applicant of a new check;
//! - [`source`]: a data source, and [`reply_limits`] its reply limits in a person's units;
//! - [`sender`]: a trusted sender and its public key;
//! - [`settings`]: the officer, the office's sender ID, the supervisor PIN;
//! - [`problem`]: what is wrong with a field, as plain data.

pub mod applicant;
pub mod problem;
pub mod reply_limits;
pub mod sender;
pub mod settings;

pub mod source;

pub use problem::{Problem, sentence};

use crate::domain::{DataSource, is_unencrypted_url, validate_sender_id};

/// "a, b and c".
pub fn join_words(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A field's text trimmed, or `None` when nothing but spaces was typed.
pub fn optional(typed: &str) -> Option<String> {
    Some(typed.trim().to_string()).filter(|s| !s.is_empty())
}

/// Whether `name` repeats one of `others`: names are unique whatever their
/// case and surrounding spaces.
pub fn name_taken(name: &str, others: &[&str]) -> bool {
    others.iter().any(|o| o.trim().eq_ignore_ascii_case(name.trim()))
}

/// What is still empty, said next to "Save" ("Type a name and the base
/// URL."); `None` when nothing is.
pub fn missing_sentence(missing: &[&str]) -> Option<String> {
    (!missing.is_empty()).then(|| sentence(&format!("type {}", join_words(missing))))
}

/// What saving would do to the stored item called `name`: the labels of
/// the fields that `changed` marks, in words (the supervisor switch shows
/// it, so an officer knows what the role is asked for).
pub fn change_summary(name: &str, changed: &[(&str, bool)]) -> String {
    let changed: Vec<&str> = changed.iter().filter(|(_, d)| *d).map(|(w, _)| *w).collect();
    if changed.is_empty() {
        format!("change nothing in “{name}” yet.")
    } else {
        format!("change {} of “{name}”.", join_words(&changed))
    }
}

/// A URL the domain refused: when it is no URL at all, an example of a
/// full web address, with the parser's words one click away; otherwise the
/// domain's words (https required, no credentials in it, …).
pub fn url_problem(what: &str, example: &str, error: String) -> Problem {
    if error.contains("is not a URL") {
        Problem::with_detail(
            format!("the {what} must be a full web address, for example {example}"),
            error,
        )
    } else {
        Problem::new(error)
    }
}

/// What is wrong with a typed DCI sender ID (nothing when empty: that is
/// "missing", said next to "Save").
pub fn sender_id_problem(id: &str) -> Option<Problem> {
    let id = id.trim();
    if id.is_empty() {
        return None;
    }
    validate_sender_id(id).err().map(Problem::new)
}

/// Whether what is stored travels unencrypted over a network: a person
/// allowed plain http:// (`insecure_http`) and one of `urls` uses it to
/// another computer. The cards mark such a source or sender in red.
pub fn travels_in_clear<'a>(insecure_http: bool, urls: impl IntoIterator<Item = &'a str>) -> bool {
    insecure_http && urls.into_iter().any(is_unencrypted_url)
}

/// A data source as lists and pickers name it: the demo registry is said
/// to hold demo data, so no one takes its people for real applicants.
pub fn source_label(s: &DataSource) -> String {
    if s.is_demo {
        format!("{} (demo data)", s.name)
    } else {
        s.name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_joined_as_a_person_writes_them() {
        assert_eq!(join_words(&[]), "");
        assert_eq!(join_words(&["a"]), "a");
        assert_eq!(join_words(&["a", "b"]), "a and b");
        assert_eq!(join_words(&["a", "b", "c"]), "a, b and c");
    }

    #[test]
    fn blank_text_is_no_value() {
        assert_eq!(optional("  "), None);
        assert_eq!(optional(" desk "), Some("desk".into()));
    }

    #[test]
    fn names_are_compared_without_case_or_spaces() {
        assert!(name_taken("National IBR", &[" national ibr "]));
        assert!(!name_taken("National IBR", &["National IBR 2"]));
        assert!(!name_taken("x", &[]));
    }

    #[test]
    fn missing_fields_make_one_sentence() {
        assert_eq!(missing_sentence(&[]), None);
        assert_eq!(
            missing_sentence(&["a name", "the base URL"]).as_deref(),
            Some("Type a name and the base URL.")
        );
    }

    #[test]
    fn a_change_names_the_fields_it_touches() {
        assert_eq!(
            change_summary("IBR", &[("the name", false), ("the URL", false)]),
            "change nothing in “IBR” yet."
        );
        assert_eq!(
            change_summary("IBR", &[("the name", true), ("the URL", false), ("the key", true)]),
            "change the name and the key of “IBR”."
        );
    }

    #[test]
    fn a_non_url_gets_an_example_and_other_refusals_keep_the_domain_words() {
        let p = url_problem(
            "base URL",
            "https://ibr.example.org",
            "“x” is not a URL: relative".into(),
        );
        assert_eq!(
            p.message,
            "The base URL must be a full web address, for example https://ibr.example.org."
        );
        assert!(p.detail.unwrap().contains("not a URL"));
        let p = url_problem(
            "base URL",
            "https://ibr.example.org",
            "the base URL must use https://".into(),
        );
        assert_eq!(p.message, "The base URL must use https://.");
        assert_eq!(p.detail, None);
    }

    #[test]
    fn a_sender_id_is_checked_only_once_typed() {
        assert_eq!(sender_id_problem("  "), None);
        assert_eq!(sender_id_problem("office.dakar.gov"), None);
        assert!(
            sender_id_problem("office dakar")
                .unwrap()
                .message
                .starts_with("The sender ID")
        );
    }

    #[test]
    fn the_demo_registry_is_named_as_demo_data() {
        let mut d = DataSource {
            id: 1,
            name: "Demo registry (built in)".into(),
            registry_type: crate::domain::REGISTRY_TYPE_IBR.into(),
            base_url: "http://127.0.0.1:1".into(),
            auth_url: None,
            client_id: None,
            path_prefix: "registry".into(),
            mode: crate::domain::SourceMode::Sync,
            allow_unsigned: false,
            active: true,
            is_demo: true,
            insecure_http: false,
            limits: crate::domain::ReplyLimits::default(),
            created_at: chrono::Utc::now(),
        };
        assert_eq!(source_label(&d), "Demo registry (built in) (demo data)");
        d.is_demo = false;
        assert_eq!(source_label(&d), "Demo registry (built in)");
    }

    #[test]
    fn only_allowed_http_to_another_computer_travels_in_clear() {
        assert!(travels_in_clear(true, ["https://a.example", "http://10.0.0.5/token"]));
        assert!(!travels_in_clear(true, ["https://a.example", "http://localhost:8080"]));
        assert!(!travels_in_clear(false, ["http://10.0.0.5"]));
        assert!(!travels_in_clear(true, []));
    }

    /// The models are tested without a window: none of them may draw. The
    /// screens' own model files are held to the same rule.
    #[test]
    fn form_models_do_not_use_egui() {
        let models = [
            ("forms/mod.rs", include_str!("mod.rs")),
            ("forms/problem.rs", include_str!("problem.rs")),
            ("forms/applicant.rs", include_str!("applicant.rs")),
            ("forms/reply_limits.rs", include_str!("reply_limits.rs")),
            ("forms/sender.rs", include_str!("sender.rs")),
            ("forms/settings.rs", include_str!("settings.rs")),
            ("forms/source.rs", include_str!("source.rs")),
            ("screens/import/model.rs", include_str!("../screens/import/model.rs")),
            (
                "screens/checks/filter_controls.rs",
                include_str!("../screens/checks/filter_controls.rs"),
            ),
            (
                "screens/checks/wording.rs",
                include_str!("../screens/checks/wording.rs"),
            ),
            (
                "screens/review/decision.rs",
                include_str!("../screens/review/decision.rs"),
            ),
        ];
        let drawing = [
            concat!("egui", "::"),
            concat!("use ", "egui"),
            concat!("use ", "eframe"),
        ];
        for (file, text) in models {
            for (n, line) in text.lines().enumerate() {
                assert!(
                    !drawing.iter().any(|d| line.contains(d)),
                    "ui/{file}:{}: a form model uses egui: {line}",
                    n + 1
                );
            }
        }
    }
}
