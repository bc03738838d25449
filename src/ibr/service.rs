//! `IbrService`: the three questions the seed's IBR service answers —
//! `check_duplication`, `search_beneficiary`, `get_enrollment_status` —
//! plus the batch form the engine uses, on top of one `DciClient`.

// Registry replies flow through here: no byte slicing of their text, no
// arithmetic that can overflow on their numbers.
#![warn(clippy::string_slice, clippy::arithmetic_side_effects)]

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use url::Url;

use super::collect::{self, Collection, Search, SearchAnswer};
use super::plan;
use super::rules::{self, CheckFailure, Decision};
use crate::dci::client::{ClientConfig, OAuthConfig, Reply, ReplyTrust, Secret, SignatureCheck};
use crate::dci::enrolled::{EnrolledOutcome, EnrolledRequest};
use crate::dci::envelope::timestamp;
use crate::dci::search::{DEFAULT_LOCALE, Query, RequestStatus, SearchOutcome, SearchRequestItem};
use crate::dci::{DciClient, DciError, KeyLookup, Signer};
use crate::domain::{
    ApplicantSnapshot, BeneficiaryRecord, CheckCompletion, CheckQuery, DataSource, IdType, MatchCandidate, QueryKind,
    Registrant, ReplyHeader, is_unencrypted_url,
};

/// Everything needed to talk to one data source.
#[derive(Clone)]
pub struct SourceConnection {
    pub source: DataSource,
    /// From the OS keyring; `None` when the source has no OAuth2.
    pub client_secret: Option<Secret>,
    /// Keys of the active trusted senders.
    pub trusted_keys: Arc<dyn KeyLookup + Send + Sync>,
    /// Our sender ID, as registered with the registry.
    pub office_sender_id: String,
    /// The office's signing key, when it has one.
    pub office_signer: Option<Signer>,
    pub timeout: Duration,
}

/// Why a service call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IbrError {
    #[error(transparent)]
    Dci(#[from] DciError),
    #[error("{0}")]
    Check(String),
    #[error("the data source is not configured correctly: {0}")]
    Config(String),
}

impl From<CheckFailure> for IbrError {
    fn from(f: CheckFailure) -> Self {
        IbrError::Check(f.message)
    }
}

/// One check as the engine hands it over: its ID, the applicant as recorded,
/// and its searches with their fixed reference IDs.
#[derive(Debug, Clone)]
pub struct PlannedCheck {
    pub check_id: i64,
    pub applicant: ApplicantSnapshot,
    pub queries: Vec<CheckQuery>,
}

/// The outcome of one batch: per check, a completion or a failure.
#[derive(Debug)]
pub struct BatchOutcome {
    pub transaction_id: String,
    pub results: Vec<(i64, Result<CheckCompletion, CheckFailure>)>,
}

/// A duplication check answered directly (not through the queue).
#[derive(Debug, Clone)]
pub struct DuplicationVerdict {
    pub decision: Decision,
    pub signature: SignatureCheck,
    pub transaction_id: String,
    pub correlation_id: Option<String>,
}

/// Whether a person is enrolled, and where.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EnrollmentStatus {
    pub enrolled: bool,
    /// `ID — Name` of the programmes, when the answer names them.
    pub programs: Vec<String>,
    /// `enrolled` (the dedicated endpoint) or `search` (the fallback).
    pub answered_by: &'static str,
    /// The records, when the answer came from a search.
    pub records: Vec<BeneficiaryRecord>,
    pub note: Option<String>,
}

/// What "Test connection" found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ConnectionReport {
    pub token: String,
    pub search: String,
    pub signature: String,
}

/// The IBR service of one data source.
pub struct IbrService {
    client: DciClient,
    source: DataSource,
}

