//! The commands that run beside the scheduler: saving configuration,
//! fetching keys, testing a source, the demo registry, roles and reviews,
//! importing and exporting. Each runs as its own task and answers its
//! sender; when it changed what several screens show, it also tells every
//! subscriber (a new configuration, a role, decided reviews).

use std::sync::Arc;

use tokio::sync::mpsc;

use super::command::Command;
use super::{Shared, batch, config, demo, requests, roster, supervisor, trust};
use crate::domain::EngineError;

/// Takes the action lane's commands until the engine stops. A command of
/// the scheduler's lane that arrives here is passed on to it.
pub(super) async fn run(
    shared: Arc<Shared>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    scheduler: mpsc::UnboundedSender<Command>,
) {
    while let Some(cmd) = commands.recv().await {
        match cmd.lane() {
            super::command::Lane::Scheduler => {
                let _ = scheduler.send(cmd);
            }
            super::command::Lane::Action => {
                let s = shared.clone();
                tokio::spawn(async move { handle(&s, cmd).await });
            }
        }
    }
}

/// Runs one command and answers it.
pub(super) async fn handle(shared: &Arc<Shared>, cmd: Command) {
    match cmd {
        Command::TestSource { data_source_id, reply } => {
            reply.respond(
                batch::test_source(shared, data_source_id)
                    .await
                    .map_err(|e| e.saying("The connection test failed.")),
            );
        }
        Command::FetchSenderKeys { sender_row_id, reply } => {
            let outcome = async {
                supervisor::may_change_trust(shared)?;
                let n = trust::fetch_sender_keys(
                    shared.store.clone(),
                    sender_row_id,
                    shared.config.request_timeout,
                    shared.actor(),
                )
                .await
                .map_err(|e| EngineError::of(crate::domain::ErrorKind::Unreachable, e))?;
                config::changed(shared).await;
                Ok::<_, EngineError>(n)
            }
            .await;
            reply.respond(outcome.map_err(|e| e.saying("No key was fetched.")));
        }
        Command::SaveDataSource {
            id,
            source,
            secret,
            reply,
        } => reply.respond(requests::save_data_source(shared, id, source, secret).await),
        Command::DeleteDataSource { id, reply } => reply.respond(requests::delete_data_source(shared, id).await),
        Command::SaveSender {
            id,
            sender,
            sources,
            reply,
        } => reply.respond(requests::save_sender(shared, id, sender, sources).await),
        Command::DeleteSender { id, reply } => reply.respond(requests::delete_sender(shared, id).await),
        Command::FetchJwks {
            url,
            sender_id,
            insecure_http,
            reply,
        } => reply.respond(requests::fetch_jwks_for_form(shared, url, sender_id, insecure_http).await),
        Command::SaveSettings {
            officer_name,
            office_sender_id,
            reply,
        } => reply.respond(requests::save_settings(shared, officer_name, office_sender_id).await),
        Command::GenerateOfficeKey { reply } => reply.respond(requests::generate_office_key(shared).await),
        Command::EnsureDemoRegistry { reply } => reply.respond(demo::ensure(shared).await),
        Command::RunSampleChecks { reply } => reply.respond(demo::sample_checks(shared).await),
        Command::SetSupervisorPin { current, new, reply } => {
            reply.respond(supervisor::set_pin(shared, current, new).await)
        }
        Command::SwitchRole { role, pin, reply } => reply.respond(supervisor::switch_role(shared, role, pin).await),
        Command::DecideReview { review, reply } => reply.respond(supervisor::decide(shared, review).await),
        Command::BulkReview { filter, action, reply } => reply.respond(supervisor::bulk(shared, filter, action).await),
        Command::ImportRoster {
            path,
            mapping,
            data_source_id,
            reason,
            rejected_file,
            reply,
        } => reply.respond(roster::import(shared, path, mapping, data_source_id, reason, rejected_file).await),
        Command::CancelImport { reply } => reply.respond(Ok(roster::cancel(shared))),
        Command::ExportHistory {
            filter,
            path,
            reveal,
            reply,
        } => reply.respond(roster::export(shared, filter, path, reveal).await),
        // The scheduler's lane (see `Command::lane`): never routed here by
        // `CommandSender`, and passed on by `run` if it were.
        Command::SubmitCheck { reply, .. } => reply.respond(Err(misrouted())),
        Command::RunDue { reply } => reply.respond(Err(misrouted())),
        Command::RetryCheck { reply, .. } => reply.respond(Err(misrouted())),
        Command::ReloadConfig { reply } => reply.respond(Err(misrouted())),
        Command::Shutdown => {}
    }
}

fn misrouted() -> EngineError {
    EngineError::of(
        crate::domain::ErrorKind::Internal,
        "a scheduler command reached the action lane",
    )
}
