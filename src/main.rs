//! The `nebula` command line.

fn main() -> std::process::ExitCode {
    nebula::cli::main()
}
