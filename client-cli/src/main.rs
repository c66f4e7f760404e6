//! `isacx`: see the crate `isacx_cli` for everything; this file only starts it.

fn main() -> std::process::ExitCode {
    isacx_cli::main()
}
