//! A real DCI IBR server on loopback with a synthetic population: the demo
//! registry for a new user, and the peer the tests talk to over HTTP.
//!
//! It serves the token endpoint, the JWKS, `sync/search`, `sync/enrolled`
//! and `sync/txn/status` under both `registry/` (the standard) and `ibr/`
//! (the SPDCI mock's prefix), signs every reply with its Ed25519 key, and
//! verifies requests signed by client keys registered with it. Fault
//! switches (`/sandbox/faults`) make it slow, failing, malformed, wrongly
//! signed or rejecting, on demand.
//!
//! It shares the wire types of `dci` but not its reading code: records are
//! written by hand (`records`), and conformance is checked against the
//! official schemas in the tests, so a client bug cannot hide behind a
//! matching server bug.

pub mod auth;
pub mod control;
pub mod faults;
pub mod handlers;
mod names;
pub mod population;
pub mod query;
pub mod records;
pub mod signing_key;
pub mod state;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post, put};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::dci::keys::{Jwks, PrivateKey};
use crate::dci::signature::{Signer, TrustedKeys};
use auth::Credentials;
use faults::{FaultConfig, Faults};
use population::{Population, PopulationConfig};
use state::{SandboxState, StatsSnapshot};

/// The sandbox's DCI sender ID.
pub const SANDBOX_SENDER_ID: &str = "sandbox.ibr-desk.local";
/// The sandbox's key ID (its `kid` is `sender|key|ed25519`).
pub const SANDBOX_KEY_ID: &str = "sandbox-key-1";
/// Demo credentials. They protect nothing: the sandbox holds synthetic people.
pub const DEMO_CLIENT_ID: &str = "ibr-desk-demo";
pub const DEMO_CLIENT_SECRET: &str = "demo-secret-not-for-production";
/// Default token lifetime.
pub const DEFAULT_TOKEN_LIFETIME_SECS: u64 = 3600;

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where to listen; port 0 picks a free port. Always loopback in practice.
    pub bind: SocketAddr,
    pub population: PopulationConfig,
    pub client_id: String,
    pub client_secret: String,
    pub token_lifetime: Duration,
    /// Refuse DCI requests without a valid bearer token.
    pub require_token: bool,
    /// Refuse requests that are not signed by a registered client key.
    pub require_signed_requests: bool,
    /// Client keys whose signatures are verified.
    pub client_keys: Jwks,
    pub faults: FaultConfig,
    /// The key replies are signed with; `None` makes a fresh random one, so
    /// a sandbox keeps its identity across restarts only when given the
    /// same key (see [`signing_key::load_or_create`]).
    pub signing_key: Option<PrivateKey>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            population: PopulationConfig::default(),
            client_id: DEMO_CLIENT_ID.to_string(),
            client_secret: DEMO_CLIENT_SECRET.to_string(),
            token_lifetime: Duration::from_secs(DEFAULT_TOKEN_LIFETIME_SECS),
            require_token: true,
            require_signed_requests: false,
            client_keys: Jwks::default(),
            faults: FaultConfig::default(),
            signing_key: None,
        }
    }
}

/// Why a sandbox did not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("invalid sandbox setting: {0}")]
    Config(String),
}

/// A running sandbox. Dropping it does not stop the server; call [`SandboxHandle::shutdown`].
pub struct SandboxHandle {
    addr: SocketAddr,
    state: Arc<SandboxState>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl SandboxHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the data source's base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn token_url(&self) -> String {
        format!("{}/oauth2/client/token", self.base_url())
    }

    pub fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.base_url())
    }

    pub fn sender_id(&self) -> &str {
        self.state.signer.sender_id()
    }

    /// The sandbox's public keys, as its JWKS publishes them.
    pub fn jwks(&self) -> Jwks {
        Jwks {
            keys: vec![self.state.signer.public_key().to_jwk(&self.state.signer.kid())],
        }
    }

    pub fn population(&self) -> &Arc<Population> {
        &self.state.population
    }

    pub fn set_faults(&self, faults: FaultConfig) -> Result<(), String> {
        self.state.faults.set(faults)
    }

    pub fn expire_tokens(&self) {
        self.state.tokens.expire_all();
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.state.stats.snapshot()
    }

    /// Stops accepting connections and waits for the server to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// Waits until the server stops by itself (it does not, unless it fails).
    pub async fn wait(mut self) {
        let _ = (&mut self.task).await;
    }
}

