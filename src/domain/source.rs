//! Registries the office talks to (data sources) and the registries whose
//! signatures it trusts (IBR senders), as configured by a person.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use strum::{Display, EnumString, IntoStaticStr, VariantArray};

use super::{Algorithm, InstallationId, unknown};

/// The `reg_type` of an Integrated Beneficiary Registry.
pub const REGISTRY_TYPE_IBR: &str = "ns:org:RegistryType:IBR";

/// How the registry answers: in the HTTP reply (sync), or later on a callback (async).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Default,
    IntoStaticStr,
    Display,
    EnumString,
    VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = unknown::<Self>)]
pub enum SourceMode {
    #[default]
    Sync,
    Async,
}

text_enum!(SourceMode, "source mode");

/// A registry the office queries. The client secret is not here: it lives
/// in the OS keyring under [`DataSource::secret_key`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSource {
    pub id: i64,
    /// Unique, chosen by the user ("National IBR").
    pub name: String,
    /// `ns:org:RegistryType:IBR` for an IBR.
    pub registry_type: String,
    /// Base URL without the `/registry/...` part.
    pub base_url: String,
    /// OAuth2 token URL; none when the registry needs no token.
    pub auth_url: Option<String>,
    pub client_id: Option<String>,
    /// `registry` (the standard) or `ibr` (the SPDCI mock).
    pub path_prefix: String,
    pub mode: SourceMode,
    /// Accept unsigned replies. For test servers only; results then say "unsigned".
    pub allow_unsigned: bool,
    pub active: bool,
    /// The built-in demo registry (the sandbox), marked as demo data everywhere.
    pub is_demo: bool,
    /// Allow plain `http://` to a host that is not loopback (a test lab's
    /// explicit choice); every check through such a source says "sent
    /// without encryption".
    pub insecure_http: bool,
    /// What this source's replies may hold.
    pub limits: ReplyLimits,
    pub created_at: DateTime<Utc>,
}

impl DataSource {
    /// The keyring entry that holds this source's client secret in `installation`.
    pub fn secret_key(&self, installation: &InstallationId) -> String {
        secret_key_for(
            installation,
            SecretEntry::ClientSecret {
                data_source_id: self.id,
            },
        )
    }
}

/// What an OS keyring entry of IBR Desk holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretEntry {
    /// A data source's OAuth2 client secret.
    ClientSecret { data_source_id: i64 },
    /// The office's private signing key (PKCS#8 PEM).
    OfficeSigningKey,
}

impl SecretEntry {
    /// The entry's name within an installation: `data-source-7-client-secret`,
    /// `office-signing-key`. Versions before the installation ID named the
    /// entries exactly so, for every data directory of the account alike;
    /// only the move to the new names reads these (`engine::keyring_names`).
    pub fn legacy_name(self) -> String {
        match self {
            SecretEntry::ClientSecret { data_source_id } => format!("data-source-{data_source_id}-client-secret"),
            SecretEntry::OfficeSigningKey => "office-signing-key".to_string(),
        }
    }
}

/// The name of a keyring entry: `<installation id>/<entry>`, for example
/// `0b9e…-4c1d/data-source-7-client-secret`. The one function that names
/// entries (the engine, the command line and the tests call it): two data
/// directories on one OS account never share an entry.
pub fn secret_key_for(installation: &InstallationId, entry: SecretEntry) -> String {
    format!("{installation}/{}", entry.legacy_name())
}

/// What a person fills in to add a data source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDataSource {
    pub name: String,
    pub registry_type: String,
    pub base_url: String,
    pub auth_url: Option<String>,
    pub client_id: Option<String>,
    pub path_prefix: String,
    pub mode: SourceMode,
    pub allow_unsigned: bool,
    pub active: bool,
    pub is_demo: bool,
    pub insecure_http: bool,
    pub limits: ReplyLimits,
}

