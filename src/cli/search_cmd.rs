//! `ibr-desk search`: one search against any DCI registry, printed as the
//! client understood it. An integrator's tool: it shows the signature
//! verdict and everything in the reply that cannot be trusted.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use chrono::Utc;
use clap::Args;
use url::Url;

use crate::dci::client::{ClientConfig, DEFAULT_TIMEOUT_SECS, OAuthConfig, ReplyTrust, Secret, fetch_jwks};
use crate::dci::search::SearchOutcome;
use crate::dci::search::{DEFAULT_LOCALE, Query, SearchRequestItem};
use crate::dci::{DciClient, Jwks, PrivateKey, Reply, Signer};
use crate::domain::IdType;
use crate::ibr::collect::{Search, continue_from};
use crate::secrets::SecretString;

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The registry's base URL (without /registry/...).
    #[arg(long)]
    pub base_url: Url,
    /// OAuth2 client ID; with it, a token is fetched from --token-url.
    #[arg(long)]
    pub client_id: Option<String>,
    /// OAuth2 token URL (default: BASE_URL/oauth2/client/token).
    #[arg(long)]
    pub token_url: Option<Url>,
    /// Read the client secret from standard input (else from IBR_DESK_CLIENT_SECRET).
    #[arg(long)]
    pub client_secret_stdin: bool,
    /// Path prefix of the DCI operations: `registry` (the standard) or `ibr` (the SPDCI mock).
    #[arg(long, default_value = "registry")]
    pub path_prefix: String,
    /// Identifier type: UIN, BRN, MRN or DRN.
    #[arg(long, requires = "id_value", required_unless_present = "birth_date")]
    pub id_type: Option<IdType>,
    /// Identifier value.
    #[arg(long, requires = "id_type")]
    pub id_value: Option<String>,
    /// Demographic search instead: given name (with --surname and --birth-date).
    #[arg(long, requires_all = ["surname", "birth_date"], conflicts_with = "id_type")]
    pub given_name: Option<String>,
    #[arg(long)]
    pub surname: Option<String>,
    /// Birth date, YYYY-MM-DD.
    #[arg(long, requires = "given_name")]
    pub birth_date: Option<chrono::NaiveDate>,
    /// Trusted keys of the registry: a JWKS file or URL (default: BASE_URL/.well-known/jwks.json).
    #[arg(long, value_name = "FILE|URL")]
    pub jwks: Option<String>,
    /// Accept an unsigned reply (test servers such as the SPDCI mock).
    #[arg(long)]
    pub allow_unsigned: bool,
    /// Our sender ID, as registered with the registry.
    #[arg(long, default_value = "ibr-desk.local")]
    pub sender_id: String,
    /// Sign the request with this private key (PKCS#8 PEM) under --key-id.
    #[arg(long, value_name = "PEM", requires = "key_id")]
    pub private_key: Option<PathBuf>,
    #[arg(long)]
    pub key_id: Option<String>,
    /// Seconds to wait for the registry.
    #[arg(long, default_value_t = DEFAULT_TIMEOUT_SECS)]
    pub timeout_secs: u64,
    /// Most records fetched, all pages together; the output says when the
    /// registry holds more.
    #[arg(long, default_value_t = crate::domain::ReplyLimits::DEFAULT_MAX_RECORDS_PER_CHECK)]
    pub max_records: u32,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: SearchArgs) -> anyhow::Result<u8> {
    let secret = match (&args.client_id, args.client_secret_stdin) {
        (Some(_), true) => Some(super::context::secret_from_stdin(
            "cannot read the client secret from standard input",
        )?),
        (Some(_), false) => std::env::var("IBR_DESK_CLIENT_SECRET").ok().map(SecretString::from),
        (None, _) => None,
    };
    if args.client_id.is_some() && secret.is_none() {
        bail!("a client ID needs a secret: pass --client-secret-stdin or set IBR_DESK_CLIENT_SECRET");
    }
    let query = match (
        &args.id_type,
        &args.id_value,
        &args.given_name,
        &args.surname,
        &args.birth_date,
    ) {
        (Some(t), Some(v), _, _, _) => Query::id(t.as_str(), v),
        (_, _, Some(g), Some(s), Some(b)) => Query::demographic(g, s, &b.to_string()),
        _ => bail!("give --id-type and --id-value, or --given-name, --surname and --birth-date"),
    };
    let rt = super::runtime()?;
    rt.block_on(async move {
        let timeout = Duration::from_secs(args.timeout_secs);
        let jwks = load_trusted_keys(&args, timeout).await?;
        let mut config = ClientConfig::new(
            args.base_url.clone(),
            &args.sender_id,
            ReplyTrust {
                keys: Arc::new(jwks),
                allow_unsigned: args.allow_unsigned,
            },
        );
        config.path_prefix = args.path_prefix.clone();
        config.timeout = timeout;
        if let (Some(id), Some(secret)) = (&args.client_id, secret) {
            let token_url = match &args.token_url {
                Some(u) => u.clone(),
                None => Url::parse(&format!(
                    "{}/oauth2/client/token",
                    args.base_url.as_str().trim_end_matches('/')
                ))?,
            };
            config.auth = Some(OAuthConfig {
                token_url,
                client_id: id.clone(),
                client_secret: Secret::from(secret),
                scope: None,
            });
        }
        if let (Some(path), Some(key_id)) = (&args.private_key, &args.key_id) {
            let pem = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            config.signer = Some(Signer::new(PrivateKey::from_pem(&pem)?, &args.sender_id, key_id));
        }
        let client = DciClient::new(config)?;
        let criteria = crate::ibr::collect::first_page_criteria(query);
        let item = SearchRequestItem {
            reference_id: format!("ref-{}", uuid::Uuid::new_v4().simple()),
            timestamp: crate::dci::envelope::timestamp(Utc::now()),
            search_criteria: criteria,
            locale: Some(DEFAULT_LOCALE.to_string()),
        };
        let transaction_id = format!("txn-{}", uuid::Uuid::new_v4().simple());
        let reply = client.search(&transaction_id, vec![item.clone()]).await?;
        let reply = with_every_page(&client, &transaction_id, item, reply, args.max_records).await?;
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&super::output::SearchReport::new(&reply))?
            );
        } else {
            super::output::print_text(&super::output::search_text(&reply));
        }
        Ok(super::EXIT_OK)
    })
}

