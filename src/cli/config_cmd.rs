//! `ibr-desk source …`, `sender …`, `registrant …` and `office …`: the
//! configuration a duplication check needs, from the command line.
//!
//! Every change (a data source, a sender, a link between them, a key, the
//! office's sender ID) goes through the same store method as the window's,
//! which writes it with its audit line in one transaction, naming the
//! operating-system user who ran the command (`olga (command line)`): the
//! command line has no supervisor role, so the log says who it was.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand};

use super::context::Context;
use crate::dci::Jwks;
use crate::domain::{
    Algorithm, IdType, Identifier, NewDataSource, NewIbrSender, NewRegistrant, REGISTRY_TYPE_IBR, ReplyLimits, Sex,
    SourceMode,
};
use crate::engine::{Command, trust};
use crate::secrets::ExposeSecret as _;

#[derive(Debug, Subcommand)]
pub enum SourceCommand {
    /// Add a registry to query.
    Add(SourceAddArgs),
    /// List the data sources.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a data source (and its secret from the keyring).
    Remove { name: String },
    /// Get a token and make a harmless search; say exactly what failed.
    Test { name: String },
}

#[derive(Debug, Args)]
pub struct SourceAddArgs {
    #[arg(long)]
    pub name: String,
    /// The registry's base URL (without /registry/...).
    #[arg(long)]
    pub base_url: String,
    /// OAuth2 token URL.
    #[arg(long)]
    pub auth_url: Option<String>,
    #[arg(long)]
    pub client_id: Option<String>,
    /// Read the client secret from standard input; it goes to the OS keyring only.
    #[arg(long)]
    pub client_secret_stdin: bool,
    #[arg(long, default_value = "registry")]
    pub path_prefix: String,
    /// Accept unsigned replies (test servers only).
    #[arg(long)]
    pub allow_unsigned: bool,
    /// Allow plain http:// to another computer (a test lab only: the client
    /// secret and applicants' data travel unencrypted). http:// to this
    /// computer needs no flag.
    #[arg(long)]
    pub insecure_http: bool,
    /// Largest reply accepted, in MiB (default 32).
    #[arg(long, value_name = "N")]
    pub max_reply_mib: Option<u64>,
    /// Most records fetched for one check, all its searches together (default 500).
    #[arg(long, value_name = "N")]
    pub max_records_per_check: Option<u32>,
    /// Longest signature validity accepted, in minutes (default 60).
    #[arg(long, value_name = "N")]
    pub max_signature_lifetime_mins: Option<u32>,
}