impl IbrService {
    pub fn new(conn: SourceConnection) -> Result<IbrService, IbrError> {
        let source = conn.source;
        // Sources saved before unencrypted http needed a choice are held to it too.
        let unencrypted = [Some(&source.base_url), source.auth_url.as_ref()]
            .into_iter()
            .flatten()
            .find(|u| is_unencrypted_url(u));
        if let Some(u) = unencrypted
            && !source.insecure_http
        {
            return Err(IbrError::Config(format!(
                "{u} uses http:// to another computer, so client secrets and applicants' data would travel \
                 unencrypted; use https://, or allow unencrypted http for this data source (test labs only)"
            )));
        }
        let base_url = Url::parse(&source.base_url)
            .map_err(|e| IbrError::Config(format!("base URL {:?}: {e}", source.base_url)))?;
        let mut config = ClientConfig::new(
            base_url,
            &conn.office_sender_id,
            ReplyTrust {
                keys: conn.trusted_keys,
                allow_unsigned: source.allow_unsigned,
            },
        );
        config.path_prefix = source.path_prefix.clone();
        config.timeout = conn.timeout;
        config.max_reply_bytes = source.limits.max_reply_bytes;
        config.max_signature_lifetime_secs = i64::from(source.limits.max_signature_lifetime_secs);
        config.signer = conn.office_signer;
        if let Some(auth_url) = &source.auth_url {
            let token_url =
                Url::parse(auth_url).map_err(|e| IbrError::Config(format!("OAuth token URL {auth_url:?}: {e}")))?;
            let client_id = source
                .client_id
                .clone()
                .ok_or_else(|| IbrError::Config("an OAuth token URL needs a client ID".into()))?;
            let client_secret = conn.client_secret.ok_or_else(|| {
                IbrError::Config(format!(
                    "no client secret is stored in the OS keyring for {:?}; enter it in the data source form",
                    source.name
                ))
            })?;
            config.auth = Some(OAuthConfig {
                token_url,
                client_id,
                client_secret,
                scope: None,
            });
        }
        Ok(IbrService {
            client: DciClient::new(config)?,
            source,
        })
    }

    pub fn source(&self) -> &DataSource {
        &self.source
    }

    /// Runs many checks in one DCI message (and the page requests their
    /// answers need). An error here concerns the whole message (the engine
    /// retries or fails every check in it); a check whose own searches have
    /// no full answer gets its own `CheckFailure`.
    pub async fn run_checks(&self, transaction_id: &str, checks: &[PlannedCheck]) -> Result<BatchOutcome, DciError> {
        let searches: Vec<Vec<Search>> = checks
            .iter()
            .map(|c| c.queries.iter().map(search_of).collect())
            .collect();
        let collection = self.collect(transaction_id, &searches).await?;
        let header = reply_header(&collection);
        let results = checks
            .iter()
            .zip(&collection.answers)
            .map(|(c, answers)| (c.check_id, self.complete(c, answers, &collection, &header)))
            .collect();
        Ok(BatchOutcome {
            transaction_id: transaction_id.to_string(),
            results,
        })
    }

    /// Checks a registrant now: each identifier, and a demographic search when
    /// the name and birth date are known. A failure is an error, never a result.
    pub async fn check_duplication(&self, registrant: &Registrant) -> Result<DuplicationVerdict, IbrError> {
        let kinds = plan::queries_for(registrant);
        if kinds.is_empty() {
            return Err(IbrError::Check("the registrant has no identifier to check".into()));
        }
        let queries: Vec<CheckQuery> = kinds
            .into_iter()
            .enumerate()
            .map(|(i, kind)| CheckQuery {
                reference_id: format!("adhoc-{}-{}", uuid::Uuid::new_v4().simple(), i.saturating_add(1)),
                kind,
            })
            .collect();
        let applicant = plan::snapshot(registrant);
        let transaction_id = new_transaction_id();
        let searches = vec![queries.iter().map(search_of).collect()];
        let collection = self.collect(&transaction_id, &searches).await?;
        let answers = full_answers(&collection.answers[0])?;
        let decision = rules::decide(&applicant, &queries, &answers);
        let first = &collection.replies[0];
        Ok(DuplicationVerdict {
            decision,
            signature: first.signature.clone(),
            transaction_id,
            correlation_id: first.outcome.correlation_id.clone(),
        })
    }

    /// The records the registry holds under one identifier, every page (up
    /// to the data source's limit; [`SearchAnswer::not_fetched`] says how many
    /// more it holds). A rejected, unfinished or incomplete search is an error.
    pub async fn search_beneficiary(&self, id_type: &IdType, value: &str) -> Result<SearchAnswer, IbrError> {
        let search = Search {
            item: search_item(
                format!("ref-{}", uuid::Uuid::new_v4().simple()),
                Query::id(id_type.as_str(), value),
            ),
            what: format!("{id_type} {value}"),
        };
        let collection = self.collect(&new_transaction_id(), &[vec![search]]).await?;
        let answer = collection.answers.into_iter().flatten().next().ok_or_else(|| {
            IbrError::Dci(DciError::Malformed(
                "the registry answered with no search result".into(),
            ))
        })?;
        Ok(answer?)
    }

    async fn collect(&self, transaction_id: &str, searches: &[Vec<Search>]) -> Result<Collection, DciError> {
        collect::collect(
            &self.client,
            transaction_id,
            searches,
            self.source.limits.max_records_per_check,
        )
        .await
    }

