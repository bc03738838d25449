//! Shared helpers of the integration tests: a sandbox on a free loopback
//! port and a client configured for it.
#![allow(dead_code)] // each test binary uses a different part

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use ibr_desk::dci::client::{ClientConfig, OAuthConfig, ReplyTrust, Secret};
use ibr_desk::dci::envelope::timestamp;
use ibr_desk::dci::search::{DEFAULT_LOCALE, Query, SearchCriteria, SearchRequestItem};
use ibr_desk::dci::{DciClient, Jwks, PrivateKey, Signer};
use ibr_desk::sandbox::faults::FaultConfig;
use ibr_desk::sandbox::population::PopulationConfig;
use ibr_desk::sandbox::{self, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SandboxConfig, SandboxHandle};
use url::Url;

/// Small enough to generate in a blink, large enough for every sample kind.
pub const TEST_POPULATION: usize = 5_000;

pub async fn start_sandbox() -> SandboxHandle {
    start_sandbox_with(SandboxConfig::default()).await
}

pub async fn start_sandbox_with(config: SandboxConfig) -> SandboxHandle {
    sandbox::start(SandboxConfig {
        population: PopulationConfig {
            size: TEST_POPULATION,
            seed: 11,
        },
        ..config
    })
    .await
    .expect("sandbox starts")
}

pub fn faults(f: FaultConfig) -> SandboxConfig {
    SandboxConfig {
        faults: f,
        ..SandboxConfig::default()
    }
}

/// The office key tests sign with.
pub fn office_signer() -> Signer {
    Signer::new(PrivateKey::ed25519_from_bytes([42; 32]), "office.test", "k1")
}

pub fn office_jwks() -> Jwks {
    let s = office_signer();
    Jwks {
        keys: vec![s.public_key().to_jwk(&s.kid())],
    }
}

/// A client of the sandbox that trusts its published key.
pub fn client_config(h: &SandboxHandle) -> ClientConfig {
    let mut c = ClientConfig::new(
        Url::parse(&h.base_url()).unwrap(),
        "office.test",
        ReplyTrust {
            keys: Arc::new(h.jwks()),
            allow_unsigned: false,
        },
    );
    c.auth = Some(OAuthConfig {
        token_url: Url::parse(&h.token_url()).unwrap(),
        client_id: DEMO_CLIENT_ID.into(),
        client_secret: Secret::new(DEMO_CLIENT_SECRET),
        scope: None,
    });
    c.timeout = Duration::from_secs(10);
    c
}

pub fn client(h: &SandboxHandle) -> DciClient {
    DciClient::new(client_config(h)).unwrap()
}

pub fn item(reference_id: &str, query: Query) -> SearchRequestItem {
    SearchRequestItem {
        reference_id: reference_id.into(),
        timestamp: timestamp(Utc::now()),
        search_criteria: SearchCriteria::ibr(query),
        locale: Some(DEFAULT_LOCALE.into()),
    }
}

pub fn txn() -> String {
    format!("txn-{}", uuid::Uuid::new_v4().simple())
}
