//! The `ibr-desk` binary: the command line (and, without a command, the application).

/// mimalloc instead of the system allocator: checks allocate many small JSON
/// values on several threads, where glibc's allocator spends a third of the
/// time (measured with `perf` on `ibr-desk bench checks`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    ibr_desk::cli::main()
}
