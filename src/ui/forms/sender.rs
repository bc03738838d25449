//! The Trusted senders form as a model: the fields as typed, conversion
//! from a stored [`IbrSender`] (with the data sources it is trusted for) and
//! to the [`NewIbrSender`] saving sends, what saving would change, every
//! field checked (sender ID, JWKS URL, the pasted key against the chosen
//! algorithm), and the hints under a failed fetch. No egui:
//! `screens::senders` draws it.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::dci::PublicKey;
use crate::domain::{Algorithm, IbrSender, NewIbrSender};
use crate::engine::event::FetchedKey;
use crate::ui::forms::{
    Problem, change_summary, missing_sentence, name_taken, optional, sender_id_problem, url_problem,
};

/// What the form says when no data source is ticked.
pub const TRUSTED_NOWHERE: &str = "Linked to no data source: this sender's signatures will not be trusted anywhere. Tick the data sources whose \
     replies it signs.";

/// The form as typed.
#[derive(Debug, Clone, PartialEq)]
pub struct SenderForm {
    pub name: String,
    pub sender_id: String,
    pub pem: String,
    pub jwks_url: String,
    pub algorithm: Algorithm,
    pub active: bool,
    /// A plain http:// JWKS URL to another computer, chosen explicitly.
    pub insecure_http: bool,
    /// The data sources whose replies this sender's signatures are trusted for.
    pub sources: BTreeSet<i64>,
}

impl Default for SenderForm {
    fn default() -> Self {
        SenderForm {
            name: String::new(),
            sender_id: String::new(),
            pem: String::new(),
            jwks_url: String::new(),
            algorithm: Algorithm::Ed25519,
            active: true,
            insecure_http: false,
            sources: BTreeSet::new(),
        }
    }
}

/// What stops the form from being saved.
#[derive(Debug, Default, PartialEq)]
pub struct Review {
    pub name: Option<Problem>,
    pub sender_id: Option<Problem>,
    pub pem: Option<Problem>,
    pub jwks_url: Option<Problem>,
    /// Required fields still empty, said next to "Save".
    pub missing: Option<String>,
    /// A rule of the domain that no single field shows.
    pub other: Option<Problem>,
    pub sender: Option<NewIbrSender>,
}

/// The other senders, which a new name or sender ID must not repeat.
#[derive(Debug, Default)]
pub struct Others<'a> {
    pub names: Vec<&'a str>,
    pub sender_ids: Vec<&'a str>,
}

impl SenderForm {
    pub fn from_sender(s: &IbrSender, sources: impl IntoIterator<Item = i64>) -> SenderForm {
        SenderForm {
            name: s.name.clone(),
            sender_id: s.sender_id.clone(),
            pem: s.public_key_pem.clone().unwrap_or_default(),
            jwks_url: s.jwks_url.clone().unwrap_or_default(),
            algorithm: s.algorithm,
            active: s.active,
            insecure_http: s.insecure_http,
            sources: sources.into_iter().collect(),
        }
    }

    /// What saving would do to `stored` (a new sender when none), in words;
    /// `linked` are the sources it is trusted for now.
    pub fn would_change(&self, stored: Option<&IbrSender>, linked: &BTreeSet<i64>) -> String {
        let new = self.to_new();
        let Some(old) = stored else {
            return if new.name.is_empty() {
                "add a new trusted sender.".to_string()
            } else {
                format!("trust the sender “{}”.", new.name)
            };
        };
        let checks: [(&str, bool); 8] = [
            ("the name", new.name != old.name),
            ("the sender ID", new.sender_id != old.sender_id),
            (
                "the public key",
                new.public_key_pem.as_deref() != old.public_key_pem.as_deref().map(str::trim),
            ),
            ("the JWKS URL", new.jwks_url != old.jwks_url),
            ("the algorithm", new.algorithm != old.algorithm),
            ("whether it is active", new.active != old.active),
            ("unencrypted http", new.insecure_http != old.insecure_http),
            ("the data sources it is trusted for", &self.sources != linked),
        ];
        change_summary(&old.name, &checks)
    }

