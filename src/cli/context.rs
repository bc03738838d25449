//! What the data commands share: the data directory, the store, the secret
//! store and a running engine.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;

use crate::domain::InstallationId;
use crate::engine::{Engine, EngineConfig};
use crate::secrets::{KeyringStore, MemorySecretStore, SecretStore, SecretString};
use crate::store::{self, Store};
use secrecy::zeroize::Zeroizing;

/// Chooses the secret store: the OS keyring, unless `IBR_DESK_SECRET_STORE=memory`
/// (tests and benchmarks: secrets then live only as long as the process).
pub fn secret_store() -> anyhow::Result<Arc<dyn SecretStore>> {
    Ok(match std::env::var("IBR_DESK_SECRET_STORE").as_deref() {
        Ok("memory") => Arc::new(MemorySecretStore::default()),
        _ => Arc::new(KeyringStore::new()?),
    })
}

/// A secret piped to standard input (`--client-secret-stdin`), without its
/// line ending. Read into a buffer that is zeroed when dropped and handed on
/// as a [`SecretString`], so no plain copy of it is left in memory.
pub fn secret_from_stdin(what: &'static str) -> anyhow::Result<SecretString> {
    use std::io::Read as _;
    let mut buf = Zeroizing::new(String::new());
    std::io::stdin().read_to_string(&mut buf).context(what)?;
    Ok(SecretString::from(buf.trim_end_matches(['\r', '\n'])))
}

/// The store and secrets of one command.
pub struct Context {
    pub store: Arc<Store>,
    pub secrets: Arc<dyn SecretStore>,
    /// The data directory's installation: keyring entries are named under it
    /// (`DataSource::secret_key`, `domain::secret_key_for`).
    pub installation: InstallationId,
}

impl Context {
    pub fn open(data_dir: Option<&Path>) -> anyhow::Result<Context> {
        let dir = store::paths::data_dir(data_dir).context("cannot find the data directory")?;
        let db = dir.join(store::paths::DATABASE_FILE);
        let store = Store::open(&db).with_context(|| format!("cannot open {}", db.display()))?;
        let installation = store
            .installation_id()
            .with_context(|| format!("cannot read the installation ID of {}", db.display()))?;
        Ok(Context {
            store: Arc::new(store),
            secrets: secret_store()?,
            installation,
        })
    }

    /// The officer recorded in the audit log: the window's setting, else
    /// `IBR_DESK_OFFICER`, else the login name.
    pub fn actor(&self) -> String {
        self.store
            .setting(crate::engine::config::SETTING_OFFICER_NAME)
            .ok()
            .flatten()
            .filter(|n| !n.trim().is_empty())
            .or_else(|| std::env::var("IBR_DESK_OFFICER").ok())
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "officer".into())
    }

    /// Starts the engine on this context's store.
    pub fn engine(&self) -> anyhow::Result<Engine> {
        let actor = std::env::var("IBR_DESK_OFFICER")
            .ok()
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "officer".into());
        Engine::start(
            self.store.clone(),
            self.secrets.clone(),
            EngineConfig {
                actor,
                ..EngineConfig::default()
            },
        )
        .map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// A data source by name, or an error that lists the names there are.
    pub fn source_by_name(&self, name: &str) -> anyhow::Result<crate::domain::DataSource> {
        if let Some(s) = self.store.data_source_by_name(name)? {
            return Ok(s);
        }
        let names: Vec<String> = self.store.data_sources()?.into_iter().map(|s| s.name).collect();
        anyhow::bail!(
            "there is no data source named {name:?}{}",
            if names.is_empty() {
                "; add one with `ibr-desk source add`".to_string()
            } else {
                format!(" (there are: {})", names.join(", "))
            }
        )
    }
}
