//! Every page of a batch's searches, read as answers a duplication check can
//! stand on — or the reason it cannot.
//!
//! A registry says how many records it holds for a search
//! (`pagination.total_count`) and sends one page of them. A check must see
//! every candidate, so the pages that did not come are asked for, a round at
//! a time (one message holding the next page of every search still short),
//! until each search has all its records, or its check has reached its limit
//! ([`crate::domain::ReplyLimits::max_records_per_check`]: then the check says
//! "more records than shown", never a silent cut), or the registry stops
//! sending (then the search has no answer: incomplete, never "no match").
//!
//! Here, not in the rules, is where an item is refused as an answer:
//! - no item answers the search, or several do (ambiguous: which one is the
//!   registry's?);
//! - rejected (`rjct`), or a status that is not final (`rcvd`, `pdng`, unknown);
//! - `succ` without a records list (the payload is missing, not empty);
//! - fewer records than the registry says it holds, once it stops sending;
//! - a count that changes from page to page.
//!
//! Every reply must answer our transaction (`transaction_id` present and
//! ours): a signed reply to another transaction could be replayed.

// Registry replies flow through here: no byte slicing of their text, no
// arithmetic that can overflow on their numbers.
#![warn(clippy::string_slice, clippy::arithmetic_side_effects)]

use std::collections::HashMap;

use super::rules::CheckFailure;
use crate::dci::client::Reply;
use crate::dci::search::{
    PaginationRequest, Query, RequestStatus, SearchCriteria, SearchItemOutcome, SearchOutcome, SearchRequestItem,
};
use crate::dci::{DciClient, DciError};
use crate::domain::{BeneficiaryRecord, ErrorKind};

/// Records asked for per page.
pub const PAGE_SIZE: u32 = 50;
/// Rounds of page requests beyond what the limit needs at full pages: a
/// registry sending short pages gets this many more before the search is
/// given up as incomplete.
const EXTRA_PAGE_ROUNDS: u32 = 2;
/// Page rounds whatever the limit (a bound on the messages one batch sends).
const MAX_PAGE_ROUNDS: u32 = 50;

/// One search of a check, as sent (page 1), with what it looks for in words.
#[derive(Debug, Clone)]
pub struct Search {
    pub item: SearchRequestItem,
    /// "UIN 123", "name and birth date": for messages.
    pub what: String,
}

/// What the registry answered to one search, every page fetched.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchAnswer {
    pub records: Vec<BeneficiaryRecord>,
    /// How many records the registry says it holds, when it says.
    pub total_count: Option<u64>,
    /// Records the registry holds that were not fetched because the check
    /// reached its limit.
    pub not_fetched: u64,
    /// Pages read.
    pub pages: u32,
}

/// The answers of a batch, and every reply they came from.
#[derive(Debug)]
pub struct Collection {
    /// Per check, per search in the order given: the answer, or why there is none.
    pub answers: Vec<Vec<Result<SearchAnswer, CheckFailure>>>,
    /// The first message's reply, then one per round of page requests.
    pub replies: Vec<Reply<SearchOutcome>>,
}

/// Where one search stands.
#[derive(Debug)]
struct Progress {
    records: Vec<BeneficiaryRecord>,
    total: Option<u64>,
    /// Page size of the next request: the registry's, when it says.
    page_size: u32,
    pages: u32,
    /// Records the last page brought.
    last_page_records: usize,
    state: State,
}

#[derive(Debug)]
enum State {
    Waiting,
    Done,
    Failed(CheckFailure),
}

/// Sends the searches of a batch of checks, fetches the pages they need, and
/// reads each search's answer. `Err` concerns the whole batch (transport,
/// signature, a reply that cannot be read or that answers another
/// transaction); a search without an answer fails only its own check.
pub async fn collect(
    client: &DciClient,
    transaction_id: &str,
    checks: &[Vec<Search>],
    max_records_per_check: u32,
) -> Result<Collection, DciError> {
    let searches = each_search(checks);
    let first: Vec<SearchRequestItem> = searches.iter().map(|(_, s)| s.item.clone()).collect();
    let reply = client.search(transaction_id, first).await?;
    continue_from(client, transaction_id, checks, reply, max_records_per_check).await
}

