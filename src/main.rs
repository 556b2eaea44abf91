//! The `mynawatch` binary: the command line lives in the library (`mynawatch::cli`).

fn main() -> std::process::ExitCode {
    mynawatch::cli::main()
}