/// The reply with the records of every page the registry holds (up to
/// `max_records`), and a warning when only part is shown. A reply that
/// does not answer our transaction, or whose item is not a full `succ`
/// answer, is shown as it came: its warnings say why it cannot be trusted.
async fn with_every_page(
    client: &DciClient,
    transaction_id: &str,
    item: SearchRequestItem,
    reply: Reply<SearchOutcome>,
    max_records: u32,
) -> anyhow::Result<Reply<SearchOutcome>> {
    let reference = item.reference_id.clone();
    let more_held = reply
        .outcome
        .items_for(&reference)
        .first()
        .is_some_and(|i| i.total_count.is_some_and(|t| t > i.records.len() as u64));
    if !more_held {
        return Ok(reply);
    }
    if reply.outcome.transaction_id.as_deref() != Some(transaction_id) {
        let mut reply = reply;
        reply.warnings.push(
            "only part shown: the registry holds more records, but further pages were not asked for because the \
             reply does not answer our transaction"
                .into(),
        );
        return Ok(reply);
    }
    let searches = vec![vec![Search {
        item,
        what: "this search".into(),
    }]];
    let mut first = reply.clone();
    let collection = continue_from(client, transaction_id, &searches, reply, max_records).await?;
    let Some(answer) = collection.answers.into_iter().flatten().next() else {
        return Ok(first);
    };
    match answer {
        Ok(answer) => {
            if let Some(it) = first
                .outcome
                .items
                .iter_mut()
                .find(|i| i.reference_id.as_deref() == Some(reference.as_str()))
            {
                it.records = answer.records.clone();
            }
            first.warnings.push(format!(
                "records from {} page(s) shown together (page size {})",
                answer.pages,
                crate::ibr::collect::PAGE_SIZE
            ));
            if answer.not_fetched > 0 {
                first.warnings.push(format!(
                    "only part shown: {} of the {} record(s) the registry holds (--max-records {max_records})",
                    answer.records.len(),
                    answer.records.len() as u64 + answer.not_fetched
                ));
            }
        }
        Err(failure) => first
            .warnings
            .push(format!("the pages after the first: {}", failure.message)),
    }
    Ok(first)
}

/// The keys replies are checked against: the file or URL given, else the
/// registry's own published JWKS (said so on the terminal: that trusts the
/// server we are talking to, which suits debugging, not production).
async fn load_trusted_keys(args: &SearchArgs, timeout: Duration) -> anyhow::Result<Jwks> {
    let source = match &args.jwks {
        Some(s) => s.clone(),
        None => format!("{}/.well-known/jwks.json", args.base_url.as_str().trim_end_matches('/')),
    };
    if source.starts_with("http://") || source.starts_with("https://") {
        match fetch_jwks(&source, timeout).await {
            Ok(j) => {
                if args.jwks.is_none() {
                    super::output::say_err!("note: trusting the keys the registry itself publishes at {source}");
                }
                Ok(j)
            }
            Err(e) if args.allow_unsigned => {
                super::output::say_err!("note: no trusted keys ({e}); replies will be taken unsigned");
                Ok(Jwks::default())
            }
            Err(e) => Err(anyhow::anyhow!("cannot fetch the registry's keys from {source}: {e}")),
        }
    } else {
        let text = std::fs::read_to_string(&source).with_context(|| format!("cannot read {source}"))?;
        Jwks::from_json(&text).map_err(|e| anyhow::anyhow!("{source}: {e}"))
    }
}
