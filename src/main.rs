//! The `nebula` command line.

/// mimalloc instead of glibc's malloc: a served call allocates on one thread and frees on
/// another (the request body, the response), which glibc's arenas make costly: malloc and
/// free were 20 % of the call pool's CPU, 6 % with mimalloc (docs/benchmarks.md, "Choices in
/// the server").
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    nebula::cli::main()
}
