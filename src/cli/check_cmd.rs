//! `ibr-desk check`, `queue run`, `history` and `export`: duplication checks
//! from the command line, through the same engine as the window.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::config_cmd::ApplicantArgs;
use super::context::Context;
use super::output::{inline, print_text, say, say_err};
use crate::clock;
use crate::domain::{CheckFilter, CheckState, DuplicationCheck, ErrorKind, MatchResult, SearchReason};
use crate::engine::{CheckSubject, Command, Event};

/// Exit code of a check that stays queued because the registry is unreachable.
pub const EXIT_QUEUED: u8 = 3;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The data source to ask.
    #[arg(long)]
    pub source: String,
    #[command(flatten)]
    pub applicant: ApplicantArgs,
    /// Why the search is made.
    #[arg(long, default_value = "application", value_parser = parse_reason)]
    pub reason: SearchReason,
    /// Longest wait for the outcome, in seconds.
    #[arg(long, default_value_t = 300)]
    pub wait_secs: u64,
    #[arg(long)]
    pub json: bool,
}

fn parse_reason(s: &str) -> Result<SearchReason, String> {
    s.trim().parse()
}

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// Run every queued check that is due, wait, and print a summary.
    Run {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct FilterArgs {
    /// no_match, possible_match or confirmed_match.
    #[arg(long)]
    pub result: Option<MatchResult>,
    /// ready, checking, completed or failed.
    #[arg(long)]
    pub state: Option<CheckState>,
    /// Only checks against this data source.
    #[arg(long)]
    pub source: Option<String>,
    /// Checks requested on or after this day (YYYY-MM-DD).
    #[arg(long)]
    pub from: Option<NaiveDate>,
    /// Checks requested on or before this day.
    #[arg(long)]
    pub to: Option<NaiveDate>,
    /// A name, or the start of an identifier.
    #[arg(long)]
    pub search: Option<String>,
}

impl FilterArgs {
    fn to_filter(&self, ctx: &Context) -> anyhow::Result<CheckFilter> {
        // Local days, as the times are printed.
        let (from, to) = clock::days_range(self.from, self.to);
        Ok(CheckFilter {
            result: self.result,
            state: self.state,
            data_source_id: match &self.source {
                Some(n) => Some(ctx.source_by_name(n)?.id),
                None => None,
            },
            from,
            to,
            text: self.search.clone(),
            oldest_first: false,
            review_status: None,
            roster_id: None,
        })
    }
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The CSV file to write.
    pub file: PathBuf,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Write identifier values in full (they are masked by default).
    #[arg(long)]
    pub reveal_identifiers: bool,
}

/// The check as `--json` prints it: the seed's field names, and the rest.
pub fn check_json(c: &DuplicationCheck, ctx: &Context) -> Value {
    let candidates = ctx.store.candidates(c.id).unwrap_or_default();
    json!({
        "id": c.id,
        "state": c.state,
        "result": c.result,
        "matched_programs": c.matched_programs,
        "explanation": c.explanation,
        "error_message": c.error_message,
        "error_kind": c.error_kind,
        "identifier_type": c.identifier_type,
        "identifier_value": c.identifier_value,
        "data_source": c.data_source_name,
        "check_date": c.check_date,
        "finished_at": c.finished_at,
        "registrant_id": c.registrant_id,
        "applicant": c.applicant,
        "search_reason": c.search_reason,
        "transaction_id": c.transaction_id,
        "correlation_id": c.correlation_id,
        "reference_ids": c.queries.iter().map(|q| q.reference_id.clone()).collect::<Vec<_>>(),
        "attempts": c.attempts,
        "next_attempt_at": c.next_attempt_at,
        "signature": c.signature_note,
        "candidates": candidates,
    })
}

fn badge(c: &DuplicationCheck) -> String {
    match (c.state, c.result) {
        (CheckState::Completed, Some(r)) => r.label().to_string(),
        (CheckState::Failed, _) => "Failed".to_string(),
        (CheckState::Ready, _) if c.error_message.is_some() => "Queued (waiting to retry)".to_string(),
        (CheckState::Ready, _) => "Queued".to_string(),
        (CheckState::Checking, _) => "Checking".to_string(),
        (CheckState::Completed, None) => "Completed".to_string(),
    }
}

/// The check in lines a person reads. Names and identifiers (typed, or from
/// a roster file), explanations, errors and candidates (from the registry)
/// are [`inline`]d: none can add a line or act on the terminal.
fn check_text(c: &DuplicationCheck, ctx: &Context) -> String {
    let mut s = format!(
        "Check {}: {} — {} ({} {}) against {}\n",
        c.id,
        badge(c),
        inline(&c.applicant.display_name()),
        inline(&c.identifier_type.to_string()),
        inline(&c.identifier_value),
        inline(&c.data_source_name)
    );
    if let Some(e) = &c.explanation {
        s.push_str(&format!("  {}\n", inline(e)));
    }
    if !c.matched_programs.is_empty() {
        s.push_str(&format!("  Programmes: {}\n", inline(&c.matched_programs.join("; "))));
    }
    if let Some(e) = &c.error_message {
        s.push_str(&format!("  Error: {}\n", inline(e)));
    }
    for cand in ctx.store.candidates(c.id).unwrap_or_default() {
        let ids: Vec<String> = cand.identifiers.iter().map(ToString::to_string).collect();
        s.push_str(&format!(
            "  Candidate {}: {}, born {}, {}{}\n",
            cand.rank,
            inline(&cand.name),
            inline(cand.birth_date.as_deref().unwrap_or("?")),
            inline(&ids.join(", ")),
            if cand.confirms {
                " — confirms".to_string()
            } else {
                format!(" — {}", inline(&cand.reasons.join("; ")))
            }
        ));
    }
    if let Some(sig) = &c.signature_note {
        s.push_str(&format!("  Reply {}\n", inline(sig)));
    }
    s
}

fn print_check(c: &DuplicationCheck, ctx: &Context, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(&check_json(c, ctx))?);
    } else {
        print_text(&check_text(c, ctx));
    }
    Ok(())
}

