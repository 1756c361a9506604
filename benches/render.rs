//! In-process stages of `blueprint render`, on generated blueprints of
//! 10, 100 and 1,000 services x 10 tenants x 3 environments (see
//! docs/performance.md): load+normalize, lower, and render to bytes, for
//! every target that `targets::is_implemented`. Writing to disk is timed by
//! `benches/e2e.sh`, with the whole release binary.
//!
//! `cargo bench` runs all of it; `cargo bench -- lower/ecs` one group.

use blueprint::generate::{blueprint, Shape};
use blueprint::model::Target;
use blueprint::{normalize, render, targets};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;

const SERVICES: [usize; 3] = [10, 100, 1000];
const TENANTS: usize = 10;

fn source(services: usize) -> String {
    blueprint(&Shape {
        services,
        tenants: TENANTS,
    })
}

fn targets() -> impl Iterator<Item = Target> {
    Target::ALL
        .iter()
        .copied()
        .filter(|t| targets::is_implemented(*t))
}

fn stages(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    for n in SERVICES {
        let src = source(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &src, |b, src| {
            b.iter(|| normalize::load(black_box(src)).expect("generated blueprints are valid"))
        });
    }
    group.finish();

    for t in targets() {
        let mut lower = c.benchmark_group(format!("lower/{}", t.as_str()));
        for n in SERVICES {
            let model = std::sync::Arc::new(
                normalize::load(&source(n)).expect("generated blueprints are valid"),
            );
            assert!(
                normalize::fit(&model, t).is_empty(),
                "the generated blueprint must fit {}",
                t.as_str()
            );
            lower.throughput(Throughput::Elements(n as u64));
            lower.bench_with_input(BenchmarkId::from_parameter(n), &model, |b, m| {
                b.iter(|| targets::lower(black_box(m), t))
            });
        }
        lower.finish();

        let mut bytes = c.benchmark_group(format!("render/{}", t.as_str()));
        for n in SERVICES {
            let model = std::sync::Arc::new(
                normalize::load(&source(n)).expect("generated blueprints are valid"),
            );
            let output = targets::lower(&model, t);
            let size: usize = output.files.values().map(|d| render::render(d).len()).sum();
            bytes.throughput(Throughput::Bytes(size as u64));
            bytes.bench_with_input(BenchmarkId::from_parameter(n), &output, |b, out| {
                b.iter(|| {
                    out.files
                        .values()
                        .map(|d| render::render(black_box(d)).len())
                        .sum::<usize>()
                })
            });
        }
        bytes.finish();
    }
}

/// A blueprint with 20,000 unknown keys: every one is reported (the first
/// 50 printed), and finding their lines must stay linear (issue #16: well
/// under a second for the whole `validate`).
fn diagnostics(c: &mut Criterion) {
    let mut text = String::from(
        "version: 1\nname: a\nregion: eu-west-1\nservices:\n  api:\n    image: nginx:1\n    port: 80\n",
    );
    for i in 0..20_000 {
        text.push_str(&format!("    unknown{i:05}: x\n"));
    }
    c.bench_function("diagnostics/20000_unknown_keys", |b| {
        b.iter(|| {
            let d = normalize::load(black_box(&text)).expect_err("unknown keys");
            let source = blueprint::diag::Source::new(&text);
            let shown: usize = d
                .iter()
                .take(50)
                .map(|d| {
                    d.snippet("many.yaml", Some(&source), false)
                        .to_string()
                        .len()
                })
                .sum();
            (d.len(), shown)
        })
    });
}

fn config() -> Criterion {
    // The 1,000-service cases take a good fraction of a second per
    // iteration: ten samples keep a full run to a few minutes on 2 cores.
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
}

criterion_group! {
    name = benches;
    config = config();
    targets = stages, diagnostics
}
criterion_main!(benches);