/// [`collect`] after its first message: reads `reply` (the answer to every
/// search's page 1, sent as one message) and fetches the pages it needs.
pub async fn continue_from(
    client: &DciClient,
    transaction_id: &str,
    checks: &[Vec<Search>],
    reply: Reply<SearchOutcome>,
    max_records_per_check: u32,
) -> Result<Collection, DciError> {
    let searches = each_search(checks);
    ours(&reply, transaction_id)?;
    let mut reply = reply;
    let mut progress: Vec<Progress> = searches
        .iter()
        .map(|(_, s)| first_page(&mut reply.outcome, s))
        .collect();
    let mut replies = vec![reply];

    let rounds = max_records_per_check
        .div_ceil(PAGE_SIZE)
        .saturating_add(EXTRA_PAGE_ROUNDS)
        .min(MAX_PAGE_ROUNDS);
    for round in 1..=rounds {
        settle(&mut progress, &searches, checks.len(), max_records_per_check);
        let wanted: Vec<(usize, SearchRequestItem)> = progress
            .iter()
            .enumerate()
            .filter(|(_, p)| matches!(p.state, State::Waiting))
            .map(|(i, p)| (i, next_page(&searches[i].1.item, p)))
            .collect();
        if wanted.is_empty() {
            break;
        }
        if round == rounds {
            for (i, _) in &wanted {
                let p = &mut progress[*i];
                p.state = State::Failed(incomplete(
                    searches[*i].1,
                    p,
                    &format!("IBR Desk stopped asking after {} pages", p.pages),
                ));
            }
            break;
        }
        let items: Vec<SearchRequestItem> = wanted.iter().map(|(_, item)| item.clone()).collect();
        let mut reply = client.search(transaction_id, items).await?;
        ours(&reply, transaction_id)?;
        for (i, item) in &wanted {
            later_page(
                &mut reply.outcome,
                searches[*i].1,
                &item.reference_id,
                &mut progress[*i],
            );
        }
        replies.push(reply);
    }
    settle(&mut progress, &searches, checks.len(), max_records_per_check);

    let mut answers: Vec<Vec<Result<SearchAnswer, CheckFailure>>> = checks.iter().map(|_| Vec::new()).collect();
    let mut used: HashMap<usize, u64> = HashMap::new();
    for ((check, _), p) in searches.iter().zip(progress) {
        answers[*check].push(match p.state {
            State::Failed(f) => Err(f),
            State::Waiting | State::Done => {
                // What the limit leaves of this search, searches in order.
                let taken = used.entry(*check).or_insert(0);
                let room = u64::from(max_records_per_check).saturating_sub(*taken);
                let mut records = p.records;
                let fetched = records.len() as u64;
                let keep = usize::try_from(room.min(fetched)).unwrap_or(usize::MAX);
                records.truncate(keep);
                *taken = taken.saturating_add(records.len() as u64);
                let held = p.total.unwrap_or(0).max(fetched);
                Ok(SearchAnswer {
                    not_fetched: held.saturating_sub(records.len() as u64),
                    records,
                    total_count: p.total,
                    pages: p.pages,
                })
            }
        });
    }
    Ok(Collection { answers, replies })
}

/// Every search of the batch, with the place of its check.
fn each_search(checks: &[Vec<Search>]) -> Vec<(usize, &Search)> {
    checks
        .iter()
        .enumerate()
        .flat_map(|(c, list)| list.iter().map(move |s| (c, s)))
        .collect()
}

/// A reply must say it answers our transaction: a validly signed reply to
/// another (or to none) could be a replay.
fn ours(reply: &Reply<SearchOutcome>, transaction_id: &str) -> Result<(), DciError> {
    match reply.outcome.transaction_id.as_deref() {
        Some(t) if t == transaction_id => Ok(()),
        Some(t) => Err(DciError::Malformed(format!(
            "the reply answers transaction {t}, not ours ({transaction_id})"
        ))),
        None => Err(DciError::Malformed(format!(
            "the reply carries no transaction_id, so it cannot be tied to our request ({transaction_id})"
        ))),
    }
}

/// The place in `outcome.items` of the one item answering `reference_id`,
/// or why there is none.
fn the_item(outcome: &SearchOutcome, search: &Search, reference_id: &str) -> Result<usize, CheckFailure> {
    let what = &search.what;
    let items: Vec<(usize, &SearchItemOutcome)> = outcome
        .items
        .iter()
        .enumerate()
        .filter(|(_, i)| i.reference_id.as_deref() == Some(reference_id))
        .collect();
    let (at, item) = match items.as_slice() {
        [] => {
            return Err(CheckFailure::new(
                ErrorKind::Incomplete,
                format!("the registry did not answer the search for {what} (reference {reference_id})"),
            ));
        }
        [one] => *one,
        several => {
            let statuses: Vec<&str> = several.iter().map(|(_, i)| i.status.as_str()).collect();
            return Err(CheckFailure::new(
                ErrorKind::Ambiguous,
                format!(
                    "the registry answered the search for {what} (reference {reference_id}) {} times in one reply \
                     ({}): which answer stands cannot be known",
                    several.len(),
                    statuses.join(", ")
                ),
            ));
        }
    };
    match &item.status {
        RequestStatus::Succ => {}
        RequestStatus::Rjct => {
            let reason = crate::dci::error::reason_text(&item.status_reason_code, &item.status_reason_message);
            return Err(CheckFailure::new(
                ErrorKind::Rejected,
                format!("the registry rejected the search for {what}: {reason}"),
            ));
        }
        other => {
            return Err(CheckFailure::new(
                ErrorKind::Incomplete,
                format!(
                    "the registry's answer to the search for {what} is {}, not a final result",
                    other.describe()
                ),
            ));
        }
    }
    if let Some(why) = &item.payload_missing {
        return Err(CheckFailure::new(
            ErrorKind::Malformed,
            format!(
                "the registry's answer to the search for {what} succeeded but carries no list of records ({why}): \
                 the answer is missing, not empty"
            ),
        ));
    }
    Ok(at)
}