    /// The sender the form describes, trimmed.
    pub fn to_new(&self) -> NewIbrSender {
        NewIbrSender {
            name: self.name.trim().to_string(),
            sender_id: self.sender_id.trim().to_string(),
            public_key_pem: optional(&self.pem),
            jwks_url: optional(&self.jwks_url),
            algorithm: self.algorithm,
            active: self.active,
            insecure_http: self.insecure_http,
        }
    }

    /// Checks every field; `pem` is what the pasted key was read as.
    pub fn review(&self, others: &Others<'_>, pem: Option<&Result<Algorithm, String>>) -> Review {
        let new = self.to_new();
        let mut r = Review::default();
        let mut missing = Vec::new();
        if new.name.is_empty() {
            missing.push("a name");
        } else if name_taken(&new.name, &others.names) {
            r.name = Some(Problem::new(format!("another sender is already called “{}”", new.name)));
        }
        r.sender_id = sender_id_taken_or_wrong(&new.sender_id, &others.sender_ids);
        if new.sender_id.is_empty() {
            missing.push("the sender ID");
        }
        if let Some(url) = &new.jwks_url {
            r.jwks_url = jwks_url_problem(url, new.insecure_http);
        }
        match (pem, new.public_key_pem.is_some()) {
            (Some(Err(e)), true) => {
                r.pem = Some(Problem::with_detail(
                    "this is not a public key in PEM form (it starts with -----BEGIN PUBLIC KEY-----)",
                    e.clone(),
                ));
            }
            (Some(Ok(alg)), true) if *alg != new.algorithm => {
                r.pem = Some(Problem::new(format!(
                    "this key is an {alg} key, but the algorithm chosen is {}: choose {alg}",
                    new.algorithm
                )));
            }
            _ => {}
        }
        if new.public_key_pem.is_none() && new.jwks_url.is_none() {
            missing.push("the public key (PEM) or the JWKS URL");
        }
        r.missing = missing_sentence(&missing);
        let fields_ok = [&r.name, &r.sender_id, &r.pem, &r.jwks_url].iter().all(|p| p.is_none());
        if fields_ok && r.missing.is_none() {
            match new.validate() {
                Ok(()) => r.sender = Some(new),
                Err(e) => r.other = Some(Problem::new(e)),
            }
        }
        r
    }
}

/// What is wrong with a sender ID, as it is typed (nothing when empty),
/// and that no other sender has it.
fn sender_id_taken_or_wrong(id: &str, others: &[&str]) -> Option<Problem> {
    sender_id_problem(id).or_else(|| {
        (!id.is_empty() && others.contains(&id))
            .then(|| Problem::new(format!("another sender already has the sender ID {id}")))
    })
}

/// The domain's check of a JWKS URL, with an example when it is no URL at all.
fn jwks_url_problem(url: &str, insecure_http: bool) -> Option<Problem> {
    let probe = NewIbrSender {
        name: "probe".into(),
        sender_id: "probe".into(),
        public_key_pem: None,
        jwks_url: Some(url.to_string()),
        algorithm: Algorithm::Ed25519,
        active: true,
        insecure_http,
    };
    probe
        .validate()
        .err()
        .map(|e| url_problem("JWKS URL", "https://ibr.example.org/.well-known/jwks.json", e))
}

/// Reads a pasted key (pure computation: no I/O).
pub fn read_pem(pem: &str) -> Result<Algorithm, String> {
    PublicKey::from_pem(pem.trim())
        .map(|k| k.algorithm())
        .map_err(|e| e.to_string())
}

/// A fetch that failed: a sentence, a hint when the cause is known, and
/// the engine's words as the detail.
pub fn fetch_failure(error: &str, sender_id: &str) -> Problem {
    let hint = if error.contains("no signing key whose kid") {
        format!(" The JWKS has no key of the sender ID {sender_id}: check the sender ID.")
    } else if error.contains("sender ID") {
        " Check the sender ID.".to_string()
    } else {
        " Check the JWKS URL and this computer's network connection.".to_string()
    };
    Problem::with_detail(format!("The public key could not be fetched.{hint}"), error)
}

