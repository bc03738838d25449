//! `ibr-desk sandbox`: serve the sandbox IBR until interrupted, or print
//! sample identifiers of its population.
//!
//! Each run signs with a fresh random key unless `--key-file` names where
//! to keep one (made 0600 on first use, reused after), so that a restarted
//! sandbox keeps the identity its clients trust. The key is never derived
//! from the seed: the seed is public, the key must not be.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use crate::dci::Jwks;
use crate::sandbox::faults::{FaultConfig, RecordShape};
use crate::sandbox::population::{Population, PopulationConfig};
use crate::sandbox::{self, DEFAULT_TOKEN_LIFETIME_SECS, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SandboxConfig};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SandboxArgs {
    #[command(subcommand)]
    pub command: Option<SandboxCommand>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Print identifiers of each kind of person in the population (for demos and tests).
    Samples(PopulationArgs),
}

#[derive(Debug, Clone, Args)]
pub struct PopulationArgs {
    /// Number of synthetic beneficiaries.
    #[arg(long, default_value_t = 100_000)]
    pub population: usize,
    /// Seed of the population; the same seed gives the same people.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TCP port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8780)]
    pub port: u16,
    /// Number of synthetic beneficiaries.
    #[arg(long, default_value_t = 100_000)]
    pub population: usize,
    /// Seed of the population (not of the signing key, which is random).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Keep the signing key in this PEM file: created (0600) if missing,
    /// reused if present, so a restarted sandbox keeps its identity.
    /// Without it every run has a new random key.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// OAuth2 client ID the token endpoint accepts.
    #[arg(long, default_value = DEMO_CLIENT_ID)]
    pub client_id: String,
    /// OAuth2 client secret the token endpoint accepts (a demo value by default).
    #[arg(long, default_value = DEMO_CLIENT_SECRET, env = "IBR_DESK_SANDBOX_SECRET", hide_env_values = true)]
    pub client_secret: String,
    /// Lifetime of issued tokens, in seconds.
    #[arg(long, default_value_t = DEFAULT_TOKEN_LIFETIME_SECS)]
    pub token_lifetime_secs: u64,
    /// Accept DCI requests without a bearer token.
    #[arg(long)]
    pub no_auth: bool,
    /// A JWKS file of client keys whose signed requests are verified.
    #[arg(long, value_name = "FILE")]
    pub client_jwks: Option<PathBuf>,
    /// Refuse requests not signed by a registered client key.
    #[arg(long)]
    pub require_signed_requests: bool,
    /// Fault: milliseconds added to every reply.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Fault: share (0..1) of requests answered HTTP 503.
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
    /// Fault: share of requests answered HTTP 429.
    #[arg(long, default_value_t = 0.0)]
    pub throttle_rate: f64,
    /// Fault: share of replies cut short (not JSON).
    #[arg(long, default_value_t = 0.0)]
    pub malformed_rate: f64,
    /// Fault: share of replies signed with a wrong key.
    #[arg(long, default_value_t = 0.0)]
    pub bad_signature_rate: f64,
    /// Fault: share of search items answered `rjct`.
    #[arg(long, default_value_t = 0.0)]
    pub rjct_rate: f64,
    /// Fault: send replies without a signature.
    #[arg(long)]
    pub unsigned: bool,
    /// How records are shaped in replies.
    #[arg(long, value_enum, default_value_t = RecordShape::Openapi)]
    pub record_shape: RecordShape,
}

pub fn run(args: SandboxArgs) -> anyhow::Result<u8> {
    match args.command {
        Some(SandboxCommand::Samples(p)) => print_samples(&p),
        None => serve(args.serve),
    }
}

fn print_samples(args: &PopulationArgs) -> anyhow::Result<u8> {
    let pop = Population::generate(&PopulationConfig {
        size: args.population,
        seed: args.seed,
    });
    let samples = pop.samples();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&samples)?);
    } else {
        print!("{}", super::output::samples_text(&samples));
    }
    Ok(super::EXIT_OK)
}

fn serve(args: ServeArgs) -> anyhow::Result<u8> {
    let client_keys = match &args.client_jwks {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            Jwks::from_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        None => Jwks::default(),
    };
    let (signing_key, key_note) = match &args.key_file {
        Some(path) => {
            let file = sandbox::signing_key::load_or_create(path)?;
            let note = if file.created {
                format!("new, kept in {}", path.display())
            } else {
                format!("from {}", path.display())
            };
            (Some(file.key), note)
        }
        None => (None, "new for this run (--key-file FILE keeps one)".to_string()),
    };
    let config = SandboxConfig {
        bind: SocketAddr::from(([127, 0, 0, 1], args.port)),
        population: PopulationConfig {
            size: args.population,
            seed: args.seed,
        },
        client_id: args.client_id,
        client_secret: args.client_secret,
        token_lifetime: Duration::from_secs(args.token_lifetime_secs),
        require_token: !args.no_auth,
        require_signed_requests: args.require_signed_requests,
        client_keys,
        faults: FaultConfig {
            latency_ms: args.latency_ms,
            error_rate: args.error_rate,
            malformed_rate: args.malformed_rate,
            bad_signature_rate: args.bad_signature_rate,
            rjct_rate: args.rjct_rate,
            throttle_rate: args.throttle_rate,
            unsigned: args.unsigned,
            record_shape: args.record_shape,
        },
        signing_key,
    };
    let rt = super::runtime()?;
    rt.block_on(async move {
        let handle = sandbox::start(config).await?;
        println!("Sandbox IBR listening on {}", handle.base_url());
        println!("  sender ID   {}", handle.sender_id());
        println!("  JWKS        {}", handle.jwks_url());
        println!("  key         {key_note}");
        println!("  token URL   {}", handle.token_url());
        println!("  people      {}", handle.population().len());
        println!("  faults      {}/sandbox/faults (GET, PUT)", handle.base_url());
        println!(
            "  samples     ibr-desk sandbox samples --population {} --seed {}",
            args.population, args.seed
        );
        println!("Press Ctrl+C to stop.");
        tokio::signal::ctrl_c().await?;
        println!("Stopping.");
        handle.shutdown().await;
        Ok::<_, anyhow::Error>(super::EXIT_OK)
    })
}