    /// Applies the rules to one check's part of a batch's replies.
    fn complete(
        &self,
        check: &PlannedCheck,
        answers: &[Result<SearchAnswer, CheckFailure>],
        collection: &Collection,
        header: &ReplyHeader,
    ) -> Result<CheckCompletion, CheckFailure> {
        let answers = full_answers(answers)?;
        let decision = rules::decide(&check.applicant, &check.queries, &answers);
        let first = &collection.replies[0];
        let mut explanation = decision.explanation;
        if !first.signature.is_verified() {
            explanation.push_str(" The reply was not signed by a trusted sender (allowed for this test data source).");
        }
        if self.sent_unencrypted() {
            explanation.push_str(" Sent without encryption: this data source uses plain http:// to another computer.");
        }
        // The records as received are kept once, in the reply excerpt; the
        // candidates keep what was read from them.
        let candidates = decision
            .candidates
            .into_iter()
            .map(|c| MatchCandidate { raw: Value::Null, ..c })
            .collect();
        Ok(CheckCompletion {
            result: decision.result,
            matched_programs: decision.matched_programs,
            explanation,
            signature_note: first.signature.describe(),
            transaction_id: first.transaction_id.clone(),
            correlation_id: first.outcome.correlation_id.clone(),
            candidates,
            reply_excerpt: excerpt(check, collection),
            reply_header: header.clone(),
        })
    }

    /// Whether this source's requests travel in clear over a network.
    fn sent_unencrypted(&self) -> bool {
        is_unencrypted_url(&self.source.base_url) || self.source.auth_url.as_deref().is_some_and(is_unencrypted_url)
    }

    /// Whether the holder of an identifier is enrolled, asked of
    /// `/registry/sync/enrolled`; when the registry does not offer that
    /// endpoint (404, 405, 501) or only acknowledges, answered by a search.
    pub async fn get_enrollment_status(&self, id_type: &IdType, value: &str) -> Result<EnrollmentStatus, IbrError> {
        let request = EnrolledRequest::by_identifier(&new_transaction_id(), id_type.as_str(), value);
        let fallback_note = match self.client.enrolled(request).await {
            Ok(reply) => match reply.outcome {
                EnrolledOutcome::Answer(answers) => {
                    let a = answers
                        .into_iter()
                        .next()
                        .ok_or_else(|| IbrError::Dci(DciError::Malformed("the enrolled reply has no answer".into())))?;
                    if a.status != RequestStatus::Succ {
                        return Err(IbrError::Check(format!(
                            "the registry's enrolment answer for {id_type} {value} is {}{}",
                            a.status.describe(),
                            a.status_reason_message.map(|m| format!(": {m}")).unwrap_or_default()
                        )));
                    }
                    let enrolled = a.enrolled.ok_or_else(|| {
                        IbrError::Dci(DciError::Malformed("enrolled_status is neither yes nor no".into()))
                    })?;
                    return Ok(EnrollmentStatus {
                        enrolled,
                        programs: Vec::new(),
                        answered_by: "enrolled",
                        records: Vec::new(),
                        note: Some("the enrolled endpoint does not name programmes".into()),
                    });
                }
                EnrolledOutcome::Search(outcome) => {
                    return Ok(status_from_records(
                        outcome.items.into_iter().flat_map(|i| i.records).collect(),
                        "enrolled",
                        None,
                    ));
                }
                EnrolledOutcome::Acknowledged { ack_status } => {
                    format!("the enrolled endpoint only acknowledged ({ack_status}); answered by a search")
                }
            },
            Err(DciError::Http { status, .. }) if matches!(status, 404 | 405 | 501) => {
                format!("the registry does not offer the enrolled endpoint (HTTP {status}); answered by a search")
            }
            Err(e) => return Err(e.into()),
        };
        let answer = self.search_beneficiary(id_type, value).await?;
        let note = if answer.not_fetched > 0 {
            format!(
                "{fallback_note}; the registry holds {} more record(s) than the {} fetched",
                answer.not_fetched,
                answer.records.len()
            )
        } else {
            fallback_note
        };
        Ok(status_from_records(answer.records, "search", Some(note)))
    }

    /// Gets a token (when the source uses OAuth2) and makes a harmless search
    /// for an identifier no one holds, so that every layer is exercised.
    pub async fn test_connection(&self) -> Result<ConnectionReport, IbrError> {
        let token = if self.client.check_credentials().await? {
            "token obtained".to_string()
        } else {
            "no OAuth2 configured".to_string()
        };
        let reply = self
            .search_one(Query::id(IdType::Uin.as_str(), "0000000000-connection-test"))
            .await?;
        let statuses: Vec<String> = reply.outcome.items.iter().map(|i| i.status.describe()).collect();
        Ok(ConnectionReport {
            token,
            search: format!("test search answered: {}", statuses.join(", ")),
            signature: reply.signature.describe(),
        })
    }

