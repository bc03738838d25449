fn main() -> std::process::ExitCode {
    ibr_desk::cli::main()
}
