//! The `nebula` command line.

/// mimalloc instead of glibc's malloc: a served call allocates on one thread and frees on
/// another (the request body, the response), which glibc's arenas make costly: malloc and
/// free were 20 % of the call pool's CPU, 6 % with mimalloc (docs/benchmarks.md, "Choices in
/// the server").
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // Started as a native null kernel (to measure the markers' cost): answer and exit.
    nebula::runtime::null::null_kernel_and_exit();
    nebula::cli::main()
}