/// "2025-06-01 14:03 UTC" (UTC: reading the local time zone would read a file).
pub fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// "fetched at … (kid …; N key(s) of this sender)".
pub fn fetched_text(k: &FetchedKey) -> String {
    format!(
        "Fetched at {} (kid {}; {} key(s) of this sender).",
        when(k.fetched_at),
        k.kid,
        k.keys_for_sender
    )
}

/// Whether a stored sender is what was sent to be saved.
pub fn stored_as(new: &NewIbrSender, s: &IbrSender) -> bool {
    new.name == s.name
        && new.sender_id == s.sender_id
        && new.jwks_url == s.jwks_url
        && new.algorithm == s.algorithm
        && new.active == s.active
        && new.insecure_http == s.insecure_http
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = include_str!("../../../tests/fixtures/vectors/sender_ed25519.pem");

    fn form() -> SenderForm {
        SenderForm {
            name: " National IBR ".into(),
            sender_id: " ibr.national.gov ".into(),
            jwks_url: " https://ibr.example.org/.well-known/jwks.json ".into(),
            ..SenderForm::default()
        }
    }

    #[test]
    fn the_form_becomes_a_trimmed_sender() {
        let s = form().review(&Others::default(), None).sender.expect("valid");
        assert_eq!(s.name, "National IBR");
        assert_eq!(s.sender_id, "ibr.national.gov");
        assert_eq!(
            s.jwks_url.as_deref(),
            Some("https://ibr.example.org/.well-known/jwks.json")
        );
        assert_eq!(s.public_key_pem, None);
    }

    #[test]
    fn a_bad_sender_id_is_shown_as_typed() {
        let mut f = form();
        f.sender_id = "ibr_national".into();
        let r = f.review(&Others::default(), None);
        assert!(r.sender.is_none());
        assert!(
            r.sender_id
                .unwrap()
                .message
                .contains("only letters, digits, dots and hyphens")
        );
        let others = Others {
            names: vec!["national ibr"],
            sender_ids: vec!["ibr.national.gov"],
        };
        let r = form().review(&others, None);
        assert!(r.name.is_some() && r.sender_id.is_some());
    }

    #[test]
    fn a_key_or_a_url_is_needed() {
        let mut f = form();
        f.jwks_url.clear();
        assert!(f.review(&Others::default(), None).missing.unwrap().contains("PEM"));
        f.pem = PEM.into();
        let read = read_pem(&f.pem);
        assert_eq!(read, Ok(Algorithm::Ed25519));
        assert!(f.review(&Others::default(), Some(&read)).sender.is_some());
        f.algorithm = Algorithm::Rs256;
        assert!(
            f.review(&Others::default(), Some(&read))
                .pem
                .unwrap()
                .message
                .contains("choose ed25519")
        );
        let bad = read_pem("not a key");
        f.pem = "not a key".into();
        assert!(
            f.review(&Others::default(), Some(&bad))
                .pem
                .unwrap()
                .message
                .contains("PEM")
        );
    }

    #[test]
    fn fetch_failures_point_at_the_cause() {
        let p = fetch_failure(
            "the JWKS at http://x has no signing key whose kid starts with \"a|\"",
            "a",
        );
        assert!(p.message.contains("check the sender ID"));
        assert!(fetch_failure("connection refused", "a").message.contains("network"));
    }

    /// A stored sender as the store gives it back for `new`.
    fn stored(new: &NewIbrSender) -> IbrSender {
        IbrSender {
            id: 3,
            name: new.name.clone(),
            sender_id: new.sender_id.clone(),
            public_key_pem: new.public_key_pem.clone(),
            jwks_url: new.jwks_url.clone(),
            algorithm: new.algorithm,
            key_fetched_at: None,
            active: new.active,
            insecure_http: new.insecure_http,
        }
    }

    #[test]
    fn a_sender_loaded_and_saved_unchanged_is_the_same_sender() {
        let senders = [
            form().to_new(),
            NewIbrSender {
                name: "Pasted".into(),
                sender_id: "ibr.pasted.gov".into(),
                public_key_pem: Some(PEM.trim().into()),
                jwks_url: None,
                algorithm: Algorithm::Ed25519,
                active: false,
                insecure_http: false,
            },
            NewIbrSender {
                jwks_url: Some("http://10.0.0.5/jwks.json".into()),
                insecure_http: true,
                ..form().to_new()
            },
        ];
        for new in senders {
            let s = stored(&new);
            let linked = BTreeSet::from([1, 4]);
            let f = SenderForm::from_sender(&s, linked.clone());
            assert_eq!(f.to_new(), new);
            let pem = new.public_key_pem.as_deref().map(read_pem);
            assert_eq!(f.review(&Others::default(), pem.as_ref()).sender, Some(new.clone()));
            assert!(stored_as(&f.to_new(), &s));
            assert_eq!(
                f.would_change(Some(&s), &linked),
                format!("change nothing in “{}” yet.", s.name)
            );
        }
    }

    #[test]
    fn what_saving_would_change_is_said_in_words() {
        assert_eq!(
            SenderForm::default().would_change(None, &BTreeSet::new()),
            "add a new trusted sender."
        );
        assert_eq!(
            form().would_change(None, &BTreeSet::new()),
            "trust the sender “National IBR”."
        );
        let s = stored(&form().to_new());
        let mut f = SenderForm::from_sender(&s, [1]);
        f.sources.insert(2);
        f.algorithm = Algorithm::Rs256;
        assert_eq!(
            f.would_change(Some(&s), &BTreeSet::from([1])),
            "change the algorithm and the data sources it is trusted for of “National IBR”."
        );
    }

    #[test]
    fn a_sender_id_another_sender_has_is_refused() {
        let others = Others {
            names: vec![],
            sender_ids: vec!["ibr.national.gov"],
        };
        let p = form().review(&others, None).sender_id.expect("taken");
        assert_eq!(p.message, "Another sender already has the sender ID ibr.national.gov.");
        assert!(form().review(&Others::default(), None).sender_id.is_none());
    }

    #[test]
    fn the_jwks_url_is_checked_beside_its_field() {
        let mut f = form();
        f.jwks_url = "jwks.json".into();
        let p = f.review(&Others::default(), None).jwks_url.expect("no URL");
        assert!(p.message.starts_with("The JWKS URL must be a full web address"));
        f.jwks_url = "http://10.0.0.5/jwks.json".into();
        assert!(
            f.review(&Others::default(), None)
                .jwks_url
                .unwrap()
                .message
                .contains("unencrypted")
        );
        f.insecure_http = true;
        assert!(f.review(&Others::default(), None).sender.is_some());
    }

    #[test]
    fn an_empty_form_says_what_is_missing() {
        let r = SenderForm::default().review(&Others::default(), None);
        assert_eq!(
            r.missing.as_deref(),
            Some("Type a name, the sender ID and the public key (PEM) or the JWKS URL.")
        );
        assert!(r.sender.is_none());
    }

    #[test]
    fn a_fetched_key_says_when_and_which() {
        let k = FetchedKey {
            pem: PEM.into(),
            algorithm: Algorithm::Ed25519,
            kid: "ibr|k1|ed25519".into(),
            fetched_at: DateTime::parse_from_rfc3339("2025-06-01T14:03:00Z").unwrap().to_utc(),
            keys_for_sender: 2,
        };
        assert_eq!(
            fetched_text(&k),
            "Fetched at 2025-06-01 14:03 UTC (kid ibr|k1|ed25519; 2 key(s) of this sender)."
        );
        assert!(
            fetch_failure("the JWKS does not name the sender ID x", "x")
                .message
                .ends_with("Check the sender ID.")
        );
    }
}