fn first_page(outcome: &mut SearchOutcome, search: &Search) -> Progress {
    let mut p = Progress {
        records: Vec::new(),
        total: None,
        page_size: PAGE_SIZE,
        pages: 0,
        last_page_records: 0,
        state: State::Waiting,
    };
    match the_item(outcome, search, &search.item.reference_id) {
        Ok(at) => {
            let item = &mut outcome.items[at];
            p.total = item.total_count;
            if let Some(size) = item.page_size.and_then(|s| u32::try_from(s).ok()).filter(|s| *s > 0) {
                p.page_size = size;
            }
            take(&mut p, item);
        }
        Err(f) => p.state = State::Failed(f),
    }
    p
}

fn later_page(outcome: &mut SearchOutcome, search: &Search, reference_id: &str, p: &mut Progress) {
    match the_item(outcome, search, reference_id) {
        Ok(at) => {
            let item = &mut outcome.items[at];
            if let (Some(before), Some(now)) = (p.total, item.total_count)
                && before != now
            {
                p.state = State::Failed(CheckFailure::new(
                    ErrorKind::Incomplete,
                    format!(
                        "the registry said it holds {before} record(s) for {}, then {now} on page {}: the pages do \
                         not make one answer",
                        search.what,
                        p.pages.saturating_add(1)
                    ),
                ));
                return;
            }
            take(p, item);
        }
        Err(f) => p.state = State::Failed(f),
    }
}

/// Moves a page's records into the search's (the reply keeps its text and
/// JSON for the excerpt; the records read from it are needed once).
fn take(p: &mut Progress, item: &mut SearchItemOutcome) {
    p.pages = p.pages.saturating_add(1);
    p.last_page_records = item.records.len();
    p.records.append(&mut item.records);
}

/// Decides, after a round, which searches are done: every record fetched,
/// or their check's limit reached; and which failed: the registry holds
/// more than it sent, and a page after the first brought nothing (an empty
/// first page is followed by one more request, in case the registry's
/// first page was merely short).
fn settle(progress: &mut [Progress], searches: &[(usize, &Search)], checks: usize, limit: u32) {
    let mut fetched = vec![0_u64; checks];
    let mut failed = vec![false; checks];
    for ((check, _), p) in searches.iter().zip(progress.iter()) {
        fetched[*check] = fetched[*check].saturating_add(p.records.len() as u64);
        failed[*check] |= matches!(p.state, State::Failed(_));
    }
    for ((check, search), p) in searches.iter().zip(progress.iter_mut()) {
        if !matches!(p.state, State::Waiting) {
            continue;
        }
        if failed[*check] {
            // The check fails by another search: its pages are not needed.
            p.state = State::Done;
            continue;
        }
        let have = p.records.len() as u64;
        if have >= p.total.unwrap_or(0) || fetched[*check] >= u64::from(limit) {
            // Beyond the limit, the rest is reported as "more records than shown".
            p.state = State::Done;
        } else if p.pages >= 2 && p.last_page_records == 0 {
            p.state = State::Failed(incomplete(search, p, "its last page was empty"));
        }
    }
}

fn incomplete(search: &Search, p: &Progress, why: &str) -> CheckFailure {
    CheckFailure::new(
        ErrorKind::Incomplete,
        format!(
            "the registry says it holds {} record(s) for {} but sent only {} in {} page(s) ({why}): the answer is \
             incomplete",
            p.total.unwrap_or(0),
            search.what,
            p.records.len(),
            p.pages
        ),
    )
}

/// The request for the next page of a search, under a reference ID of its own.
fn next_page(first: &SearchRequestItem, p: &Progress) -> SearchRequestItem {
    let page_number = p.pages.saturating_add(1);
    let mut item = first.clone();
    item.reference_id = page_reference(&first.reference_id, page_number);
    item.search_criteria.pagination = Some(PaginationRequest {
        page_size: p.page_size,
        page_number,
    });
    item
}

/// Criteria for page 1 of a search against an IBR, at [`PAGE_SIZE`] records a page.
pub fn first_page_criteria(query: Query) -> SearchCriteria {
    let mut c = SearchCriteria::ibr(query);
    if let Some(p) = c.pagination.as_mut() {
        p.page_size = PAGE_SIZE;
    }
    c
}

/// `<reference>.p<n>`: page `n` of a search, unique within a message and
/// traceable to its search.
pub fn page_reference(reference_id: &str, page_number: u32) -> String {
    format!("{reference_id}.p{page_number}")
}
