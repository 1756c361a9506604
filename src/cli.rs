//! Command line: clap definitions, dispatch and exit codes. Knows no
//! resource type: it wires parse/normalize -> target -> render -> write.

use crate::diag::Diagnostic;
use crate::model::{Model, Target};
use crate::stdio::{self, Stdout};
use crate::{aws, graph, normalize, plan, render, review, targets, write};
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
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
    /// Print what render would change: resources added, changed and removed,
    /// every change that widens access, then unified diffs; exit 1 if there are any.
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
    /// Print the JSON Schema (draft 2020-12) of the blueprint format, for editors.
    Schema,
    /// Write a commented starter blueprint (never overwrites a file).
    #[command(after_help = EXIT_CODES)]
    Init {
        /// Where to write it.
        #[arg(long, short, default_value = "blueprint.yaml")]
        file: PathBuf,
    },
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Compare the targets: fit, resources, monthly cost per environment, recommendation.
    #[command(after_help = EXIT_CODES)]
    Plan {
        /// The blueprint file.
        #[arg(long, short, default_value = "blueprint.yaml")]
        file: PathBuf,
        /// Print the plan as JSON (the shape is documented in docs/plan.md).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        assumptions: AssumptionArgs,
    },
    /// Print the services, queues and jobs with their edges as a diagram.
    #[command(after_help = EXIT_CODES)]
    Graph {
        /// The blueprint file.
        #[arg(long, short, default_value = "blueprint.yaml")]
        file: PathBuf,
        #[arg(long, value_enum, default_value = "mermaid")]
        format: GraphFormat,
    },
    /// Check the blueprint (and, with --target, that it fits the target) without writing.
    #[command(after_help = EXIT_CODES)]
    Validate {
        /// Also check that the blueprint fits this target.
        #[arg(long, short, value_enum)]
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

/// Traffic the blueprint does not state (per environment); see docs/plan.md.
#[derive(clap::Args, Debug)]
struct AssumptionArgs {
    /// HTTP requests a month, split evenly over HTTP services and tenants.
    #[arg(long, default_value_t = 1_000_000)]
    requests_per_month: u64,
    /// Average time to handle one request or message, in milliseconds.
    #[arg(long, default_value_t = 200)]
    avg_duration_ms: u64,
    /// Queue messages a month, split evenly over queues and tenants.
    #[arg(long, default_value_t = 1_000_000)]
    messages_per_month: u64,
    /// Share of its timeout a job run lasts (0 to 1).
    #[arg(long, default_value_t = 0.5, value_parser = fraction)]
    job_duration_fraction: f64,
    /// Average load balancer capacity units per ALB.
    #[arg(long, default_value_t = 1.0, value_parser = non_negative)]
    lcu: f64,
    /// GB a month through NAT.
    #[arg(long, default_value_t = 100.0, value_parser = non_negative)]
    nat_gb_per_month: f64,
    /// NAT gateways [default: one per private subnet of the blueprint, else 2].
    #[arg(long)]
    nat_gateways: Option<u32>,
}

fn non_negative(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("`{s}` is not a number of at least 0")),
    }
}

fn fraction(s: &str) -> Result<f64, String> {
    match non_negative(s) {
        Ok(v) if v <= 1.0 => Ok(v),
        _ => Err(format!("`{s}` is not a number from 0 to 1")),
    }
}

