//! `ibr-desk source …`, `sender …`, `registrant …` and `office …`: the
//! configuration a duplication check needs, from the command line.

use std::io::Read as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand};

use super::context::Context;
use crate::dci::Jwks;
use crate::domain::{
    Algorithm, IdType, Identifier, NewDataSource, NewIbrSender, NewRegistrant, REGISTRY_TYPE_IBR, Sex, SourceMode,
};
use crate::engine::{Command, Event, trust};

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
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .context("cannot read the secret from standard input")?;
                let s = s.trim_end_matches(['\r', '\n']).to_string();
                if s.is_empty() {
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
                insecure_http: false,
                limits: crate::domain::ReplyLimits::default(),
            };
            new.validate().map_err(anyhow::Error::msg)?;
            if secret.is_some() && new.auth_url.is_none() {
                bail!("a client secret is only used with --auth-url (the OAuth2 token URL)");
            }
            let source = ctx.store.insert_data_source(&new)?;
            if let Some(secret) = secret
                && let Err(e) = ctx.secrets.set(&source.secret_key(&ctx.installation), &secret)
            {
                // Keep nothing half-done: no source without its secret.
                let _ = ctx.store.delete_data_source(source.id);
                bail!("the data source was not added: {e}");
            }
            ctx.store.append_audit(
                "cli",
                "source_added",
                None,
                &serde_json::json!({ "name": source.name, "base_url": source.base_url }),
            )?;
            println!("Added data source {:?} ({}).", source.name, source.base_url);
            if source.allow_unsigned {
                println!("Warning: unsigned replies are accepted from it; use this for test servers only.");
            }
            Ok(super::EXIT_OK)
        }
        SourceCommand::List { json } => {
            let sources = ctx.store.data_sources()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&sources)?);
            } else if sources.is_empty() {
                println!("No data sources. Add one with `ibr-desk source add`.");
            } else {
                for s in sources {
                    println!(
                        "{}{}  {}  prefix {}{}{}{}",
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
                        if s.active { "" } else { "  inactive" },
                    );
                }
            }
            Ok(super::EXIT_OK)
        }
        SourceCommand::Remove { name } => {
            let s = ctx.source_by_name(&name)?;
            let failed = ctx
                .store
                .fail_queued_checks_of_source(s.id, "the data source was removed", "cli")?;
            ctx.store.delete_data_source(s.id)?;
            if s.auth_url.is_some()
                && let Err(e) = ctx.secrets.delete(&s.secret_key(&ctx.installation))
            {
                eprintln!("warning: the client secret could not be removed from the keyring: {e}");
            }
            ctx.store
                .append_audit("cli", "source_removed", None, &serde_json::json!({ "name": s.name }))?;
            println!(
                "Removed data source {:?}{}.",
                s.name,
                if failed > 0 {
                    format!("; {failed} queued check(s) failed")
                } else {
                    String::new()
                }
            );
            Ok(super::EXIT_OK)
        }
        SourceCommand::Test { name } => {
            let s = ctx.source_by_name(&name)?;
            let engine = ctx.engine()?;
            let events = engine.subscribe(None);
            engine.send(Command::TestSource { data_source_id: s.id });
            let deadline = std::time::Instant::now() + Duration::from_secs(120);
            while let Ok(ev) = events.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())) {
                if let Event::SourceTested {
                    data_source_id,
                    outcome,
                } = ev
                    && data_source_id == s.id
                {
                    return Ok(match outcome {
                        Ok(r) => {
                            println!("{}: OK\n  {}\n  {}\n  reply {}", s.name, r.token, r.search, r.signature);
                            super::EXIT_OK
                        }
                        Err(e) => {
                            println!("{}: FAILED\n  {e}", s.name);
                            super::EXIT_FAILED
                        }
                    });
                }
            }
            bail!("the connection test did not finish in time")
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
            if let Some(pem) = &pem {
                let key = crate::dci::PublicKey::from_pem(pem)?;
                if key.algorithm() != a.algorithm {
                    bail!("the key in the PEM file is {}, not {}", key.algorithm(), a.algorithm);
                }
            }
            let new = NewIbrSender {
                name: a.name.trim().to_string(),
                sender_id: a.sender_id.trim().to_string(),
                public_key_pem: pem,
                jwks_url: a.jwks_url.clone(),
                algorithm: a.algorithm,
                active: true,
                insecure_http: false,
            };
            new.validate().map_err(anyhow::Error::msg)?;
            let s = ctx.store.insert_sender(&new)?;
            ctx.store.append_audit(
                "cli",
                "sender_added",
                None,
                &serde_json::json!({ "name": s.name, "sender_id": s.sender_id }),
            )?;
            println!("Trusting sender {:?} ({}).", s.name, s.sender_id);
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
                    out.push(serde_json::json!({ "sender": s, "keys": keys }));
                }
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else if senders.is_empty() {
                println!("No trusted senders. Add one with `ibr-desk sender add`.");
            } else {
                for s in senders {
                    let keys = ctx.store.sender_keys(s.id)?;
                    println!(
                        "{}  {}  {}  {} key(s){}{}",
                        s.name,
                        s.sender_id,
                        s.algorithm,
                        keys.len(),
                        s.key_fetched_at
                            .map(|t| format!(", fetched {}", t.format("%Y-%m-%d %H:%M")))
                            .unwrap_or_default(),
                        if s.active { "" } else { "  inactive" }
                    );
                }
            }
            Ok(super::EXIT_OK)
        }
        SenderCommand::FetchKey { name } => {
            let s = ctx
                .store
                .sender_by_name(&name)?
                .ok_or_else(|| anyhow::anyhow!("there is no sender named {name:?}"))?;
            let rt = super::runtime()?;
            let store = ctx.store.clone();
            let n = rt
                .block_on(trust::fetch_sender_keys(&store, s.id, Duration::from_secs(30)))
                .map_err(anyhow::Error::msg)?;
            println!(
                "Stored {n} key(s) of {} from {}.",
                s.sender_id,
                s.jwks_url.unwrap_or_default()
            );
            Ok(super::EXIT_OK)
        }
    }
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
            crate::domain::validate_sender_id(&sender_id).map_err(anyhow::Error::msg)?;
            ctx.store.set_setting(trust::SETTING_OFFICE_SENDER_ID, &sender_id)?;
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
