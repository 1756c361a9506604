#!/usr/bin/env python3
"""How long `kubectl kustomize` takes on the unit Flux builds for the EKS
target (one tenant of one environment), against the same objects as one
plain resources file. See docs/performance.md.

    benches/eks-kustomize.py                    # N = 10 100 300, 10 tenants
    SIZES="100" RUNS=7 benches/eks-kustomize.py
    BLUEPRINT=target/release/blueprint benches/eks-kustomize.py

For each size it generates a blueprint (`blueprint generate`), renders it
(`--target eks`), and times `kubectl kustomize` on a shared tenant's and a
dedicated tenant's unit of `prod`, and on a folder holding what that unit
builds as one `all.yaml`. Each figure is the smallest of RUNS runs, as CPU
time (user + system of kubectl, which the load of a shared machine inflates
less than wall time) and wall time. Prints a Markdown table.
"""
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

SIZES = os.environ.get("SIZES", "10 100 300").split()
TENANTS = os.environ.get("TENANTS", "10")
RUNS = int(os.environ.get("RUNS", "5"))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def blueprint():
    b = os.environ.get("BLUEPRINT")
    if b:
        return b
    subprocess.run(["cargo", "build", "--release", "--quiet", "--manifest-path",
                    os.path.join(ROOT, "Cargo.toml")], check=True)
    return os.path.join(ROOT, "target", "release", "blueprint")


def kustomize(folder):
    """The smallest CPU and wall time of RUNS builds of `folder`."""
    cpu = wall = float("inf")
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(["kubectl", "kustomize", folder], check=True,
                       stdout=subprocess.DEVNULL)
        wall = min(wall, time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = min(cpu, after.ru_utime - before.ru_utime
                  + after.ru_stime - before.ru_stime)
    return cpu, wall


def main():
    exe = blueprint()
    print(f"load average: {os.getloadavg()}", file=sys.stderr)
    print("| services | unit | objects | unit CPU s | plain CPU s | ratio | unit wall s | plain wall s |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as work:
        for n in SIZES:
            text = subprocess.run([exe, "generate", "--services", n, "--tenants", TENANTS],
                                  check=True, capture_output=True, text=True).stdout
            # Very large generated tenants ask for quotas above what any
            # target offers; the quota does not change the objects built.
            text = re.sub(r"(?m)^      cpu: (\d+)\n(?=      memory:)",
                          lambda m: "" if int(m.group(1)) > 192 else m.group(0), text)
            bp = os.path.join(work, f"bp{n}.yaml")
            open(bp, "w").write(text)
            out = os.path.join(work, f"out{n}")
            subprocess.run([exe, "render", "--target", "eks", "--file", bp, "--out", out],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            overlays = os.path.join(out, "kubernetes", "overlays", "prod")
            tenants = sorted(t for t in os.listdir(overlays) if t != "nodepools")
            # Every fifth generated tenant is dedicated, the first one of all.
            for label, unit in (("shared", tenants[1]), ("dedicated", tenants[0])):
                folder = os.path.join(overlays, unit)
                built = subprocess.run(["kubectl", "kustomize", folder], check=True,
                                       capture_output=True, text=True).stdout
                objects = sum(1 for line in built.splitlines() if line.startswith("kind:"))
                plain = os.path.join(work, f"plain{n}-{label}")
                os.makedirs(plain)
                open(os.path.join(plain, "all.yaml"), "w").write(built)
                open(os.path.join(plain, "kustomization.yaml"), "w").write(
                    "apiVersion: kustomize.config.k8s.io/v1beta1\n"
                    "kind: Kustomization\nresources:\n  - all.yaml\n")
                uc, uw = kustomize(folder)
                pc, pw = kustomize(plain)
                print(f"| {n} | {label} tenant | {objects} | {uc:.2f} | {pc:.2f} | "
                      f"{uc / pc:.2f} | {uw:.2f} | {pw:.2f} |", flush=True)


if __name__ == "__main__":
    main()