impl From<AssumptionArgs> for plan::Assumptions {
    fn from(a: AssumptionArgs) -> plan::Assumptions {
        plan::Assumptions {
            requests_per_month: a.requests_per_month,
            avg_duration_ms: a.avg_duration_ms,
            messages_per_month: a.messages_per_month,
            job_duration_fraction: a.job_duration_fraction,
            lcu: a.lcu,
            nat_gb_per_month: a.nat_gb_per_month,
            nat_gateways: a.nat_gateways,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum GraphFormat {
    Mermaid,
    Dot,
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
    let mut out = Stdout::new();
    let code = match dispatch(cli.command, &mut out) {
        Ok(()) => 0,
        Err(Failure::Drift) => 1,
        Err(Failure::Refused) => 2,
    };
    // A reader that closed the pipe early (`| head -1`) saw what it
    // wanted: the command's own code stands. Output that could not be
    // written (a full disk) is an error.
    match out.finish() {
        Ok(()) => ExitCode::from(code),
        Err(e) => {
            stdio::eprintln(&format!("error: cannot write the output: {e}"));
            ExitCode::from(2)
        }
    }
}

fn dispatch(command: Command, out: &mut Stdout) -> Result<(), Failure> {
    match command {
        Command::Generate { services, tenants } => {
            out.print(&crate::generate::blueprint(&crate::generate::Shape {
                services,
                tenants,
            }));
            Ok(())
        }
        Command::Schema => {
            out.print(&crate::schema::to_string());
            Ok(())
        }
        Command::Init { file } => init(&file),
        Command::Completions { shell } => {
            // Into memory first: clap_complete panics when its writer fails.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "blueprint", &mut script);
            out.write(&script);
            Ok(())
        }
        Command::Plan {
            file,
            json,
            assumptions,
        } => {
            let (model, _) = load(&file)?;
            let p = plan::build(&model, &assumptions.into());
            if json {
                let mut text =
                    serde_json::to_string_pretty(&plan::json(&p)).expect("a JSON value serializes");
                text.push('\n');
                out.print(&text);
            } else {
                out.print(&plan::text(&p));
            }
            Ok(())
        }
        Command::Graph { file, format } => {
            let (model, _) = load(&file)?;
            let format = match format {
                GraphFormat::Mermaid => graph::Format::Mermaid,
                GraphFormat::Dot => graph::Format::Dot,
            };
            out.print(&graph::render(&model, format));
            Ok(())
        }
        Command::Validate { target, file } => {
            let (model, source) = load(&file)?;
            match target {
                Some(t) => check_fit(&model, t.into(), &file, &source)?,
                None => check_names(&model, &file, &source)?,
            }
            stdio::eprintln(&format!("{}: valid", file.display()));
            Ok(())
        }
        Command::Render { io, force } => {
            let p = produce(&io, write::Mode::Write, force)?;
            let out = p.stage.out_dir().to_path_buf();
            let report = write::finish(p.stage, p.staged, force).map_err(refuse_write)?;
            for note in p.notes {
                stdio::eprintln(&format!("note: {note}"));
            }
            stdio::eprintln(&format!("{}: {report}", out.display()));
            Ok(())
        }
        Command::Check { io } => {
            let p = produce(&io, write::Mode::Check, false)?;
            let dir = p.stage.out_dir().to_path_buf();
            let changes = write::changes(p.stage, p.staged).map_err(refuse_write)?;
            for note in p.notes {
                stdio::eprintln(&format!("note: {note}"));
            }
            if changes.is_empty() {
                stdio::eprintln(&format!("{}: up to date", dir.display()));
                return Ok(());
            }
            for c in &changes {
                out.print(&format!("{c}\n"));
            }
            stdio::eprintln(&format!(
                "{}: {} file(s) differ from the blueprint; run `blueprint diff` to see how, `blueprint render` to update",
                dir.display(),
                changes.len()
            ));
            Err(Failure::Drift)
        }
        Command::Diff { io } => {
            let p = produce(&io, write::Mode::Diff, false)?;
            let dir = p.stage.out_dir().to_path_buf();
            let d = write::diff(p.stage, p.staged).map_err(refuse_write)?;
            for note in p.notes {
                stdio::eprintln(&format!("note: {note}"));
            }
            let diff: String = d.files.iter().map(write::FileDiff::unified).collect();
            if !diff.is_empty() {
                out.print(&format!("{}\n{diff}", summarize(&d.files, &p.context)));
            }
            if let Some(kind) = d.manifest {
                let what = match kind {
                    write::ChangeKind::Added => "is missing",
                    _ => "does not match the files",
                };
                stdio::eprintln(&format!(
                    "{}: the manifest ({}) {what}; `blueprint render` writes it",
                    dir.display(),
                    write::MANIFEST
                ));
            }
            if diff.is_empty() && d.manifest.is_none() {
                return Ok(());
            }
            Err(Failure::Drift)
        }
    }
}

/// Prints a writer's error; exit 1 when the folder is only out of date.
fn refuse_write(e: write::WriteError) -> Failure {
    let code = e.code();
    stdio::eprintln(&format!("error: {e}"));
    if code == 1 {
        Failure::Drift
    } else {
        Failure::Refused
    }
}

fn refuse(e: impl std::fmt::Display) -> Failure {
    stdio::eprintln(&format!("error: {e}"));
    Failure::Refused
}

/// The model and the blueprint's text (for error excerpts).
fn load(file: &Path) -> Result<(Model, String), Failure> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| refuse(format!("cannot read {}: {e}", file.display())))?;
    // Without the byte order mark, so that excerpts line up with columns.
    let source = crate::parse::strip_bom(&text).to_owned();
    match normalize::load(&source) {
        Ok(model) => Ok((model, source)),
        Err(diags) => Err(report(&diags, file, &source)),
    }
}

fn report(diags: &[Diagnostic], file: &Path, source: &str) -> Failure {
    let name = file.display().to_string();
    let color = crate::diag::use_color(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
        std::env::var_os("CLICOLOR_FORCE").as_deref(),
    );
    stdio::eprintln(&crate::diag::report(diags, &name, source, color));
    Failure::Refused
}

/// Whether `model` fits `target` and the names it would get there are
/// unique and acceptable to AWS.
fn check_fit(model: &Model, target: Target, file: &Path, source: &str) -> Result<(), Failure> {
    let mut diags = normalize::fit(model, target);
    if diags.is_empty() {
        diags = aws::registry::check(model, target);
    }
    if diags.is_empty() {
        Ok(())
    } else {
        Err(report(&diags, file, source))
    }
}

/// Whether the names every fitting target would generate are unique and
/// acceptable to AWS (`validate` without a target).
fn check_names(model: &Model, file: &Path, source: &str) -> Result<(), Failure> {
    let mut diags = Vec::new();
    for t in Target::ALL {
        if normalize::fit(model, t).is_empty() {
            diags.extend(aws::registry::check(model, t).into_iter().map(|mut d| {
                d.message = format!("{} [{} target]", d.message, t.as_str());
                d
            }));
        }
    }
    if diags.is_empty() {
        Ok(())
    } else {
        Err(report(&crate::diag::sorted_unique(diags), file, source))
    }
}

/// Writes the starter blueprint to `file`, refusing to replace anything.
fn init(file: &Path) -> Result<(), Failure> {
    use std::io::Write;
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file);
    let mut f = match created {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(refuse(format!(
                "{} already exists; blueprint init never overwrites a file (pass --file to write elsewhere)",
                file.display()
            )))
        }
        Err(e) => return Err(refuse(format!("cannot create {}: {e}", file.display()))),
    };
    f.write_all(crate::starter::STARTER.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| refuse(format!("cannot write {}: {e}", file.display())))?;
    stdio::eprintln(&format!(
        "{}: written; `blueprint schema > blueprint.schema.json` gives your editor completion and checks",
        file.display()
    ));
    Ok(())
}

