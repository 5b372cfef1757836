fn main() -> std::process::ExitCode {
    tenantry::cli::main()
}
