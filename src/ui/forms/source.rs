//! The Data sources form as a model: the fields as typed, conversion from
//! a stored [`DataSource`] and to the [`NewDataSource`] saving sends, what
//! saving would change, every field checked with the domain's rules, what
//! to do with the client secret, and the hints under a failed connection
//! test. No egui: `screens::sources` draws it.

use crate::domain::{DataSource, NewDataSource, REGISTRY_TYPE_IBR, ReplyLimits, SourceMode};
use crate::engine::command::SecretChange;
use crate::ui::forms::reply_limits::LimitsForm;
use crate::ui::forms::{Problem, change_summary, missing_sentence, name_taken, optional, sentence, url_problem};

/// The path prefixes registries use: the standard's, and the SPDCI mock's.
pub const PATH_PREFIXES: [(&str, &str); 2] = [("registry", "registry (the DCI standard)"), ("ibr", "ibr (SPDCI mock)")];
/// A valid data source the field checks start from, so each check tells
/// about its own field only.
const PROBE_URL: &str = "https://registry.example";

/// The form as typed.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceForm {
    pub name: String,
    /// "IBR" stands for [`REGISTRY_TYPE_IBR`].
    pub registry_type: String,
    pub base_url: String,
    pub auth_url: String,
    pub client_id: String,
    /// Empty keeps the stored secret.
    pub secret: String,
    pub clear_secret: bool,
    pub path_prefix: String,
    /// The prefix is typed rather than picked.
    pub custom_prefix: bool,
    pub allow_unsigned: bool,
    pub active: bool,
    /// Plain http:// to another computer, chosen explicitly.
    pub insecure_http: bool,
    /// The reply limits as typed (MiB, records, minutes).
    pub limits: LimitsForm,
    /// Kept as stored; not edited here.
    pub mode: SourceMode,
    pub is_demo: bool,
}

impl Default for SourceForm {
    fn default() -> Self {
        SourceForm {
            name: String::new(),
            registry_type: "IBR".into(),
            base_url: String::new(),
            auth_url: String::new(),
            client_id: String::new(),
            secret: String::new(),
            clear_secret: false,
            path_prefix: "registry".into(),
            custom_prefix: false,
            allow_unsigned: false,
            active: true,
            insecure_http: false,
            limits: LimitsForm::from_limits(&ReplyLimits::default()),
            mode: SourceMode::Sync,
            is_demo: false,
        }
    }
}

/// What stops the form from being saved.
#[derive(Debug, Default, PartialEq)]
pub struct Review {
    pub name: Option<Problem>,
    pub base_url: Option<Problem>,
    pub auth_url: Option<Problem>,
    pub path_prefix: Option<Problem>,
    /// The Advanced section's limits.
    pub limits: Option<Problem>,
    /// Required fields still empty, said next to "Save".
    pub missing: Option<String>,
    /// A rule of the domain that no single field shows.
    pub other: Option<Problem>,
    pub source: Option<NewDataSource>,
}

impl SourceForm {
    pub fn from_source(s: &DataSource) -> SourceForm {
        SourceForm {
            name: s.name.clone(),
            registry_type: shown_registry_type(&s.registry_type),
            base_url: s.base_url.clone(),
            auth_url: s.auth_url.clone().unwrap_or_default(),
            client_id: s.client_id.clone().unwrap_or_default(),
            secret: String::new(),
            clear_secret: false,
            custom_prefix: !PATH_PREFIXES.iter().any(|(p, _)| *p == s.path_prefix),
            path_prefix: s.path_prefix.clone(),
            allow_unsigned: s.allow_unsigned,
            active: s.active,
            insecure_http: s.insecure_http,
            limits: LimitsForm::from_limits(&s.limits),
            mode: s.mode,
            is_demo: s.is_demo,
        }
    }

