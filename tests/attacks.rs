//! The binary under attack (issue 16): closed and full standard output,
//! kills at every step of a render, two renders at once, inputs that
//! would take all memory, multi-byte values. Each test says what it would
//! have caught.

use crate::support::{bin, read_tree, repo, run};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn commerce() -> PathBuf {
    repo().join("blueprints/commerce.yaml")
}

/// The commerce blueprint changed so that a render replaces, adds and
/// removes files: the dev environment becomes `qa` (its files removed,
/// others added), the team tag changes (every root changes).
fn commerce_v2(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(commerce()).unwrap();
    let v2 = text
        .replace("\n  dev:   {", "\n  qa:    {")
        .replace("team: platform", "team: platform-2");
    assert_eq!(
        v2.matches("qa:").count(),
        1,
        "the fixture still declares dev"
    );
    assert!(
        v2.contains("platform-2"),
        "the fixture still has the team tag"
    );
    let file = dir.join("v2.yaml");
    std::fs::write(&file, v2).unwrap();
    file
}

fn args<'a>(cmd: &'a str, target: &'a str, file: &'a Path) -> Vec<&'a str> {
    vec![cmd, "-t", target, "-f", file.to_str().unwrap(), "-o", "out"]
}

/// `blueprint args` in `dir` with a fault injected, stderr piped.
fn spawn_with_fault(dir: &Path, args: &[&str], fault: &str) -> Child {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env("BLUEPRINT_FAULT", fault)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until `child` says it paused at its fault; false if it ended
/// first (the fault's step was never reached).
fn wait_for_pause(child: &mut Child) -> bool {
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let paused = lines.any(|l| l.is_ok_and(|l| l.starts_with("blueprint: paused at")));
    // Keep draining in the background so the child never blocks on stderr.
    std::thread::spawn(move || lines.for_each(drop));
    paused
}

/// The folder's files, without the pid file a killed render leaves (it
/// never matters: the kernel releases the lock with the process).
fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut t = read_tree(&dir.join("out"));
    t.remove(".blueprint-lock");
    t
}

