//! `ibr-desk demo` (and `ibr-desk` with no command, until the window
//! exists): starts the sandbox IBR on a free loopback port, searches it for
//! one person of each kind in a single signed DCI message, and prints what
//! came back, verified.

use std::sync::Arc;

use chrono::Utc;
use clap::Args;
use url::Url;

use crate::dci::client::{ClientConfig, OAuthConfig, ReplyTrust, Secret};
use crate::dci::envelope::timestamp;
use crate::dci::search::{DEFAULT_LOCALE, Query, SearchCriteria, SearchRequestItem};
use crate::dci::{DciClient, PrivateKey, Signer};
use crate::sandbox::population::PopulationConfig;
use crate::sandbox::{self, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SandboxConfig};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of synthetic beneficiaries in the sandbox.
    #[arg(long, default_value_t = 100_000)]
    pub population: usize,
    /// Seed of the population.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

impl Default for DemoArgs {
    fn default() -> Self {
        DemoArgs {
            population: 100_000,
            seed: 42,
        }
    }
}

pub fn run(args: DemoArgs) -> anyhow::Result<u8> {
    println!(
        "IBR Desk {} — demo against the built-in sandbox registry.",
        env!("CARGO_PKG_VERSION")
    );
    println!("(The desktop window is not built yet; this runs the protocol core end to end.)\n");
    let rt = super::runtime()?;
    rt.block_on(async move {
        let handle = sandbox::start(SandboxConfig {
            population: PopulationConfig {
                size: args.population,
                seed: args.seed,
            },
            ..SandboxConfig::default()
        })
        .await?;
        println!(
            "Sandbox IBR with {} synthetic people at {} (sender {}).",
            handle.population().len(),
            handle.base_url(),
            handle.sender_id()
        );
        let samples = handle.population().samples();
        let mut queries: Vec<(&str, Query)> = Vec::new();
        let first = |list: &[crate::domain::Identifier]| list.first().cloned();
        for (label, id) in [
            ("active in one programme", first(&samples.active_single)),
            ("active in several programmes", first(&samples.active_multi)),
            ("graduated", first(&samples.graduated)),
            ("deceased", first(&samples.deceased)),
            ("known by birth registration only", first(&samples.brn_only)),
            ("not in the registry", first(&samples.not_enrolled)),
        ] {
            if let Some(id) = id {
                queries.push((label, Query::id(id.id_type.as_str(), &id.value)));
            }
        }
        if let Some(t) = samples.near_twins.first() {
            queries.push((
                "same name and birth date",
                Query::demographic(&t.given_name, &t.surname, &t.birth_date.to_string()),
            ));
        }
        // The office signs its requests; the demo makes a throwaway key.
        let office_key = PrivateKey::generate_ed25519()?;
        let mut config = ClientConfig::new(
            Url::parse(&handle.base_url())?,
            "demo-office.ibr-desk.local",
            ReplyTrust {
                keys: Arc::new(handle.jwks()),
                allow_unsigned: false,
            },
        );
        config.auth = Some(OAuthConfig {
            token_url: Url::parse(&handle.token_url())?,
            client_id: DEMO_CLIENT_ID.to_string(),
            client_secret: Secret::new(DEMO_CLIENT_SECRET),
            scope: None,
        });
        config.signer = Some(Signer::new(office_key, "demo-office.ibr-desk.local", "demo-key"));
        let client = DciClient::new(config)?;
        let items: Vec<SearchRequestItem> = queries
            .iter()
            .enumerate()
            .map(|(i, (_, q))| SearchRequestItem {
                reference_id: format!("demo-{}", i + 1),
                timestamp: timestamp(Utc::now()),
                search_criteria: SearchCriteria::ibr(q.clone()),
                locale: Some(DEFAULT_LOCALE.to_string()),
            })
            .collect();
        let reply = client
            .search(&format!("txn-demo-{}", uuid::Uuid::new_v4().simple()), items)
            .await?;
        println!(
            "One signed message with {} searches; the reply is {}.\n",
            queries.len(),
            reply.signature.describe()
        );
        for (i, (label, _)) in queries.iter().enumerate() {
            println!("— demo-{} ({label})", i + 1);
        }
        println!();
        print!("{}", super::output::search_text(&reply));
        handle.shutdown().await;
        println!("\nMore: `ibr-desk sandbox` serves the sandbox on port 8780; `ibr-desk search --help`.");
        Ok(super::EXIT_OK)
    })
}
