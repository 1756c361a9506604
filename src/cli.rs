//! Command line: clap definitions, dispatch and exit codes.

use std::process::ExitCode;

pub fn run() -> ExitCode {
    ExitCode::SUCCESS
}