/// Bounds on one data source's replies: a registry is not trusted to keep
/// its answers small, finished or honest about their length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReplyLimits {
    /// Largest reply body read, in bytes; a larger one fails the check.
    pub max_reply_bytes: u64,
    /// Most records fetched for one check, all its searches and pages
    /// together; a registry holding more makes the check a possible match
    /// that says "more records than shown", never a silent cut.
    pub max_records_per_check: u32,
    /// Longest signature validity (`expires - created`) accepted, in seconds.
    pub max_signature_lifetime_secs: u32,
}

impl ReplyLimits {
    pub const DEFAULT_MAX_REPLY_BYTES: u64 = 32 * 1024 * 1024;
    pub const DEFAULT_MAX_RECORDS_PER_CHECK: u32 = 500;
    pub const DEFAULT_MAX_SIGNATURE_LIFETIME_SECS: u32 = 3600;
    /// The bounds a person may choose within.
    pub const REPLY_BYTES_RANGE: std::ops::RangeInclusive<u64> = 64 * 1024..=1024 * 1024 * 1024;
    pub const RECORDS_PER_CHECK_RANGE: std::ops::RangeInclusive<u32> = 1..=100_000;
    pub const SIGNATURE_LIFETIME_RANGE: std::ops::RangeInclusive<u32> = 60..=7 * 24 * 3600;

    /// Checks a person's choice, with a sentence per problem.
    pub fn validate(&self) -> Result<(), String> {
        if !Self::REPLY_BYTES_RANGE.contains(&self.max_reply_bytes) {
            return Err(format!(
                "the largest reply must be between 64 KiB and 1 GiB, not {} bytes",
                self.max_reply_bytes
            ));
        }
        if !Self::RECORDS_PER_CHECK_RANGE.contains(&self.max_records_per_check) {
            return Err(format!(
                "the records fetched per check must be between 1 and 100,000, not {}",
                self.max_records_per_check
            ));
        }
        if !Self::SIGNATURE_LIFETIME_RANGE.contains(&self.max_signature_lifetime_secs) {
            return Err(format!(
                "the longest signature validity must be between 60 seconds and 7 days, not {} s",
                self.max_signature_lifetime_secs
            ));
        }
        Ok(())
    }
}

impl Default for ReplyLimits {
    fn default() -> Self {
        ReplyLimits {
            max_reply_bytes: Self::DEFAULT_MAX_REPLY_BYTES,
            max_records_per_check: Self::DEFAULT_MAX_RECORDS_PER_CHECK,
            max_signature_lifetime_secs: Self::DEFAULT_MAX_SIGNATURE_LIFETIME_SECS,
        }
    }
}

impl NewDataSource {
    /// An IBR data source with the standard's defaults.
    pub fn ibr(name: &str, base_url: &str) -> NewDataSource {
        NewDataSource {
            name: name.to_string(),
            registry_type: REGISTRY_TYPE_IBR.to_string(),
            base_url: base_url.to_string(),
            auth_url: None,
            client_id: None,
            path_prefix: "registry".to_string(),
            mode: SourceMode::Sync,
            allow_unsigned: false,
            active: true,
            is_demo: false,
            insecure_http: false,
            limits: ReplyLimits::default(),
        }
    }

    /// Checks what a form or a command line gave, with a sentence per problem.
    pub fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("the data source needs a name".into());
        }
        check_http_url("base URL", &self.base_url, self.insecure_http)?;
        if let Some(u) = &self.auth_url {
            check_http_url("OAuth token URL", u, self.insecure_http)?;
        }
        if self.auth_url.is_some() && self.client_id.as_deref().is_none_or(|c| c.trim().is_empty()) {
            return Err("an OAuth token URL needs a client ID".into());
        }
        if self.path_prefix.contains(char::is_whitespace) {
            return Err("the path prefix cannot contain spaces".into());
        }
        self.limits.validate()
    }
}