impl SourceAddArgs {
    /// The reply limits asked for, the defaults for the rest.
    fn limits(&self) -> anyhow::Result<ReplyLimits> {
        let d = ReplyLimits::default();
        let max_reply_bytes = match self.max_reply_mib {
            Some(mib) => mib
                .checked_mul(1024 * 1024)
                .ok_or_else(|| anyhow::anyhow!("--max-reply-mib {mib} is far too large"))?,
            None => d.max_reply_bytes,
        };
        let max_signature_lifetime_secs = match self.max_signature_lifetime_mins {
            Some(m) => m
                .checked_mul(60)
                .ok_or_else(|| anyhow::anyhow!("--max-signature-lifetime-mins {m} is far too large"))?,
            None => d.max_signature_lifetime_secs,
        };
        Ok(ReplyLimits {
            max_reply_bytes,
            max_records_per_check: self.max_records_per_check.unwrap_or(d.max_records_per_check),
            max_signature_lifetime_secs,
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum SenderCommand {
    /// Trust a registry's signatures.
    Add(SenderAddArgs),
    /// List the trusted senders and their keys.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Fetch the sender's public keys from its JWKS URL.
    FetchKey { name: String },
    /// Trust a sender's signatures for more data sources.
    Link(SenderLinkArgs),
    /// Stop trusting a sender's signatures for some data sources.
    Unlink(SenderLinkArgs),
    /// Stop trusting a sender (its keys are removed).
    Remove { name: String },
}

#[derive(Debug, Args)]
pub struct SenderLinkArgs {
    /// The sender's name.
    pub name: String,
    /// A data source (by name); repeat for several.
    #[arg(long = "source", value_name = "NAME", required = true)]
    pub sources: Vec<String>,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("key").required(true).args(["jwks_url", "public_key_file"]))]
pub struct SenderAddArgs {
    #[arg(long)]
    pub name: String,
    /// The DCI sender ID (letters, digits, dots and hyphens).
    #[arg(long)]
    pub sender_id: String,
    #[arg(long)]
    pub jwks_url: Option<String>,
    /// A PEM public key file (SPKI).
    #[arg(long, value_name = "PEM")]
    pub public_key_file: Option<PathBuf>,
    #[arg(long, default_value = "ed25519")]
    pub algorithm: Algorithm,
    /// A data source (by name) whose replies this sender signs; repeat for
    /// several. Its signatures are trusted for these sources only.
    #[arg(long = "source", value_name = "NAME")]
    pub sources: Vec<String>,
    /// Allow a plain http:// JWKS URL to another computer (a test lab only).
    #[arg(long)]
    pub insecure_http: bool,
}

#[derive(Debug, Subcommand)]
pub enum RegistrantCommand {
    /// Register an applicant.
    Add(ApplicantArgs),
    /// List registrants.
    List {
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, default_value_t = 0)]
        offset: u64,
        #[arg(long)]
        json: bool,
    },
}

/// An applicant as the command line describes one.
#[derive(Debug, Clone, Args)]
pub struct ApplicantArgs {
    #[arg(long)]
    pub id_type: IdType,
    #[arg(long)]
    pub id_value: String,
    #[arg(long)]
    pub given_name: Option<String>,
    #[arg(long)]
    pub surname: Option<String>,
    /// YYYY-MM-DD.
    #[arg(long)]
    pub birth_date: Option<NaiveDate>,
    /// female, male, or as recorded.
    #[arg(long)]
    pub sex: Option<String>,
}

impl ApplicantArgs {
    pub fn to_new(&self) -> NewRegistrant {
        NewRegistrant {
            given_name: self.given_name.clone(),
            surname: self.surname.clone(),
            birth_date: self.birth_date,
            sex: self.sex.as_deref().and_then(Sex::from_wire),
            identifiers: vec![Identifier::new(self.id_type.clone(), self.id_value.trim())],
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum OfficeCommand {
    /// Show the office's sender ID and signing key.
    Show,
    /// Set the office's DCI sender ID (as registered with the registries).
    SetSenderId { sender_id: String },
    /// Generate the office's signing key (kept in the OS keyring).
    Keygen,
    /// Print the office's public JWKS, for registry operators.
    Jwks,
}

pub fn source(ctx: &Context, cmd: SourceCommand) -> anyhow::Result<u8> {
    match cmd {
        SourceCommand::Add(a) => {
            let secret = if a.client_secret_stdin {
                let s = super::context::secret_from_stdin("cannot read the secret from standard input")?;
                if s.expose_secret().is_empty() {
                    bail!("the client secret read from standard input is empty");
                }
                Some(s)
            } else {
                None
            };
            let new = NewDataSource {
                name: a.name.trim().to_string(),
                registry_type: REGISTRY_TYPE_IBR.to_string(),
                base_url: a.base_url.trim().trim_end_matches('/').to_string(),
                auth_url: a.auth_url.clone(),
                client_id: a.client_id.clone(),
                path_prefix: a.path_prefix.clone(),
                mode: SourceMode::Sync,
                allow_unsigned: a.allow_unsigned,
                active: true,
                is_demo: false,
                insecure_http: a.insecure_http,
                limits: a.limits()?,
            };
            new.validate().map_err(|e| anyhow::Error::msg(with_flag_hint(e)))?;
            if secret.is_some() && new.auth_url.is_none() {
                bail!("a client secret is only used with --auth-url (the OAuth2 token URL)");
            }
            // The secret is stored inside the source's transaction: a
            // keyring that refuses leaves neither the source nor its audit line.
            let source = ctx
                .store
                .add_data_source(&new, &os_user_actor(), |source| {
                    let key = source.secret_key(&ctx.installation);
                    match &secret {
                        Some(secret) => ctx
                            .secrets
                            .set(&key, secret.expose_secret())
                            .map_err(|e| format!("the client secret could not be saved in the keyring: {e}")),
                        // A new source starts with no secret but its own: clear
                        // what a removed source with the same ID may have left.
                        None => {
                            if source.auth_url.is_some() {
                                let _ = ctx.secrets.delete(&key);
                            }
                            Ok(())
                        }
                    }
                })
                .context("the data source was not added")?;
            println!("Added data source {:?} ({}).", source.name, source.base_url);
            if source.allow_unsigned {
                println!("Warning: unsigned replies are accepted from it; use this for test servers only.");
            }
            if source.insecure_http && crate::domain::is_unencrypted_url(&source.base_url) {
                println!(
                    "Warning: requests go over unencrypted http://; the client secret and applicants' data travel in clear."
                );
            }
            println!(
                "No sender is trusted for it yet: link the registry's sender with `ibr-desk sender add … --source {:?}` \
                 or `ibr-desk sender link NAME --source {:?}`.",
                source.name, source.name
            );
            Ok(super::EXIT_OK)
        }
        SourceCommand::List { json } => {
            let sources = ctx.store.data_sources()?;
            let senders = ctx.store.senders()?;
            let links = ctx.store.sender_links()?;
            let trusted = |source_id: i64| -> Vec<String> {
                senders
                    .iter()
                    .filter(|s| links.contains(&(s.id, source_id)))
                    .map(|s| s.sender_id.clone())
                    .collect()
            };
            if json {
                let mut out = Vec::new();
                for s in &sources {
                    let mut v = serde_json::to_value(s)?;
                    v["trusted_senders"] = serde_json::json!(trusted(s.id));
                    out.push(v);
                }
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else if sources.is_empty() {
                println!("No data sources. Add one with `ibr-desk source add`.");
            } else {
                for s in sources {
                    let senders = trusted(s.id);
                    println!(
                        "{}{}  {}  prefix {}{}{}{}{}  trusts {}",
                        s.name,
                        if s.is_demo { " (demo data)" } else { "" },
                        s.base_url,
                        s.path_prefix,
                        s.client_id
                            .as_deref()
                            .map(|c| format!("  client {c}"))
                            .unwrap_or_default(),
                        if s.allow_unsigned {
                            "  allows unsigned replies"
                        } else {
                            ""
                        },
                        if s.insecure_http && crate::domain::is_unencrypted_url(&s.base_url) {
                            "  unencrypted"
                        } else {
                            ""
                        },
                        if s.active { "" } else { "  inactive" },
                        if senders.is_empty() {
                            "no sender".to_string()
                        } else {
                            senders.join(", ")
                        },
                    );
                }
            }
            Ok(super::EXIT_OK)
        }
        SourceCommand::Remove { name } => {
            let s = ctx.source_by_name(&name)?;
            let removal = ctx.store.delete_data_source(s.id, &os_user_actor(), |source| {
                ctx.secrets
                    .delete(&source.secret_key(&ctx.installation))
                    .map_err(|e| e.to_string())
            })?;
            if removal.was_demo {
                crate::engine::demo::forget_key(&ctx.store);
            }
            if let Some(e) = &removal.secret_left {
                eprintln!("warning: the client secret could not be removed from the keyring: {e}");
            }
            println!(
                "Removed data source {:?}{}{}.",
                s.name,
                if removal.removed_senders.is_empty() {
                    String::new()
                } else {
                    format!(" and its sender {}", removal.removed_senders.join(", "))
                },
                if removal.failed_checks > 0 {
                    format!("; {} queued check(s) failed", removal.failed_checks)
                } else {
                    String::new()
                }
            );
            Ok(super::EXIT_OK)
        }
        SourceCommand::Test { name } => {
            let s = ctx.source_by_name(&name)?;
            let engine = ctx.engine()?;
            let outcome = engine
                .request(|reply| Command::TestSource {
                    data_source_id: s.id,
                    reply,
                })
                .wait(Duration::from_secs(120));
            Ok(match outcome {
                Ok(r) => {
                    println!("{}: OK\n  {}\n  {}\n  reply {}", s.name, r.token, r.search, r.signature);
                    super::EXIT_OK
                }
                Err(e) => {
                    println!("{}: FAILED\n  {}", s.name, e.detail);
                    super::EXIT_FAILED
                }
            })
        }
    }
}

pub fn sender(ctx: &Context, cmd: SenderCommand) -> anyhow::Result<u8> {
    match cmd {
        SenderCommand::Add(a) => {
            let pem = match &a.public_key_file {
                Some(p) => Some(std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?),
                None => None,
            };
            let new = NewIbrSender {
                name: a.name.trim().to_string(),
                sender_id: a.sender_id.trim().to_string(),
                public_key_pem: pem,
                jwks_url: a.jwks_url.clone(),
                algorithm: a.algorithm,
                active: true,
                insecure_http: a.insecure_http,
            };
            new.validate().map_err(|e| anyhow::Error::msg(with_flag_hint(e)))?;
            if let Some(p) = &a.public_key_file {
                trust::check_pasted_key(&new).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
            }
            if a.sources.is_empty() {
                bail!(
                    "name the data sources this sender signs for with --source NAME (repeat for several): a sender \
                     is trusted only for the data sources it is linked to"
                );
            }
            let sources = sources_by_name(ctx, &a.sources)?;
            let ids: Vec<i64> = sources.iter().map(|d| d.id).collect();
            let s = ctx.store.insert_sender(&new, &ids, &os_user_actor())?;
            let names: Vec<&str> = sources.iter().map(|d| d.name.as_str()).collect();
            println!(
                "Trusting sender {:?} ({}) for {}.",
                s.name,
                s.sender_id,
                names.join(", ")
            );
            if s.jwks_url.is_some() && s.public_key_pem.is_none() {
                println!("Fetch its key with `ibr-desk sender fetch-key {:?}`.", s.name);
            }
            Ok(super::EXIT_OK)
        }
        SenderCommand::List { json } => {
            let senders = ctx.store.senders()?;
            if json {
                let mut out = Vec::new();
                for s in senders {
                    let keys = ctx.store.sender_keys(s.id)?;
                    let sources = source_names(ctx, s.id)?;
                    out.push(serde_json::json!({ "sender": s, "keys": keys, "data_sources": sources }));
                }
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else if senders.is_empty() {
                println!("No trusted senders. Add one with `ibr-desk sender add`.");
            } else {
                for s in senders {
                    let keys = ctx.store.sender_keys(s.id)?;
                    let sources = source_names(ctx, s.id)?;
                    println!(
                        "{}  {}  {}  {} key(s){}{}  trusted for {}",
                        s.name,
                        s.sender_id,
                        s.algorithm,
                        keys.len(),
                        s.key_fetched_at
                            .map(|t| format!(", fetched {}", t.format("%Y-%m-%d %H:%M")))
                            .unwrap_or_default(),
                        if s.active { "" } else { "  inactive" },
                        if sources.is_empty() {
                            "no data source (its signatures are trusted nowhere)".to_string()
                        } else {
                            sources.join(", ")
                        }
                    );
                }
            }
            Ok(super::EXIT_OK)
        }
        SenderCommand::FetchKey { name } => {
            let s = sender_by_name(ctx, &name)?;
            let rt = super::runtime()?;
            let store = ctx.store.clone();
            let actor = os_user_actor();
            let n = rt
                .block_on(trust::fetch_sender_keys(
                    store.clone(),
                    s.id,
                    Duration::from_secs(30),
                    actor.clone(),
                ))
                .map_err(anyhow::Error::msg)?;
            println!(
                "Stored {n} key(s) of {} from {}.",
                s.sender_id,
                s.jwks_url.unwrap_or_default()
            );
            Ok(super::EXIT_OK)
        }
        SenderCommand::Link(a) => link(ctx, &a, true),
        SenderCommand::Unlink(a) => link(ctx, &a, false),
        SenderCommand::Remove { name } => {
            let s = sender_by_name(ctx, &name)?;
            ctx.store.delete_sender(s.id, &os_user_actor())?;
            println!(
                "Removed sender {:?} ({}): its replies are no longer trusted.",
                s.name, s.sender_id
            );
            Ok(super::EXIT_OK)
        }
    }
}

/// `sender link` / `sender unlink`.
fn link(ctx: &Context, a: &SenderLinkArgs, linked: bool) -> anyhow::Result<u8> {
    let s = sender_by_name(ctx, &a.name)?;
    let sources = sources_by_name(ctx, &a.sources)?;
    let actor = os_user_actor();
    for d in &sources {
        let changed = ctx.store.set_sender_link(s.id, d.id, linked, &actor)?;
        println!(
            "{} {:?} for {:?}{}.",
            if linked { "Trusting" } else { "No longer trusting" },
            s.name,
            d.name,
            if changed { "" } else { " (no change)" }
        );
    }
    if source_names(ctx, s.id)?.is_empty() {
        println!(
            "Warning: {:?} is now linked to no data source: its signatures are trusted nowhere.",
            s.name
        );
    }
    Ok(super::EXIT_OK)
}

/// A sender by name, or an error that lists the names there are.
fn sender_by_name(ctx: &Context, name: &str) -> anyhow::Result<crate::domain::IbrSender> {
    if let Some(s) = ctx.store.sender_by_name(name)? {
        return Ok(s);
    }
    let names: Vec<String> = ctx.store.senders()?.into_iter().map(|s| s.name).collect();
    bail!(
        "there is no sender named {name:?}{}",
        if names.is_empty() {
            String::new()
        } else {
            format!(" (there are: {})", names.join(", "))
        }
    )
}

/// The data sources named, each of which must exist.
fn sources_by_name(ctx: &Context, names: &[String]) -> anyhow::Result<Vec<crate::domain::DataSource>> {
    names.iter().map(|n| ctx.source_by_name(n)).collect()
}

/// The names of the data sources a sender is trusted for.
fn source_names(ctx: &Context, sender_row_id: i64) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for id in ctx.store.sender_sources(sender_row_id)? {
        if let Some(d) = ctx.store.data_source(id)? {
            names.push(d.name);
        }
    }
    Ok(names)
}

/// The domain's words about unencrypted http, with the flag that allows it.
fn with_flag_hint(error: String) -> String {
    if error.contains("allow unencrypted http explicitly") {
        format!("{error} (--insecure-http)")
    } else {
        error
    }
}

/// Who runs this command, for the audit log: the operating-system user
/// (`$USER`, `$USERNAME` on Windows, or the numeric uid when neither is
/// set), marked as the command line — `olga (command line)`.
pub fn os_user_actor() -> String {
    actor_from(
        std::env::var("USER").ok().as_deref(),
        std::env::var("USERNAME").ok().as_deref(),
        current_uid(),
    )
}

fn actor_from(user: Option<&str>, username: Option<&str>, uid: Option<u32>) -> String {
    let named = [user, username]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|u| !u.is_empty())
        .map(str::to_string);
    let who = named.unwrap_or_else(|| match uid {
        Some(uid) => format!("uid {uid}"),
        None => "unknown user".to_string(),
    });
    format!("{who} (command line)")
}

/// The real user ID of this process (Linux: the owner of `/proc/self`).
#[cfg(target_os = "linux")]
fn current_uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

#[cfg(not(target_os = "linux"))]
fn current_uid() -> Option<u32> {
    None
}

pub fn registrant(ctx: &Context, cmd: RegistrantCommand) -> anyhow::Result<u8> {
    match cmd {
        RegistrantCommand::Add(a) => {
            let r = ctx.store.insert_registrant(&a.to_new())?;
            println!("Registered {} (id {}).", r.display_name(), r.id);
            Ok(super::EXIT_OK)
        }
        RegistrantCommand::List { limit, offset, json } => {
            let list = ctx.store.registrants(offset, limit)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for r in list {
                    let ids: Vec<String> = r.identifiers.iter().map(ToString::to_string).collect();
                    println!(
                        "{:>6}  {}  {}  {}",
                        r.id,
                        r.display_name(),
                        r.birth_date.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
                        ids.join(", ")
                    );
                }
            }
            Ok(super::EXIT_OK)
        }
    }
}

pub fn office(ctx: &Context, cmd: OfficeCommand) -> anyhow::Result<u8> {
    match cmd {
        OfficeCommand::Show => {
            println!("sender ID  {}", trust::office_sender_id(&ctx.store));
            match ctx.store.setting(trust::SETTING_OFFICE_KEY_ID)? {
                Some(k) => println!("key        {k} (private key in the OS keyring)"),
                None => println!("key        none: requests go out unsigned (`ibr-desk office keygen`)"),
            }
        }
        OfficeCommand::SetSenderId { sender_id } => {
            let settings = crate::store::OfficeSettings {
                officer_name: None,
                office_sender_id: sender_id.trim().to_string(),
            };
            ctx.store.save_settings(&settings, &os_user_actor())?;
            println!("The office's sender ID is now {sender_id}.");
        }
        OfficeCommand::Keygen => {
            let signer = trust::generate_office_key(&ctx.store, ctx.secrets.as_ref()).map_err(anyhow::Error::msg)?;
            println!("Generated {}; the private key is in the OS keyring.", signer.kid());
            println!("Give the registry operator the public JWKS: `ibr-desk office jwks`.");
        }
        OfficeCommand::Jwks => {
            let signer = trust::office_signer(&ctx.store, ctx.secrets.as_ref())
                .map_err(anyhow::Error::msg)?
                .ok_or_else(|| anyhow::anyhow!("the office has no signing key yet: `ibr-desk office keygen`"))?;
            let jwks = Jwks {
                keys: vec![signer.public_key().to_jwk(&signer.kid())],
            };
            println!("{}", serde_json::to_string_pretty(&jwks)?);
        }
    }
    Ok(super::EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_actor_is_the_os_user_or_the_uid() {
        assert_eq!(actor_from(Some("olga"), None, Some(1000)), "olga (command line)");
        assert_eq!(actor_from(None, Some("Awa"), Some(1000)), "Awa (command line)");
        assert_eq!(actor_from(Some(" "), None, Some(1000)), "uid 1000 (command line)");
        assert_eq!(actor_from(None, None, None), "unknown user (command line)");
    }

    #[test]
    fn limits_are_read_in_their_units() {
        let a = SourceAddArgs {
            name: "X".into(),
            base_url: "https://x.example.org".into(),
            auth_url: None,
            client_id: None,
            client_secret_stdin: false,
            path_prefix: "registry".into(),
            allow_unsigned: false,
            insecure_http: false,
            max_reply_mib: Some(2),
            max_records_per_check: Some(40),
            max_signature_lifetime_mins: Some(10),
        };
        let l = a.limits().expect("limits");
        assert_eq!(
            (
                l.max_reply_bytes,
                l.max_records_per_check,
                l.max_signature_lifetime_secs
            ),
            (2 << 20, 40, 600)
        );
        let huge = SourceAddArgs {
            max_reply_mib: Some(u64::MAX),
            ..a
        };
        assert!(huge.limits().is_err());
    }
}