    /// The data source the form describes, trimmed (limits that are not
    /// numbers stay as stored; [`SourceForm::review`] says so).
    pub fn to_new(&self) -> NewDataSource {
        NewDataSource {
            name: self.name.trim().to_string(),
            registry_type: stored_registry_type(&self.registry_type),
            base_url: self.base_url.trim().to_string(),
            auth_url: optional(&self.auth_url),
            client_id: optional(&self.client_id),
            path_prefix: self.path_prefix.trim().to_string(),
            mode: self.mode,
            allow_unsigned: self.allow_unsigned,
            active: self.active,
            is_demo: self.is_demo,
            insecure_http: self.insecure_http,
            limits: self.limits.to_limits().unwrap_or_default(),
        }
    }

    /// What saving would do to `stored` (a new source when none), in words.
    pub fn would_change(&self, stored: Option<&DataSource>) -> String {
        let new = self.to_new();
        let Some(old) = stored else {
            return if new.name.is_empty() {
                "add a new data source.".to_string()
            } else {
                format!("add the data source “{}”.", new.name)
            };
        };
        change_summary(
            &old.name,
            &[
                ("the name", new.name != old.name),
                ("the registry type", new.registry_type != old.registry_type),
                ("the base URL", new.base_url != old.base_url),
                ("the OAuth token URL", new.auth_url != old.auth_url),
                ("the client ID", new.client_id != old.client_id),
                ("the path prefix", new.path_prefix != old.path_prefix),
                ("unsigned replies", new.allow_unsigned != old.allow_unsigned),
                ("unencrypted http", new.insecure_http != old.insecure_http),
                ("whether it is active", new.active != old.active),
                ("the reply limits", new.limits != old.limits),
                ("the client secret", !self.secret.trim().is_empty() || self.clear_secret),
            ],
        )
    }

    /// Checks every field with the domain's rules. `others` are the names of
    /// the other data sources (names are unique, whatever their case).
    pub fn review(&self, others: &[&str]) -> Review {
        let new = self.to_new();
        let mut r = Review::default();
        let mut missing = Vec::new();
        if new.name.is_empty() {
            missing.push("a name");
        } else if name_taken(&new.name, others) {
            r.name = Some(Problem::new(format!(
                "another data source is already called “{}”",
                new.name
            )));
        }
        if new.base_url.is_empty() {
            missing.push("the base URL");
        } else {
            r.base_url = probe("base URL", |p| {
                p.base_url = new.base_url.clone();
                p.insecure_http = new.insecure_http;
            });
        }
        if let Some(auth) = &new.auth_url {
            r.auth_url = probe("OAuth token URL", |p| {
                p.auth_url = Some(auth.clone());
                p.client_id = Some("probe".into());
                p.insecure_http = new.insecure_http;
            });
            if new.client_id.is_none() {
                missing.push("the client ID (the OAuth token URL needs one)");
            }
        }
        if new.path_prefix.is_empty() {
            missing.push("the path prefix");
        } else {
            r.path_prefix = probe("path prefix", |p| p.path_prefix = new.path_prefix.clone());
        }
        r.limits = match self.limits.to_limits() {
            Ok(l) => l.validate().err().map(Problem::new),
            Err(p) => Some(p),
        };
        r.missing = missing_sentence(&missing);
        let fields_ok = [&r.name, &r.base_url, &r.auth_url, &r.path_prefix, &r.limits]
            .iter()
            .all(|p| p.is_none());
        if fields_ok && r.missing.is_none() {
            match new.validate() {
                Ok(()) => r.source = Some(new),
                Err(e) => r.other = Some(Problem::new(e)),
            }
        }
        r
    }
}

/// The registry type as the form shows it: "IBR" for an IBR.
pub fn shown_registry_type(stored: &str) -> String {
    if stored == REGISTRY_TYPE_IBR {
        "IBR".into()
    } else {
        stored.to_string()
    }
}

/// The registry type as stored: "IBR" (or nothing) means [`REGISTRY_TYPE_IBR`].
pub fn stored_registry_type(typed: &str) -> String {
    let t = typed.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("IBR") {
        REGISTRY_TYPE_IBR.to_string()
    } else {
        t.to_string()
    }
}

/// What to do with the client secret: a request to remove it wins; typed
/// text replaces it; an empty field keeps it — except that a secret left
/// behind by a source that no longer signs in with OAuth is removed.
pub fn secret_change(typed: &str, clear: bool, uses_oauth: bool, stored: Option<bool>) -> SecretChange {
    let typed = typed.trim();
    if clear || (!uses_oauth && typed.is_empty() && stored == Some(true)) {
        SecretChange::Clear
    } else if typed.is_empty() {
        SecretChange::Keep
    } else {
        SecretChange::Set(typed.into())
    }
}