/// Whether a URL's host is this computer (`localhost`, 127.0.0.0/8, `::1`):
/// plain http:// to it never leaves the machine.
pub fn is_loopback_url(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Whether requests to this URL travel without encryption over a network
/// (plain http:// to a host that is not loopback).
pub fn is_unencrypted_url(u: &str) -> bool {
    url::Url::parse(u.trim()).is_ok_and(|p| p.scheme() == "http" && !is_loopback_url(&p))
}

/// An https:// URL, or http:// to loopback; http:// to another host only
/// when `insecure_http` says a person chose it, because credentials and
/// applicants' data would cross the network in clear.
fn check_http_url(what: &str, u: &str, insecure_http: bool) -> Result<(), String> {
    let parsed = url::Url::parse(u.trim()).map_err(|e| format!("the {what} {u:?} is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "the {what} must start with https:// (or http:// for a test server on this computer)"
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("the {what} {u:?} has no host"));
    }
    if parsed.scheme() == "http" && !is_loopback_url(&parsed) && !insecure_http {
        return Err(format!(
            "the {what} {u:?} uses http:// to another computer: client secrets and applicants' data would travel \
             unencrypted; use https://, or allow unencrypted http explicitly for a test lab"
        ));
    }
    Ok(())
}

/// A registry whose replies are trusted when signed with one of its keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IbrSender {
    pub id: i64,
    pub name: String,
    /// The DCI sender ID (`ibr.national.gov`): letters, digits, dots, hyphens.
    pub sender_id: String,
    /// The key configured by hand, when there is one.
    pub public_key_pem: Option<String>,
    pub jwks_url: Option<String>,
    pub algorithm: Algorithm,
    /// When a key was last fetched from the JWKS URL.
    pub key_fetched_at: Option<DateTime<Utc>>,
    pub active: bool,
    /// Allow a plain http:// JWKS URL to a host that is not loopback.
    pub insecure_http: bool,
}

/// What a person fills in to add a sender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewIbrSender {
    pub name: String,
    pub sender_id: String,
    pub public_key_pem: Option<String>,
    pub jwks_url: Option<String>,
    pub algorithm: Algorithm,
    pub active: bool,
    pub insecure_http: bool,
}

impl NewIbrSender {
    pub fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("the sender needs a name".into());
        }
        validate_sender_id(&self.sender_id)?;
        if self.public_key_pem.as_deref().is_none_or(|p| p.trim().is_empty())
            && self.jwks_url.as_deref().is_none_or(|u| u.trim().is_empty())
        {
            return Err("give the sender's public key (PEM) or its JWKS URL".into());
        }
        if let Some(u) = &self.jwks_url
            && !u.trim().is_empty()
        {
            check_http_url("JWKS URL", u, self.insecure_http)?;
        }
        Ok(())
    }
}

/// A DCI sender ID: letters, digits, dots and hyphens only, as the seed's
/// sender configuration asks (`ibr.national.gov`).
pub fn validate_sender_id(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("the sender ID is empty".into());
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '.' || *c == '-'))
    {
        return Err(format!(
            "the sender ID {s:?} contains {c:?}: only letters, digits, dots and hyphens are allowed"
        ));
    }
    Ok(())
}

/// Where a trusted key came from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr, Display, EnumString, VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = unknown::<Self>)]
pub enum KeyOrigin {
    /// Pasted or read from a PEM file.
    Pem,
    /// Fetched from the sender's JWKS URL.
    Jwks,
}

text_enum!(KeyOrigin, "key origin");