/// The review of what `diff` shows: both sides of every changed file,
/// and as context the unchanged Terraform files of the same folders (a
/// changed variable default changes the resources of the root's other
/// files).
fn summarize(files: &[write::FileDiff], context: &BTreeMap<String, Vec<u8>>) -> review::Review {
    let folder = |p: &str| p.rsplit_once('/').map_or("", |(d, _)| d).to_string();
    let changed: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let folders: BTreeSet<String> = files.iter().map(|f| folder(&f.path)).collect();
    let mut input: Vec<review::FileChange> = files
        .iter()
        .map(|f| review::FileChange {
            path: &f.path,
            old: f.old.as_deref(),
            new: f.new.as_deref(),
        })
        .collect();
    input.extend(
        context
            .iter()
            .filter(|(p, _)| !changed.contains(p.as_str()) && folders.contains(&folder(p)))
            .map(|(p, b)| review::FileChange {
                path: p,
                old: Some(b),
                new: Some(b),
            }),
    );
    review::review(&input)
}

/// A render staged for its output folder, with the notes for the user.
struct Produced {
    stage: write::Stage,
    staged: Vec<write::Staged>,
    notes: Vec<String>,
    /// `Mode::Diff`: the rendered Terraform root files (not the fixed
    /// modules), the review's context for the files that change.
    context: BTreeMap<String, Vec<u8>>,
}

/// Everything up to the staged files: load, fit, lower, then render each
/// file and stage it for `mode` on the thread that rendered it (see
/// `write::Stage`), so that no more than a few files' bytes are held at once.
fn produce(io: &Io, mode: write::Mode, force: bool) -> Result<Produced, Failure> {
    let target: Target = io.target.into();
    let (model, source) = load(&io.file)?;
    check_fit(&model, target, &io.file, &source)?;
    if !targets::is_implemented(target) {
        let available: Vec<&str> = Target::ALL
            .iter()
            .filter(|t| targets::is_implemented(**t))
            .map(|t| t.as_str())
            .collect();
        return Err(refuse(format!(
            "the {} target is not implemented yet; available: {}",
            target.as_str(),
            available.join(", ")
        )));
    }
    let model = std::sync::Arc::new(model);
    let output = crate::pipeline::lower(&model, target);
    let out = io
        .out
        .clone()
        .unwrap_or_else(|| Path::new("infra").join(target.as_str()));
    let paths = output.files.keys().cloned().collect();
    let stage =
        write::Stage::new(&out, mode, paths, target.as_str(), force).map_err(refuse_write)?;
    // `diff` reads a Terraform root as a whole: the unchanged files of a
    // changed folder (variable defaults) are the review's context.
    let context = std::sync::Mutex::new(BTreeMap::new());
    let staged = render::render_each(output.files, |path, bytes| {
        if mode == write::Mode::Diff && path.ends_with(".tf") && !path.starts_with("modules/") {
            if let Ok(mut c) = context.lock() {
                c.insert(path.clone(), bytes.clone());
            }
        }
        stage.stage(path, bytes)
    })
    .into_iter()
    .collect::<Result<Vec<_>, _>>()
    .map_err(refuse_write)?;
    let mut notes = stage.notes().to_vec();
    notes.extend(output.notes);
    // The process ends soon after: freeing a model of thousands of
    // services costs tens of milliseconds for nothing.
    std::mem::forget(model);
    Ok(Produced {
        stage,
        staged,
        notes,
        context: context.into_inner().unwrap_or_default(),
    })
}