/// Runs the domain's check on a valid data source with one field changed.
fn probe(what: &str, change: impl FnOnce(&mut NewDataSource)) -> Option<Problem> {
    let mut p = NewDataSource::ibr("probe", PROBE_URL);
    change(&mut p);
    p.validate()
        .err()
        .map(|e| url_problem(what, "https://ibr.example.org", e))
}

/// A failed connection test: what happened in a sentence, what to look at,
/// and the engine's words as the technical detail.
pub fn test_failure(error: &str) -> Problem {
    let what = error.split(": ").next().unwrap_or(error);
    let hint = if what.contains("could not be reached") || what.contains("did not answer in time") {
        "Check the base URL and this computer's network connection. Checks wait in the queue until the registry answers."
    } else if what.contains("refused our credentials") {
        "Check the client ID and the client secret."
    } else if what.contains("not signed by a trusted sender") {
        "Link the registry's sender to this data source under Trusted senders, or fetch its current public key."
    } else if what.contains("not configured correctly") {
        "Edit the data source and check its settings."
    } else {
        "The technical detail below says what the registry answered."
    };
    Problem::with_detail(format!("{} {hint}", sentence(what)), error)
}

/// Whether a stored source is what was sent to be saved.
pub fn stored_as(new: &NewDataSource, s: &DataSource) -> bool {
    new.name == s.name
        && new.registry_type == s.registry_type
        && new.base_url == s.base_url
        && new.auth_url == s.auth_url
        && new.client_id == s.client_id
        && new.path_prefix == s.path_prefix
        && new.allow_unsigned == s.allow_unsigned
        && new.active == s.active
        && new.insecure_http == s.insecure_http
        && new.limits == s.limits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> SourceForm {
        SourceForm {
            name: " National IBR ".into(),
            base_url: " https://ibr.example.org ".into(),
            auth_url: "https://ibr.example.org/oauth2/client/token".into(),
            client_id: " desk ".into(),
            secret: " s3cret ".into(),
            ..SourceForm::default()
        }
    }

    #[test]
    fn the_form_becomes_a_trimmed_data_source() {
        let r = form().review(&[]);
        let s = r.source.expect("valid");
        assert_eq!(s.name, "National IBR");
        assert_eq!(s.registry_type, REGISTRY_TYPE_IBR);
        assert_eq!(s.base_url, "https://ibr.example.org");
        assert_eq!(s.client_id.as_deref(), Some("desk"));
        assert_eq!(s.path_prefix, "registry");
        assert!(s.active && !s.allow_unsigned && !s.is_demo);
    }

    #[test]
    fn ibr_is_shown_short_and_stored_in_full() {
        assert_eq!(shown_registry_type(REGISTRY_TYPE_IBR), "IBR");
        assert_eq!(stored_registry_type(" ibr "), REGISTRY_TYPE_IBR);
        assert_eq!(stored_registry_type(""), REGISTRY_TYPE_IBR);
        assert_eq!(
            stored_registry_type("ns:org:RegistryType:CRVS"),
            "ns:org:RegistryType:CRVS"
        );
        let stored = DataSource {
            id: 1,
            name: "X".into(),
            registry_type: REGISTRY_TYPE_IBR.into(),
            base_url: "http://127.0.0.1:1".into(),
            auth_url: None,
            client_id: None,
            path_prefix: "ibr".into(),
            mode: SourceMode::Sync,
            allow_unsigned: true,
            active: true,
            is_demo: false,
            insecure_http: false,
            limits: ReplyLimits::default(),
            created_at: chrono::Utc::now(),
        };
        let f = SourceForm::from_source(&stored);
        assert_eq!(f.registry_type, "IBR");
        assert!(!f.custom_prefix);
        assert!(stored_as(&f.to_new(), &stored));
    }

    #[test]
    fn a_bad_url_is_explained_beside_its_field() {
        let mut f = form();
        f.base_url = "ibr.example.org".into();
        let r = f.review(&[]);
        assert!(r.source.is_none());
        let p = r.base_url.expect("a problem");
        assert!(p.message.starts_with("The base URL must be a full web address"));
        assert!(p.detail.unwrap().contains("not a URL"));
        f.base_url = "ftp://ibr.example.org".into();
        assert!(f.review(&[]).base_url.unwrap().message.contains("https://"));
    }

    #[test]
    fn empty_required_fields_are_missing_not_wrong() {
        let r = SourceForm::default().review(&[]);
        assert_eq!(r.base_url, None);
        assert_eq!(r.missing.as_deref(), Some("Type a name and the base URL."));
        let mut f = form();
        f.client_id.clear();
        assert!(f.review(&[]).missing.unwrap().contains("client ID"));
    }

    #[test]
    fn names_are_unique_whatever_their_case() {
        let r = form().review(&["national ibr"]);
        assert!(r.name.unwrap().message.contains("already called"));
    }

    fn plain(c: SecretChange) -> (&'static str, Option<String>) {
        use secrecy::ExposeSecret as _;
        match c {
            SecretChange::Keep => ("keep", None),
            SecretChange::Set(s) => ("set", Some(s.expose_secret().to_owned())),
            SecretChange::Clear => ("clear", None),
        }
    }

    #[test]
    fn the_secret_is_kept_set_or_cleared() {
        let keep = || plain(SecretChange::Keep);
        let clear = || plain(SecretChange::Clear);
        assert_eq!(plain(secret_change("", false, true, Some(true))), keep());
        assert_eq!(plain(secret_change("  ", false, true, None)), keep());
        assert_eq!(
            plain(secret_change(" new ", false, true, Some(true))),
            plain(SecretChange::Set("new".into()))
        );
        assert_eq!(plain(secret_change("typed", true, true, Some(true))), clear());
        // No more OAuth: a secret left behind is removed.
        assert_eq!(plain(secret_change("", false, false, Some(true))), clear());
        assert_eq!(plain(secret_change("", false, false, Some(false))), keep());
    }

    #[test]
    fn failed_tests_say_what_to_look_at() {
        let p = test_failure("the registry could not be reached: error sending request: connection refused");
        assert!(
            p.message
                .starts_with("The registry could not be reached. Check the base URL")
        );
        assert!(p.detail.unwrap().contains("connection refused"));
        assert!(
            test_failure("the registry refused our credentials: 401")
                .message
                .contains("client secret")
        );
        assert_eq!(crate::ui::forms::join_words(&["a", "b", "c"]), "a, b and c");
    }

    /// A stored source as the store gives it back for `new`.
    fn stored(new: &NewDataSource) -> DataSource {
        DataSource {
            id: 7,
            name: new.name.clone(),
            registry_type: new.registry_type.clone(),
            base_url: new.base_url.clone(),
            auth_url: new.auth_url.clone(),
            client_id: new.client_id.clone(),
            path_prefix: new.path_prefix.clone(),
            mode: new.mode,
            allow_unsigned: new.allow_unsigned,
            active: new.active,
            is_demo: new.is_demo,
            insecure_http: new.insecure_http,
            limits: new.limits,
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn a_source_loaded_and_saved_unchanged_is_the_same_source() {
        let sources = [
            NewDataSource::ibr("Local", "http://127.0.0.1:8080"),
            NewDataSource {
                auth_url: Some("https://ibr.example.org/oauth2/client/token".into()),
                client_id: Some("desk".into()),
                path_prefix: "ibr".into(),
                registry_type: "ns:org:RegistryType:CRVS".into(),
                allow_unsigned: true,
                active: false,
                is_demo: true,
                mode: SourceMode::Sync,
                limits: ReplyLimits {
                    max_reply_bytes: 512 * 1024,
                    max_records_per_check: 50,
                    max_signature_lifetime_secs: 90,
                },
                ..NewDataSource::ibr("National IBR", "https://ibr.example.org")
            },
            NewDataSource {
                insecure_http: true,
                path_prefix: "v2/dci".into(),
                ..NewDataSource::ibr("Lab", "http://10.0.0.5:9000")
            },
        ];
        for new in sources {
            let s = stored(&new);
            let f = SourceForm::from_source(&s);
            assert_eq!(f.to_new(), new);
            assert_eq!(f.review(&[]).source, Some(new.clone()), "{new:?}");
            assert!(stored_as(&f.to_new(), &s));
            assert_eq!(f.would_change(Some(&s)), format!("change nothing in “{}” yet.", s.name));
        }
    }

    #[test]
    fn a_prefix_not_in_the_list_opens_as_typed() {
        let new = NewDataSource {
            path_prefix: "v2/dci".into(),
            ..NewDataSource::ibr("X", "https://x.example")
        };
        let f = SourceForm::from_source(&stored(&new));
        assert!(f.custom_prefix);
        assert_eq!(f.path_prefix, "v2/dci");
    }

    #[test]
    fn what_saving_would_change_is_said_in_words() {
        assert_eq!(SourceForm::default().would_change(None), "add a new data source.");
        assert_eq!(form().would_change(None), "add the data source “National IBR”.");
        let s = stored(&form().to_new());
        let mut f = SourceForm::from_source(&s);
        f.base_url = "https://other.example.org".into();
        f.active = false;
        assert_eq!(
            f.would_change(Some(&s)),
            "change the base URL and whether it is active of “National IBR”."
        );
        let mut f = SourceForm::from_source(&s);
        f.clear_secret = true;
        assert_eq!(f.would_change(Some(&s)), "change the client secret of “National IBR”.");
        let mut f = SourceForm::from_source(&s);
        f.limits.max_records_per_check = "20".into();
        assert!(f.would_change(Some(&s)).contains("the reply limits"));
    }

    #[test]
    fn plain_http_to_another_computer_needs_the_box_ticked() {
        let mut f = form();
        f.base_url = "http://10.0.0.5".into();
        f.auth_url.clear();
        let p = f.review(&[]).base_url.expect("refused");
        assert!(p.message.contains("unencrypted"), "{p:?}");
        f.insecure_http = true;
        assert_eq!(f.review(&[]).base_url, None);
        assert!(f.review(&[]).source.is_some_and(|s| s.insecure_http));
        // This computer needs no box.
        f.insecure_http = false;
        f.base_url = "http://localhost:8080".into();
        assert!(f.review(&[]).source.is_some());
    }

    #[test]
    fn the_token_url_is_checked_beside_its_field() {
        let mut f = form();
        f.auth_url = "token".into();
        let p = f.review(&[]).auth_url.expect("a problem");
        assert!(p.message.starts_with("The OAuth token URL must be a full web address"));
    }

    #[test]
    fn a_prefix_with_spaces_is_refused_and_an_empty_one_is_missing() {
        let mut f = form();
        f.path_prefix = "my registry".into();
        assert!(f.review(&[]).path_prefix.unwrap().message.contains("spaces"));
        f.path_prefix = "  ".into();
        let r = f.review(&[]);
        assert_eq!(r.path_prefix, None);
        assert!(r.missing.unwrap().contains("the path prefix"));
    }

    #[test]
    fn limits_that_are_no_numbers_or_out_of_range_stop_saving() {
        let mut f = form();
        f.limits.max_reply_mib = "big".into();
        let r = f.review(&[]);
        assert!(r.limits.unwrap().message.contains("largest reply"));
        assert!(r.source.is_none());
        let mut f = form();
        f.limits.max_reply_mib = "100000".into();
        let r = f.review(&[]);
        assert!(r.limits.is_some());
        assert!(r.source.is_none());
    }

    #[test]
    fn every_failed_test_has_a_hint() {
        assert!(
            test_failure("the registry did not answer in time")
                .message
                .contains("network")
        );
        assert!(
            test_failure("the reply is not signed by a trusted sender: kid x")
                .message
                .contains("Trusted senders")
        );
        assert!(
            test_failure("the data source is not configured correctly: no URL")
                .message
                .contains("Edit")
        );
        let p = test_failure("something else");
        assert!(p.message.contains("technical detail"));
        assert_eq!(p.detail.as_deref(), Some("something else"));
    }
}