pub fn check(ctx: &Context, a: CheckArgs) -> anyhow::Result<u8> {
    let source = ctx.source_by_name(&a.source)?;
    let new = a.applicant.to_new();
    new.validate().map_err(anyhow::Error::msg)?;
    let engine = ctx.engine()?;
    let events = engine.subscribe(None);
    let id = engine
        .request(|reply| Command::SubmitCheck {
            registrant: CheckSubject::New(new),
            data_source_id: source.id,
            reason: a.reason,
            reply,
        })
        .wait(Duration::from_secs(30))
        .map_err(|e| anyhow::Error::msg(e.two_lines()))?;
    let deadline = Instant::now() + Duration::from_secs(a.wait_secs);
    let mut was_checking = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            Ok(Event::ChecksChanged(changed)) if changed.contains(id) => {
                let c = ctx.store.check(id)?.context("the check disappeared")?;
                match c.state {
                    CheckState::Completed | CheckState::Failed => break,
                    CheckState::Checking => was_checking = true,
                    CheckState::Ready
                        if was_checking
                            && c.error_kind
                                .as_deref()
                                .and_then(ErrorKind::parse)
                                .is_some_and(ErrorKind::is_passing) =>
                    {
                        print_check(&c, ctx, a.json)?;
                        if !a.json {
                            say!(
                                "The registry is unreachable: the check stays queued. `ibr-desk queue run` runs it later."
                            );
                        }
                        engine.shutdown(Duration::from_secs(1));
                        return Ok(EXIT_QUEUED);
                    }
                    _ => {}
                }
            }
            Ok(_) => {}
            Err(_) => {
                let c = ctx.store.check(id)?.context("the check disappeared")?;
                print_check(&c, ctx, a.json)?;
                if !a.json {
                    say!("No outcome within {} s: the check stays queued.", a.wait_secs);
                }
                engine.shutdown(Duration::from_secs(1));
                return Ok(EXIT_QUEUED);
            }
        }
    }
    engine.shutdown(Duration::from_secs(1));
    let c = ctx.store.check(id)?.context("the check disappeared")?;
    print_check(&c, ctx, a.json)?;
    Ok(if c.state == CheckState::Completed {
        super::EXIT_OK
    } else {
        super::EXIT_FAILED
    })
}

