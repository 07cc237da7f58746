//! `scripts/sweep_slurm.sbatch` on a real single-node Slurm: runs `scripts/test_slurm.sh`, which
//! starts munged, slurmctld and slurmd under a temporary folder, submits the sbatch script as a
//! two-task array job over `tests/data/sweep_slurm/sweep.toml`, merges the shards and checks
//! them against the unsharded sweep, and always stops the daemons. Slurm and munge come from
//! `scripts/setup.sh` (Debian's `slurm-wlm` and `munge`); without them this test fails, unless
//! `ASSLB_SKIP_SLURM=1` says to skip it.

mod common;

use std::path::{Path, PathBuf};

use common::{describe, root, text};

/// The programs the check needs; the daemons are in sbin, which a non-login PATH may lack.
const SLURM_PROGRAMS: [&str; 4] = ["munged", "slurmctld", "slurmd", "sbatch"];

/// Where `program` is on PATH or in the sbin folders, if anywhere.
fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

#[test]
fn the_sbatch_script_runs_a_sweep_on_a_real_slurm_cluster() {
    if std::env::var_os("ASSLB_SKIP_SLURM").is_some_and(|v| v == "1") {
        eprintln!("ASSLB_SKIP_SLURM=1: the Slurm check (scripts/test_slurm.sh) is skipped");
        return;
    }
    let missing: Vec<&str> = SLURM_PROGRAMS
        .into_iter()
        .filter(|p| find_program(p).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "Slurm is not installed here (no {}): run ./scripts/setup.sh, which installs Debian's \
         slurm-wlm and munge, or set ASSLB_SKIP_SLURM=1 to skip this test",
        missing.join(", ")
    );
    let script = root().join("scripts/test_slurm.sh");
    let output = std::process::Command::new("bash")
        .arg(&script)
        .env("ASSLB", Path::new(env!("CARGO_BIN_EXE_asslb")))
        .current_dir(root())
        .output()
        .expect("run scripts/test_slurm.sh");
    assert!(output.status.success(), "{}", describe(&output));
    // The script's own account of what ran: the node, both array tasks completed, the merge.
    let stdout = text(&output.stdout);
    assert!(stdout.contains(" idle, "), "{}", describe(&output));
    for task in ["ArrayTaskId=1", "ArrayTaskId=2"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.contains(task) && l.contains("JobState=COMPLETED")),
            "no completed {task}\n{}",
            describe(&output)
        );
    }
    assert!(
        stdout.contains("test_slurm: ok: the 2 Slurm array tasks' shards merge into the unsharded sweep.csv (4 cases"),
        "{}",
        describe(&output)
    );
}
