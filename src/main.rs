//! The `tenantry` binary: the command line over the `tenantry` library.

mod cli;

// mimalloc: the plan path allocates many small JSON values; glibc malloc/free was ~30 % of a
// 10,000-customer plan's profile (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