    async fn search_one(&self, query: Query) -> Result<Reply<SearchOutcome>, DciError> {
        let item = search_item(format!("ref-{}", uuid::Uuid::new_v4().simple()), query);
        self.client.search(&new_transaction_id(), vec![item]).await
    }
}

fn status_from_records(
    records: Vec<BeneficiaryRecord>,
    answered_by: &'static str,
    note: Option<String>,
) -> EnrollmentStatus {
    let mut programs: Vec<String> = records
        .iter()
        .flat_map(|r| r.programmes.iter().map(|p| p.display_name()))
        .collect();
    programs.sort();
    programs.dedup();
    EnrollmentStatus {
        enrolled: !records.is_empty(),
        programs,
        answered_by,
        records,
        note,
    }
}

/// A new transaction ID (the sender chooses it).
pub fn new_transaction_id() -> String {
    format!("txn-{}", uuid::Uuid::new_v4().simple())
}

fn search_item(reference_id: String, query: Query) -> SearchRequestItem {
    SearchRequestItem {
        reference_id,
        timestamp: timestamp(Utc::now()),
        search_criteria: collect::first_page_criteria(query),
        locale: Some(DEFAULT_LOCALE.to_string()),
    }
}

/// The search a check's query sends, page 1.
fn search_of(q: &CheckQuery) -> Search {
    let query = match &q.kind {
        QueryKind::Identifier { id_type, value } => Query::id(id_type.as_str(), value),
        QueryKind::Demographic {
            given_name,
            surname,
            birth_date,
        } => Query::demographic(given_name, surname, &birth_date.to_string()),
    };
    Search {
        item: search_item(q.reference_id.clone(), query),
        what: q.kind.describe(),
    }
}

/// Every search's full answer, or the first reason one has none (rule 1).
fn full_answers(answers: &[Result<SearchAnswer, CheckFailure>]) -> Result<Vec<SearchAnswer>, CheckFailure> {
    answers.iter().cloned().collect()
}

/// The first reply's header and signature, as the store keeps them.
fn reply_header(collection: &Collection) -> ReplyHeader {
    let first = &collection.replies[0];
    let header = serde_json::to_value(&first.received.header).unwrap_or(Value::Null);
    ReplyHeader::capped(
        first.outcome.transaction_id.as_deref(),
        &header,
        first.received.signature.as_deref(),
    )
}

/// The items of every reply that answered this check (its searches and
/// their pages), as JSON text; the header is kept apart, once per message.
fn excerpt(check: &PlannedCheck, collection: &Collection) -> String {
    let refs: Vec<&str> = check.queries.iter().map(|q| q.reference_id.as_str()).collect();
    let answers_this_check = |reference: &str| {
        refs.iter().any(|r| {
            reference == *r
                || reference
                    .strip_prefix(*r)
                    .and_then(|rest| rest.strip_prefix(".p"))
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
    };
    let items: Vec<Value> = collection
        .replies
        .iter()
        .flat_map(|reply| {
            reply
                .received
                .message
                .get("search_response")
                .map(|v| crate::dci::tolerant::list_of(Some(v)))
                .unwrap_or_default()
        })
        .filter(|i| {
            i.get("reference_id")
                .and_then(crate::dci::tolerant::string_of)
                .is_some_and(|r| answers_this_check(&r))
        })
        .cloned()
        .collect();
    let first = &collection.replies[0];
    let mut excerpt = json!({
        "transaction_id": first.outcome.transaction_id,
        "correlation_id": first.outcome.correlation_id,
        "search_response": items,
    });
    if collection.replies.len() > 1 {
        excerpt["page_messages"] = json!(
            collection
                .replies
                .iter()
                .map(|r| r.message_id.clone())
                .collect::<Vec<_>>()
        );
    }
    excerpt.to_string()
}

impl From<IbrError> for crate::domain::EngineError {
    fn from(e: IbrError) -> crate::domain::EngineError {
        match e {
            IbrError::Dci(d) => d.into(),
            IbrError::Check(m) => crate::domain::EngineError::of(crate::domain::ErrorKind::Malformed, m),
            IbrError::Config(m) => crate::domain::EngineError::of(
                crate::domain::ErrorKind::Config,
                format!("the data source is not configured correctly: {m}"),
            ),
        }
    }
}
