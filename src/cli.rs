//! Command line: clap definitions, dispatch and exit codes. Knows no
//! resource type: it wires parse/normalize -> target -> render -> write.

use crate::diag::Diagnostic;
use crate::model::{Model, Target};
use crate::{normalize, render, target, write};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const EXIT_CODES: &str = "\
Exit codes:
  0  success (render wrote the files; check and diff found no difference)
  1  check or diff found differences between the blueprint and the output folder
  2  the blueprint is invalid or does not fit the target, the output folder
     cannot be written safely, or the command line is wrong";

#[derive(Parser, Debug)]
#[command(
    name = "blueprint",
    version,
    about = "Render one platform-neutral blueprint into ECS, EKS or Lambda infrastructure code",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Write the target's files into the output folder (every environment and tenant).
    #[command(after_help = EXIT_CODES)]
    Render {
        #[command(flatten)]
        io: Io,
        /// Overwrite generated files that were edited by hand, and files blueprint did not write.
        #[arg(long)]
        force: bool,
    },
    /// Exit 1 if the output folder differs from what render would write.
    #[command(after_help = EXIT_CODES)]
    Check {
        #[command(flatten)]
        io: Io,
    },
    /// Print unified diffs of what render would change; exit 1 if there are any.
    #[command(after_help = EXIT_CODES)]
    Diff {
        #[command(flatten)]
        io: Io,
    },
    /// Print a valid blueprint of the given size (for benchmarks).
    #[command(hide = true)]
    Generate {
        /// Number of services (queues: a third; jobs: a fifth).
        #[arg(long, default_value_t = 100)]
        services: usize,
        /// Number of tenants (every fifth is dedicated).
        #[arg(long, default_value_t = 10)]
        tenants: usize,
    },
    /// Check the blueprint (and, with --target, that it fits the target) without writing.
    #[command(after_help = EXIT_CODES)]
    Validate {
        /// Also check that the blueprint fits this target.
        #[arg(long, value_enum)]
        target: Option<TargetArg>,
        /// The blueprint file.
        #[arg(long, short, default_value = "blueprint.yaml")]
        file: PathBuf,
    },
}

#[derive(clap::Args, Debug)]
struct Io {
    /// Which platform to render for.
    #[arg(long, short, value_enum)]
    target: TargetArg,
    /// The blueprint file.
    #[arg(long, short, default_value = "blueprint.yaml")]
    file: PathBuf,
    /// Output folder [default: infra/<target>].
    #[arg(long, short)]
    out: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum TargetArg {
    Ecs,
    Eks,
    Lambda,
}

impl From<TargetArg> for Target {
    fn from(t: TargetArg) -> Target {
        match t {
            TargetArg::Ecs => Target::Ecs,
            TargetArg::Eks => Target::Eks,
            TargetArg::Lambda => Target::Lambda,
        }
    }
}

/// Why a command stopped, mapped to an exit code in one place.
enum Failure {
    /// Exit 1: check/diff found differences.
    Drift,
    /// Exit 2: the message was already printed.
    Refused,
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Drift) => ExitCode::from(1),
        Err(Failure::Refused) => ExitCode::from(2),
    }
}

fn dispatch(command: Command) -> Result<(), Failure> {
    match command {
        Command::Generate { services, tenants } => {
            print!(
                "{}",
                crate::generate::blueprint(&crate::generate::Shape { services, tenants })
            );
            Ok(())
        }
        Command::Validate { target, file } => {
            let model = load(&file)?;
            if let Some(t) = target {
                check_fit(&model, t.into(), &file)?;
            }
            eprintln!("{}: valid", file.display());
            Ok(())
        }
        Command::Render { io, force } => {
            let (out, files, notes) = produce(&io)?;
            let report = write::write(&out, &files, force).map_err(refuse)?;
            for note in notes {
                eprintln!("note: {note}");
            }
            eprintln!("{}: {report}", out.display());
            Ok(())
        }
        Command::Check { io } => {
            let (out, files, _) = produce(&io)?;
            let changes = write::changes(&out, &files).map_err(refuse)?;
            if changes.is_empty() {
                eprintln!("{}: up to date", out.display());
                return Ok(());
            }
            for c in &changes {
                println!("{c}");
            }
            eprintln!(
                "{}: {} file(s) differ from the blueprint; run `blueprint diff` to see how, `blueprint render` to update",
                out.display(),
                changes.len()
            );
            Err(Failure::Drift)
        }
        Command::Diff { io } => {
            let (out, files, _) = produce(&io)?;
            let diff = write::diff(&out, &files).map_err(refuse)?;
            if diff.is_empty() {
                return Ok(());
            }
            print!("{diff}");
            Err(Failure::Drift)
        }
    }
}

fn refuse(e: impl std::fmt::Display) -> Failure {
    eprintln!("error: {e}");
    Failure::Refused
}

fn load(file: &Path) -> Result<Model, Failure> {
    let source = std::fs::read_to_string(file)
        .map_err(|e| refuse(format!("cannot read {}: {e}", file.display())))?;
    normalize::load(&source).map_err(|diags| report(&diags, file))
}

fn report(diags: &[Diagnostic], file: &Path) -> Failure {
    let name = file.display().to_string();
    for d in diags {
        eprintln!("{}", d.display(&name));
    }
    eprintln!("{name}: {} error(s); nothing was written", diags.len());
    Failure::Refused
}

fn check_fit(model: &Model, target: Target, file: &Path) -> Result<(), Failure> {
    let diags = normalize::fit(model, target);
    if diags.is_empty() {
        Ok(())
    } else {
        Err(report(&diags, file))
    }
}

/// Everything up to the bytes of every file: load, fit, lower, render.
fn produce(io: &Io) -> Result<(PathBuf, write::Rendered, Vec<String>), Failure> {
    let target: Target = io.target.into();
    let model = load(&io.file)?;
    check_fit(&model, target, &io.file)?;
    if !target::is_implemented(target) {
        let available: Vec<&str> = Target::ALL
            .iter()
            .filter(|t| target::is_implemented(**t))
            .map(|t| t.as_str())
            .collect();
        return Err(refuse(format!(
            "the {} target is not implemented yet; available: {}",
            target.as_str(),
            available.join(", ")
        )));
    }
    let output = target::lower(&model, target);
    let files = output
        .files
        .iter()
        .map(|(path, doc)| (path.clone(), render::render(doc)))
        .collect();
    let out = io
        .out
        .clone()
        .unwrap_or_else(|| Path::new("infra").join(target.as_str()));
    Ok((out, files, output.notes))
}