/// The routes, under both path prefixes.
fn router(state: Arc<SandboxState>) -> Router {
    let mut r = Router::new()
        .route("/oauth2/client/token", post(handlers::token))
        .route("/.well-known/jwks.json", get(handlers::jwks))
        .route("/sandbox/faults", get(control::get_faults).put(control::put_faults))
        .route("/sandbox/tokens/expire", post(control::expire_tokens))
        .route(
            "/sandbox/clients",
            put(control::add_client_keys).post(control::add_client_keys),
        )
        .route("/sandbox/stats", get(control::stats))
        .route("/sandbox/samples", get(control::samples));
    for prefix in ["registry", "ibr"] {
        r = r
            .route(&format!("/{prefix}/sync/search"), post(handlers::search))
            .route(&format!("/{prefix}/sync/enrolled"), post(handlers::enrolled))
            .route(&format!("/{prefix}/sync/txn/status"), post(handlers::txn_status));
    }
    r.with_state(state)
}

/// Generates the population (off the async threads) and starts serving.
pub async fn start(config: SandboxConfig) -> Result<SandboxHandle, SandboxError> {
    let pc = config.population;
    let population = tokio::task::spawn_blocking(move || Population::generate(&pc))
        .await
        .map_err(|e| SandboxError::Config(format!("population generation failed: {e}")))?;
    start_with_population(config, Arc::new(population)).await
}

/// Starts serving an already generated population (tests restart a sandbox
/// on the same port without generating it again).
pub async fn start_with_population(
    config: SandboxConfig,
    population: Arc<Population>,
) -> Result<SandboxHandle, SandboxError> {
    config.faults.validate().map_err(SandboxError::Config)?;
    let key = match &config.signing_key {
        Some(k) => k.clone(),
        None => signing_key::random_key().map_err(|e| SandboxError::Config(e.to_string()))?,
    };
    let signer = Signer::new(key, SANDBOX_SENDER_ID, SANDBOX_KEY_ID);
    // The bad-signature fault signs with a key nobody trusts, random too.
    let impostor_key = signing_key::random_key().map_err(|e| SandboxError::Config(e.to_string()))?;
    let impostor = Signer::new(impostor_key, SANDBOX_SENDER_ID, SANDBOX_KEY_ID);
    let mut client_keys = TrustedKeys::new();
    for jwk in &config.client_keys.keys {
        let kid = jwk.kid.clone().unwrap_or_default();
        let key = crate::dci::PublicKey::from_jwk(jwk).map_err(|e| SandboxError::Config(e.to_string()))?;
        let sender = crate::dci::Kid::parse(&kid)
            .map_err(|e| SandboxError::Config(e.to_string()))?
            .sender_id;
        client_keys.add(&sender, Some(&kid), key);
    }
    let state = Arc::new(SandboxState::new(
        population,
        signer,
        impostor,
        Credentials {
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            token_lifetime: config.token_lifetime,
        },
        config.require_token,
        config.require_signed_requests,
        client_keys,
        Faults::new(config.faults.clone()),
    ));
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|source| SandboxError::Bind {
            addr: config.bind,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
        addr: config.bind,
        source,
    })?;
    let (stop, stopped) = oneshot::channel::<()>();
    let app = router(state.clone());
    let task = tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = stopped.await;
        });
        if let Err(e) = serve.await {
            tracing::error!("sandbox server stopped: {e}");
        }
    });
    tracing::info!(%addr, people = state.population.len(), "sandbox IBR listening");
    Ok(SandboxHandle {
        addr,
        state,
        stop: Some(stop),
        task,
    })
}
