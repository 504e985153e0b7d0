//! The `nebula` command line.

/// mimalloc instead of glibc's malloc: a served call allocates on one thread and frees on
/// another (the request body, the response), which glibc's arenas make costly (see
/// docs/benchmarks.md, "Session 9").
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    nebula::cli::main()
}
