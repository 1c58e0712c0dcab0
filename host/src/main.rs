//! `lvyue`: the command line. The commands live in `cli/`, one file each.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