/// Most checks `queue run` names in its text summary (`--json` names up to
/// [`QUEUE_LIST_JSON`]); both give the total.
const QUEUE_LIST_TEXT: usize = 20;
const QUEUE_LIST_JSON: u32 = 1_000;

/// Why a queued check did not run: its last error, or why it was not sent.
fn waiting_reason(c: &DuplicationCheck, ctx: &Context) -> String {
    if let Some(e) = &c.error_message {
        return e.clone();
    }
    match c.data_source_id.map(|id| ctx.store.data_source(id)) {
        Some(Ok(Some(s))) if !s.active => "not sent: the data source is paused".to_string(),
        Some(Ok(None)) | None => "not sent: the data source was removed".to_string(),
        _ => "not sent yet".to_string(),
    }
}

/// Runs every queued check now — those waiting out a back-off too — waits
/// until the engine is idle, and names what the registry did not answer.
/// Exit 0 when the queue is empty, [`EXIT_QUEUED`] when checks stay queued.
pub fn queue(ctx: &Context, cmd: QueueCommand) -> anyhow::Result<u8> {
    let QueueCommand::Run { json } = cmd;
    let before = ctx.store.queue_counts()?;
    // Before the engine starts, so that its first look at the queue finds them due.
    let made_due = ctx.store.make_queued_checks_due(&ctx.actor())?;
    let engine = ctx.engine()?;
    let events = engine.subscribe(None);
    let mut idle = engine.request(|reply| Command::RunDue { reply });
    let started = Instant::now();
    let (mut completed, mut requeued) = (0usize, 0usize);
    let mut failed_ids = Vec::new();
    let mut finished = std::collections::HashSet::new();
    let mut by_result = std::collections::BTreeMap::<&'static str, usize>::new();
    let mut on_event = |event: Event| -> anyhow::Result<()> {
        match event {
            Event::ChecksChanged(changed) => {
                for &id in &changed.ids {
                    let Some(c) = ctx.store.check(id)? else { continue };
                    match (c.state, c.result) {
                        (CheckState::Completed, Some(r)) if finished.insert(id) => {
                            completed += 1;
                            *by_result.entry(r.as_str()).or_default() += 1;
                        }
                        (CheckState::Failed, _) if finished.insert(id) => failed_ids.push(id),
                        _ => {}
                    }
                }
            }
            Event::BatchFinished { requeued: n, .. } => requeued += n,
            Event::Error(e) => say_err!("warning: {} ({})", e.message, inline(&e.detail)),
            _ => {}
        }
        Ok(())
    };
    loop {
        match events.recv_timeout(Duration::from_millis(200)) {
            Ok(event) => on_event(event)?,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => bail!("the engine stopped"),
        }
        match idle.poll() {
            None => {}
            Some(Ok(_waiting)) => {
                // What happened before the engine went idle is already queued: read it all.
                while let Ok(event) = events.try_recv() {
                    on_event(event)?;
                }
                break;
            }
            Some(Err(e)) => bail!("{}", e.two_lines()),
        }
    }
    engine.shutdown(Duration::from_secs(2));
    let after = ctx.store.queue_counts()?;
    let secs = started.elapsed().as_secs_f64();
    let waiting_rows = ctx.store.roster_checks_waiting()?;
    let queued = ctx.store.queued_checks(QUEUE_LIST_JSON)?;
    let failed: Vec<DuplicationCheck> = failed_ids
        .iter()
        .filter_map(|&id| ctx.store.check(id).ok().flatten())
        .collect();
    if json {
        let not_answered: Vec<Value> = queued
            .iter()
            .map(|c| {
                json!({
                    "check_id": c.id,
                    "data_source": c.data_source_name,
                    "error_kind": c.error_kind,
                    "error": waiting_reason(c, ctx),
                    "attempts": c.attempts,
                    "next_attempt_at": c.next_attempt_at,
                })
            })
            .collect();
        let failed_checks: Vec<Value> = failed
            .iter()
            .map(|c| {
                json!({
                    "check_id": c.id,
                    "data_source": c.data_source_name,
                    "error_kind": c.error_kind,
                    "error": c.error_message,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "queued_before": before.ready + before.checking,
                "made_due_now": made_due,
                "completed": completed,
                "results": by_result,
                "failed": failed_ids.len(),
                "failed_checks": failed_checks,
                "requeued": requeued,
                "still_queued": after.ready,
                "not_answered": not_answered,
                "roster_checks_waiting": waiting_rows,
                "seconds": secs,
            }))?
        );
    } else {
        say!(
            "Ran the queue in {secs:.1} s: {completed} completed ({}), {} failed, {} still queued.",
            if by_result.is_empty() {
                "none".to_string()
            } else {
                by_result
                    .iter()
                    .map(|(k, v)| format!("{v} {k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            failed_ids.len(),
            after.ready
        );
        for c in &failed {
            say!(
                "  Failed: check {} ({}): {}",
                c.id,
                inline(&c.data_source_name),
                inline(c.error_message.as_deref().unwrap_or("no reason recorded"))
            );
        }
        if !queued.is_empty() {
            say!("Not answered — these stay queued and run when the registry answers again:");
            for c in queued.iter().take(QUEUE_LIST_TEXT) {
                say!(
                    "  check {} ({}), {} attempt(s): {}",
                    c.id,
                    inline(&c.data_source_name),
                    c.attempts,
                    inline(&waiting_reason(c, ctx))
                );
            }
            let rows = after.ready.saturating_sub(waiting_rows);
            if rows > QUEUE_LIST_TEXT as u64 {
                say!(
                    "  … and {} more (`ibr-desk history --state ready`).",
                    rows - QUEUE_LIST_TEXT as u64
                );
            }
        }
        if waiting_rows > 0 {
            say!("  {waiting_rows} row(s) of imported rosters wait for their checks to be written and run.");
        }
    }
    Ok(if after.ready > 0 { EXIT_QUEUED } else { super::EXIT_OK })
}

pub fn history(ctx: &Context, a: HistoryArgs) -> anyhow::Result<u8> {
    let filter = a.filter.to_filter(ctx)?;
    let total = ctx.store.history_count(&filter)?;
    let page = ctx.store.history_page(&filter, a.offset, a.limit)?;
    // Checks of imported rows are written as they start: say how many wait.
    let roster_waiting = ctx.store.roster_checks_waiting()?;
    if a.json {
        let list: Vec<Value> = page.iter().map(|c| check_json(c, ctx)).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "total": total,
                "checks": list,
                "roster_checks_waiting": roster_waiting,
            }))?
        );
        return Ok(super::EXIT_OK);
    }
    if roster_waiting > 0 {
        say!(
            "{roster_waiting} check(s) of imported rosters wait in the queue; they are listed here once they start \
             (`ibr-desk queue run`)."
        );
    }
    say!(
        "{total} check(s){}",
        if total > page.len() as u64 {
            format!(", showing {}", page.len())
        } else {
            String::new()
        }
    );
    for c in page {
        say!(
            "{:>7}  {}  {:<26}  {:<28}  {} {}  {}",
            c.id,
            clock::local(c.check_date).format("%Y-%m-%d %H:%M"),
            badge(&c),
            inline(&c.applicant.display_name()),
            inline(&c.identifier_type.to_string()),
            inline(&c.identifier_value),
            inline(&c.data_source_name)
        );
    }
    Ok(super::EXIT_OK)
}

pub fn export(ctx: &Context, a: ExportArgs) -> anyhow::Result<u8> {
    let filter = a.filter.to_filter(ctx)?;
    let done = crate::roster::export_history(&ctx.store, &filter, &a.file, a.reveal_identifiers)?;
    say!(
        "Exported {} check(s) to {}{}.",
        done.rows,
        inline(&a.file.display().to_string()),
        if a.reveal_identifiers {
            ""
        } else {
            " (identifier values masked; --reveal-identifiers writes them in full)"
        }
    );
    Ok(super::EXIT_OK)
}