#[test]
fn every_command_with_stdout_closed_exits_with_its_documented_code() {
    let tmp = tempfile::tempdir().unwrap();
    let file = commerce();
    let f = file.to_str().unwrap();
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (vec!["validate", "-f", f], 0),
        (vec!["validate", "-t", "lambda", "-f", f], 0),
        (vec!["render", "-t", "ecs", "-f", f, "-o", "r"], 0),
        (vec!["check", "-t", "ecs", "-f", f, "-o", "missing"], 1),
        (vec!["diff", "-t", "eks", "-f", f, "-o", "missing"], 1),
        (vec!["plan", "-f", f], 0),
        (vec!["plan", "--json", "-f", f], 0),
        (vec!["graph", "-f", f], 0),
        (vec!["graph", "--format", "dot", "-f", f], 0),
        (vec!["schema"], 0),
        (vec!["completions", "bash"], 0),
        (vec!["completions", "zsh"], 0),
        (vec!["generate", "--services", "200"], 0),
        (vec!["init", "-f", "new.yaml"], 0),
        (vec!["--help"], 0),
        (vec!["render", "--help"], 0),
        (vec!["--version"], 0),
        (vec!["render", "-t", "nowhere"], 2),
        (vec!["validate", "-f", "absent.yaml"], 2),
    ];
    for (args, code) in cases {
        // The reading end is closed before the command writes anything:
        // every write to stdout fails (EPIPE), as under `| head -1` once
        // head has its line.
        let mut child = Command::new(bin())
            .args(&args)
            .current_dir(tmp.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_full_stdout_is_an_error_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let file = commerce();
    for args in [vec!["plan", "-f", file.to_str().unwrap()], vec!["schema"]] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = Command::new(bin())
            .args(&args)
            .current_dir(tmp.path())
            .stdout(full)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("cannot write the output"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// Kills a render of v2 over v1 at `fault` (SIGKILL, as `kill -9`), then
/// checks that the folder holds one version: check reports the
/// interruption truthfully, and the next render of `then` (v1 or v2)
/// finds its own version complete and writes nothing.
fn kill_at(fault: &str, committed: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (v1, v2) = (commerce(), commerce_v2(dir));
    let r = run(dir, &args("render", "ecs", &v1));
    assert_eq!(r.code, 0, "{r}");
    std::fs::write(dir.join("out/prod/backend.tf"), "terraform {}\n").unwrap();
    let before = files(dir);
    let r = run(dir, &args("render", "ecs", &v2));
    assert_eq!(r.code, 0, "{r}");
    let after = files(dir);
    let r = run(dir, &args("render", "ecs", &v1));
    assert_eq!(r.code, 0, "{r}");
    assert_eq!(files(dir), before, "back to v1");

    let mut child = spawn_with_fault(dir, &args("render", "ecs", &v2), fault);
    assert!(wait_for_pause(&mut child), "{fault}: the step is reached");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // check cannot undo anything; it says what happened.
    let r = run(dir, &args("check", "ecs", &v1));
    if committed {
        assert_eq!(r.code, 1, "{fault}: v2 is in place: {r}");
        let r = run(dir, &args("check", "ecs", &v2));
        assert_eq!(r.code, 0, "{fault}: {r}");
    } else if fault.starts_with("stage") || fault.starts_with("journal") {
        // Nothing in place changed; only a staging folder is left.
        assert_eq!(r.code, 0, "{fault}: v1 is in place: {r}");
    } else {
        assert_eq!(r.code, 1, "{fault}: {r}");
        assert!(r.stderr.contains("interrupted"), "{fault}: {r}");
    }

    // The next render finishes or undoes the switch, and finds its own
    // version whole (nothing hand-edited, nothing to write).
    let (version, expected) = if committed {
        (&v2, &after)
    } else {
        (&v1, &before)
    };
    let r = run(dir, &args("render", "ecs", version));
    assert_eq!(r.code, 0, "{fault}: {r}");
    assert!(
        r.stderr.contains(" 0 written"),
        "{fault}: nothing left to write: {r}"
    );
    assert_eq!(&files(dir), expected, "{fault}: exactly one version");
    let r = run(dir, &args("check", "ecs", version));
    assert_eq!(r.code, 0, "{fault}: {r}");
    assert!(
        !r.listing.contains(".blueprint-staging"),
        "{fault}: staging swept: {r}"
    );
}

#[test]
fn a_render_killed_at_any_step_leaves_one_version_and_check_tells() {
    for fault in [
        "stage:1:pause",
        "stage:6:pause",
        "journal:1:pause",
        "rename:1:pause",
        "rename:5:pause",
        "rename:12:pause",
        "manifest:1:pause",
    ] {
        kill_at(fault, false);
    }
    kill_at("cleanup:1:pause", true);
}

#[test]
fn a_render_that_fails_mid_switch_leaves_the_old_version() {
    // The in-process failure (a full disk at the 7th change, or at the
    // manifest): undone before the command exits.
    for fault in ["rename:7:fail", "manifest:1:fail", "stage:3:fail"] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let (v1, v2) = (commerce(), commerce_v2(dir));
        assert_eq!(run(dir, &args("render", "ecs", &v1)).code, 0);
        let before = files(dir);
        let out = Command::new(bin())
            .args(args("render", "ecs", &v2))
            .current_dir(dir)
            .env("BLUEPRINT_FAULT", fault)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{fault}: {stderr}");
        assert!(stderr.contains("no space left on the device"), "{stderr}");
        assert!(!stderr.contains(".blueprint-staging"), "{fault}: {stderr}");
        assert_eq!(files(dir), before, "{fault}");
        let r = run(dir, &args("check", "ecs", &v1));
        assert_eq!(r.code, 0, "{fault}: {r}");
    }
}

#[test]
fn a_second_render_refuses_while_the_first_runs_and_names_its_pid() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (v1, v2) = (commerce(), commerce_v2(dir));
    assert_eq!(run(dir, &args("render", "ecs", &v1)).code, 0);
    let mut first = spawn_with_fault(dir, &args("render", "ecs", &v2), "rename:3:pause");
    assert!(wait_for_pause(&mut first));
    let pid = first.id();
    for cmd in ["render", "check", "diff"] {
        let r = run(dir, &args(cmd, "ecs", &v1));
        assert_eq!(r.code, 2, "{cmd}: {r}");
        assert!(r.stderr.contains("another blueprint"), "{cmd}: {r}");
    }
    let r = run(dir, &args("render", "ecs", &v1));
    assert!(r.stderr.contains(&format!("pid {pid}")), "{r}");
    first.kill().unwrap();
    first.wait().unwrap();
    let r = run(dir, &args("render", "ecs", &v1));
    assert_eq!(r.code, 0, "the lock died with its holder: {r}");
    assert_eq!(run(dir, &args("check", "ecs", &v1)).code, 0);
}

#[test]
fn renders_at_once_never_interleave() {
    // Without the lock, two renders of different versions left a manifest
    // that disagreed with the files. Whatever order they run in, the
    // folder ends as one of the two, with its manifest.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (v1, v2) = (commerce(), commerce_v2(dir));
    let spawn = |file: &Path| {
        Command::new(bin())
            .args(args("render", "ecs", file))
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    for _ in 0..4 {
        let (a, b) = (spawn(&v1), spawn(&v2));
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        for o in [&a, &b] {
            let stderr = String::from_utf8_lossy(&o.stderr);
            match o.status.code() {
                Some(0) => {}
                Some(2) => assert!(stderr.contains("another blueprint"), "{stderr}"),
                code => panic!("{code:?}: {stderr}"),
            }
        }
        let ok = [&v1, &v2]
            .iter()
            .filter(|v| run(dir, &args("check", "ecs", v)).code == 0)
            .count();
        assert_eq!(ok, 1, "exactly one version is in place");
    }
}

/// Runs `blueprint args` with at most 1 GB of address space.
fn run_limited(dir: &Path, args: &[&str]) -> crate::support::Run {
    let exe = bin();
    let mut all = vec!["--as=1000000000", exe.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = Command::new("prlimit")
        .args(&all)
        .current_dir(dir)
        .output()
        .expect("prlimit (util-linux) runs");
    crate::support::Run {
        args: args.iter().map(|s| s.to_string()).collect(),
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        listing: String::new(),
    }
}

#[test]
fn inputs_built_to_exhaust_memory_are_refused_within_1_gb() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let head = "version: 1\nname: a\nregion: eu-west-1\nservices:\n  api:\n    image: nginx:1\n    port: 80\n";
    let cases = [
        (
            "aliases.yaml",
            format!(
                "{head}x-big: &b \"{}\"\nx-list: [{}]\n",
                "x".repeat(60_000),
                vec!["*b"; 1000].join(",")
            ),
            "MiB of keys, values and paths",
        ),
        (
            "long-key.yaml",
            format!(
                "{head}? {}\n:\n{}",
                "k".repeat(1_000_000),
                "  - 1\n".repeat(3000)
            ),
            "this key is 1000000 bytes long",
        ),
        (
            "huge-scale.yaml",
            format!("{head}    scale: {{min: 4294967295, max: 4294967295}}\n"),
            "out of range",
        ),
    ];
    for (name, text, says) in cases {
        std::fs::write(dir.join(name), text).unwrap();
        for args in [
            vec!["validate", "-f", name],
            vec!["plan", "-f", name],
            vec!["render", "-t", "eks", "-f", name, "-o", "out"],
        ] {
            let r = run_limited(dir, &args);
            assert_eq!(r.code, 2, "{r}");
            assert!(r.stderr.contains(says), "{r}");
            assert!(
                r.stderr.len() < 20_000,
                "excerpts stay short: {}",
                r.stderr.len()
            );
        }
    }
    // The largest replica counts allowed plan and render in bounded memory.
    let most = format!("{head}    scale: {{min: 2147483647, max: 2147483647}}\n    spot: 50\n");
    std::fs::write(dir.join("most.yaml"), most).unwrap();
    for args in [
        vec!["plan", "-f", "most.yaml"],
        vec!["render", "-t", "eks", "-f", "most.yaml", "-o", "eks"],
        vec!["render", "-t", "ecs", "-f", "most.yaml", "-o", "ecs"],
    ] {
        let r = run_limited(dir, &args);
        assert_eq!(r.code, 0, "{r}");
    }
}

#[test]
fn twenty_thousand_errors_are_all_counted_and_briefly_shown() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "version: 1\nname: a\nregion: eu-west-1\nservices:\n  api:\n    image: nginx:1\n    port: 80\n",
    );
    for i in 0..20_000 {
        text.push_str(&format!("    unknown{i:05}: x\n"));
    }
    std::fs::write(tmp.path().join("many.yaml"), text).unwrap();
    // How fast is a benchmark's business (`cargo bench -- diagnostics`);
    // this checks that every error is counted and few are printed.
    let r = run(tmp.path(), &["validate", "-f", "many.yaml"]);
    assert_eq!(r.code, 2, "{r}");
    assert!(
        r.stderr.contains("and 19950 more error(s) not shown"),
        "{}",
        &r.stderr[..500]
    );
    assert!(r.stderr.contains("20000 error(s)"));
    assert!(
        r.stderr.len() < 64 * 1024,
        "{} bytes of stderr",
        r.stderr.len()
    );
}