/// One public key of a sender. A sender may have several (key rotation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderKey {
    pub id: i64,
    pub sender_row_id: i64,
    /// The JWK `kid` (`sender|key|alg`), when the key came with one.
    pub kid: Option<String>,
    pub algorithm: Algorithm,
    pub public_key_pem: String,
    pub origin: KeyOrigin,
    pub fetched_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_words_are_pinned() {
        use crate::domain::text_enum::tests::pins_words;
        pins_words::<SourceMode>(&["sync", "async"]);
        pins_words::<KeyOrigin>(&["pem", "jwks"]);
    }

    #[test]
    fn sender_ids_allow_letters_digits_dots_hyphens() {
        assert!(validate_sender_id("ibr.national-gov.example1").is_ok());
        assert!(validate_sender_id("ibr_national").is_err());
        assert!(validate_sender_id("ibr national").is_err());
        assert!(validate_sender_id("").is_err());
        assert!(validate_sender_id("a|b").is_err());
    }

    #[test]
    fn data_source_validation_speaks_plainly() {
        let mut s = NewDataSource::ibr("National IBR", "https://ibr.example.org");
        assert!(s.validate().is_ok());
        s.base_url = "ibr.example.org".into();
        assert!(s.validate().unwrap_err().contains("not a URL"));
        s.base_url = "ftp://ibr.example.org".into();
        assert!(s.validate().unwrap_err().contains("https://"));
        s.base_url = "https://ibr.example.org".into();
        s.auth_url = Some("https://ibr.example.org/oauth2/client/token".into());
        assert!(s.validate().unwrap_err().contains("client ID"));
    }

    #[test]
    fn plain_http_is_refused_off_this_computer() {
        let mut s = NewDataSource::ibr("Lab", "http://ibr.example.org");
        let e = s.validate().unwrap_err();
        assert!(e.contains("unencrypted"), "{e}");
        for local in [
            "http://127.0.0.1:8780",
            "http://localhost:8780",
            "http://[::1]:8780",
            "http://127.3.4.5",
        ] {
            s.base_url = local.into();
            assert!(s.validate().is_ok(), "{local}");
        }
        s.base_url = "https://ibr.example.org".into();
        s.auth_url = Some("http://auth.example.org/token".into());
        s.client_id = Some("c".into());
        assert!(s.validate().unwrap_err().contains("OAuth token URL"));
        s.insecure_http = true;
        assert!(s.validate().is_ok());
        assert!(is_unencrypted_url("http://auth.example.org/token"));
        assert!(!is_unencrypted_url("http://localhost/token"));
        assert!(!is_unencrypted_url("https://auth.example.org/token"));
        // A host that merely starts with "localhost" or "127." is not loopback.
        assert!(is_unencrypted_url("http://localhost.example.org/"));
        assert!(is_unencrypted_url("http://127.0.0.1.example.org/"));
    }

    #[test]
    fn reply_limits_stay_within_reason() {
        assert!(ReplyLimits::default().validate().is_ok());
        let mut s = NewDataSource::ibr("National IBR", "https://ibr.example.org");
        s.limits.max_records_per_check = 0;
        assert!(s.validate().unwrap_err().contains("records fetched per check"));
        s.limits = ReplyLimits {
            max_reply_bytes: 10,
            ..ReplyLimits::default()
        };
        assert!(s.validate().unwrap_err().contains("largest reply"));
    }

    #[test]
    fn keyring_entries_are_named_under_the_installation() {
        let a = InstallationId::generate();
        let b = InstallationId::generate();
        let secret = SecretEntry::ClientSecret { data_source_id: 7 };
        assert_eq!(secret_key_for(&a, secret), format!("{a}/data-source-7-client-secret"));
        assert_eq!(
            secret_key_for(&a, SecretEntry::OfficeSigningKey),
            format!("{a}/office-signing-key")
        );
        assert_ne!(
            secret_key_for(&a, secret),
            secret_key_for(&b, secret),
            "two installations, two entries"
        );
        assert_eq!(secret.legacy_name(), "data-source-7-client-secret");
        let source = DataSource {
            id: 7,
            name: "National IBR".into(),
            registry_type: REGISTRY_TYPE_IBR.into(),
            base_url: "https://ibr.example.org".into(),
            auth_url: None,
            client_id: None,
            path_prefix: "registry".into(),
            mode: SourceMode::Sync,
            allow_unsigned: false,
            active: true,
            is_demo: false,
            insecure_http: false,
            limits: ReplyLimits::default(),
            created_at: chrono::Utc::now(),
        };
        assert_eq!(source.secret_key(&a), secret_key_for(&a, secret));
    }
}
