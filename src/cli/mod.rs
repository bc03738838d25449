//! The command line: the same code as the application, without a window,
//! for automation, integrators, tests and benchmarks.
//!
//! Each subcommand lives in its own file. Errors reach the user as one line
//! (`error: …`) and an exit code; nothing panics on bad input.

mod bench_cmd;
mod check_cmd;
mod config_cmd;
mod context;
mod dci_cmd;
mod demo;
mod import_cmd;
mod output;
mod sandbox_cmd;
mod search_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code of a command that worked.
pub const EXIT_OK: u8 = 0;
/// Exit code of a command that failed, or of a signature that does not verify.
pub const EXIT_FAILED: u8 = 1;
/// Exit code of bad usage (clap's own).
pub const EXIT_USAGE: u8 = 2;

/// IBR Desk: duplicate-enrolment checks against an Integrated Beneficiary
/// Registry over the DCI API standard.
#[derive(Debug, Parser)]
#[command(
    name = "ibr-desk",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("IBR_DESK_GIT_COMMIT"), ")"),
    about,
    long_about = None
)]
pub struct Cli {
    /// Where the database lives (default: the platform's data directory).
    #[arg(long, global = true, env = "IBR_DESK_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The screen the window opens on: checks, new-check, review, import, sources, senders, settings.
    #[arg(long, value_name = "SCREEN", value_parser = parse_screen)]
    pub screen: Option<crate::ui::Screen>,
    /// Print the time from launch to the window's first frame, then close it.
    #[arg(long, hide = true)]
    pub first_frame_report: bool,
    /// Check sample applicants of each kind against the built-in demo registry at start.
    #[arg(long)]
    pub sample_checks: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per run; boxing would only add noise
pub enum Command {
    /// Run the built-in sandbox IBR (a real DCI server with synthetic people) on loopback.
    Sandbox(sandbox_cmd::SandboxArgs),
    /// Sign and verify DCI messages, and manage the office's signing key.
    Dci {
        #[command(subcommand)]
        command: dci_cmd::DciCommand,
    },
    /// Search a registry for one identifier (or a name and birth date) and print what it answered.
    Search(search_cmd::SearchArgs),
    /// Start the sandbox, search it for a sample of each kind of person, and print the answers.
    Demo(demo::DemoArgs),
    /// Registries to query (data sources).
    Source {
        #[command(subcommand)]
        command: config_cmd::SourceCommand,
    },
    /// Registries whose signatures are trusted (IBR senders).
    Sender {
        #[command(subcommand)]
        command: config_cmd::SenderCommand,
    },
    /// Applicants.
    Registrant {
        #[command(subcommand)]
        command: config_cmd::RegistrantCommand,
    },
    /// The office's own DCI identity and signing key.
    Office {
        #[command(subcommand)]
        command: config_cmd::OfficeCommand,
    },
    /// Check an applicant for duplicate enrolment; exit 0 completed, 1 failed, 3 queued (registry unreachable).
    Check(check_cmd::CheckArgs),
    /// The queue of checks.
    Queue {
        #[command(subcommand)]
        command: check_cmd::QueueCommand,
    },
    /// Past checks, filtered and paged.
    History(check_cmd::HistoryArgs),
    /// Write checks to a CSV file (identifier values masked unless asked).
    Export(check_cmd::ExportArgs),
    /// Import a roster (CSV) of applicants, each with a queued check; rejected rows go to a CSV to fix.
    Import(import_cmd::ImportArgs),
    /// Measure throughput and paging speed.
    Bench {
        #[command(subcommand)]
        command: bench_cmd::BenchCommand,
    },
}

fn parse_screen(s: &str) -> Result<crate::ui::Screen, String> {
    crate::ui::Screen::from_arg(s)
        .ok_or_else(|| "expected checks, new-check, review, import, sources, senders or settings".to_string())
}

/// Entry point of the `ibr-desk` binary.
pub fn main() -> ExitCode {
    let launched = std::time::Instant::now();
    let cli = Cli::parse();
    init_logging(matches!(cli.command, Some(Command::Sandbox(_)) | None));
    let data_dir = cli.data_dir.clone();
    let result = match cli.command {
        Some(Command::Sandbox(args)) => sandbox_cmd::run(args),
        Some(Command::Dci { command }) => dci_cmd::run(command),
        Some(Command::Search(args)) => search_cmd::run(args),
        Some(Command::Demo(args)) => demo::run(args),
        Some(Command::Source { command }) => {
            context::Context::open(data_dir.as_deref()).and_then(|c| config_cmd::source(&c, command))
        }
        Some(Command::Sender { command }) => {
            context::Context::open(data_dir.as_deref()).and_then(|c| config_cmd::sender(&c, command))
        }
        Some(Command::Registrant { command }) => {
            context::Context::open(data_dir.as_deref()).and_then(|c| config_cmd::registrant(&c, command))
        }
        Some(Command::Office { command }) => {
            context::Context::open(data_dir.as_deref()).and_then(|c| config_cmd::office(&c, command))
        }
        Some(Command::Check(args)) => {
            context::Context::open(data_dir.as_deref()).and_then(|c| check_cmd::check(&c, args))
        }
        Some(Command::Queue { command }) => {
            context::Context::open(data_dir.as_deref()).and_then(|c| check_cmd::queue(&c, command))
        }
        Some(Command::History(args)) => {
            context::Context::open(data_dir.as_deref()).and_then(|c| check_cmd::history(&c, args))
        }
        Some(Command::Export(args)) => {
            context::Context::open(data_dir.as_deref()).and_then(|c| check_cmd::export(&c, args))
        }
        Some(Command::Import(args)) => {
            context::Context::open(data_dir.as_deref()).and_then(|c| import_cmd::run(&c, args))
        }
        Some(Command::Bench { command }) => bench_cmd::run(command),
        None => crate::ui::run(crate::ui::RunOptions {
            data_dir: data_dir.clone(),
            screen: cli.screen,
            first_frame_report: cli.first_frame_report,
            launched: Some(launched),
            sample_checks: cli.sample_checks,
        })
        .map(|()| EXIT_OK),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // Error details quote registries and files: printed escaped (`output::terminal_safe`).
            output::say_err!("error: {e:#}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

/// Logs go to standard error; `IBR_DESK_LOG` (a tracing filter such as
/// `debug` or `ibr_desk=trace`) overrides the level.
fn init_logging(server: bool) {
    let default = if server { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("IBR_DESK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// A multi-threaded tokio runtime for one command.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