#[test]
fn multi_byte_values_are_errors_not_panics() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "version: 1\nname: a\nregion: eu-west-1\nservices:\n  api:\n    image: nginx:1\n    port: 80\n    health: { interval: 30秒, timeout: 1ß }\n    cpu: 1é\n    memory: 1éMi\nqueues:\n  q: { retention: é }\n";
    std::fs::write(tmp.path().join("b.yaml"), text).unwrap();
    let r = run(tmp.path(), &["validate", "-f", "b.yaml"]);
    assert_eq!(r.code, 2, "{r}");
    for bad in ["30秒", "1ß", "1é", "é"] {
        assert!(r.stderr.contains(&format!("`{bad}`")), "{bad}: {r}");
    }
    assert!(!r.stderr.contains("panicked"), "{r}");
    // A byte order mark is not part of the first key.
    let bom = format!("\u{feff}{}", std::fs::read_to_string(commerce()).unwrap());
    std::fs::write(tmp.path().join("bom.yaml"), bom).unwrap();
    let r = run(tmp.path(), &["validate", "-f", "bom.yaml"]);
    assert_eq!(r.code, 0, "{r}");
}

#[test]
fn out_naming_a_file_or_a_link_inside_says_what_is_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("out"), "a file\n").unwrap();
    let r = run(dir, &args("render", "ecs", &commerce()));
    assert_eq!(r.code, 2, "{r}");
    assert!(r.stderr.contains("out is a file, not a folder"), "{r}");
    assert!(!r.stderr.contains("os error"), "{r}");

    // A link inside the folder: refused, the outside untouched.
    std::fs::remove_file(dir.join("out")).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.join("out")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), dir.join("out/prod")).unwrap();
    for cmd in ["render", "check", "diff"] {
        let r = run(dir, &args(cmd, "ecs", &commerce()));
        assert_eq!(r.code, 2, "{cmd}: {r}");
        assert!(
            r.stderr.contains("out/prod is a symbolic link"),
            "{cmd}: {r}"
        );
    }
    assert!(read_tree(elsewhere.path()).is_empty());
}

#[test]
fn a_render_for_another_target_is_refused_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert_eq!(run(dir, &args("render", "ecs", &commerce())).code, 0);
    let ecs = files(dir);
    let r = run(dir, &args("render", "eks", &commerce()));
    assert_eq!(r.code, 2, "{r}");
    assert!(r.stderr.contains("holds the ecs render"), "{r}");
    assert_eq!(files(dir), ecs, "nothing deleted");
    let file = commerce();
    let mut forced = args("render", "eks", &file);
    forced.push("--force");
    assert_eq!(run(dir, &forced).code, 0);
    assert_eq!(run(dir, &args("check", "eks", &commerce())).code, 0);
}

#[test]
fn check_fails_without_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert_eq!(run(dir, &args("render", "lambda", &commerce())).code, 0);
    std::fs::remove_file(dir.join("out/.blueprint-manifest.json")).unwrap();
    let r = run(dir, &args("check", "lambda", &commerce()));
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stdout.contains(".blueprint-manifest.json"), "{r}");
    let r = run(dir, &args("diff", "lambda", &commerce()));
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stderr.contains("manifest"), "{r}");
}

/// A small tmpfs, unmounted when dropped; None where mounting is not
/// allowed (the test then says it did not run).
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(bytes: usize) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn available(&self) -> u64 {
        let st = rustix::fs::statvfs(self.path()).unwrap();
        st.f_bavail * st.f_frsize
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

#[test]
fn a_full_disk_at_any_point_of_a_render_leaves_one_version() {
    let Some(disk) = SmallDisk::mount(4 << 20) else {
        eprintln!("a_full_disk_…: mount is not allowed here; not run");
        return;
    };
    let dir = disk.path();
    let work = tempfile::tempdir().unwrap();
    let (v1, v2) = (commerce(), commerce_v2(work.path()));
    // The two versions' trees, rendered elsewhere.
    let reference = |file: &Path| {
        let t = tempfile::tempdir().unwrap();
        assert_eq!(run(t.path(), &args("render", "ecs", file)).code, 0);
        files(t.path())
    };
    let (old, new) = (reference(&v1), reference(&v2));
    let new_bytes: usize = new.values().map(Vec::len).sum();
    let filler = dir.join("filler");
    let mut outcomes = std::collections::BTreeMap::new();
    // From a full disk to room for the whole new tree twice over, 8 KiB
    // at a time: every write of the render is the first to fail at some
    // point of the band.
    for free in (0..2 * new_bytes as u64 + 65536).step_by(8192) {
        let _ = std::fs::remove_dir_all(dir.join("out"));
        let _ = std::fs::remove_file(&filler);
        assert_eq!(run(dir, &args("render", "ecs", &v1)).code, 0);
        let avail = disk.available();
        let fill = avail.saturating_sub(free);
        std::fs::write(&filler, vec![0u8; fill as usize]).ok();
        let r = run(dir, &args("render", "ecs", &v2));
        assert!(r.code == 0 || r.code == 2, "{free}: {r}");
        assert!(!r.stderr.contains("panicked"), "{free}: {r}");
        let now = files(dir);
        let which = if now == old {
            "old"
        } else if now == new {
            "new"
        } else {
            panic!("{free} bytes free: neither version: {r}");
        };
        assert_eq!(r.code == 0, which == "new", "{free}: {r}");
        if r.code == 2 {
            assert!(r.stderr.contains("no space left"), "{free}: {r}");
            assert!(!r.stderr.contains(".blueprint-staging"), "{free}: {r}");
        }
        let _ = std::fs::remove_file(&filler);
        let (good, bad) = if which == "new" {
            (&v2, &v1)
        } else {
            (&v1, &v2)
        };
        assert_eq!(run(dir, &args("check", "ecs", good)).code, 0, "{free}");
        assert_eq!(run(dir, &args("check", "ecs", bad)).code, 1, "{free}");
        *outcomes.entry(which).or_insert(0) += 1;
    }
    assert!(
        outcomes.contains_key("old") && outcomes.contains_key("new"),
        "{outcomes:?}"
    );
}
