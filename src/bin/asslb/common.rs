//! What several commands share: the `--set` flags and loading a scenario with them.

use std::path::Path;

use asslb::scenario::{load_scenario_with, Scenario, ScenarioError, SetOverride};

/// The `--set` flags of the commands that read a scenario.
#[derive(Debug, clap::Args)]
pub struct Sets {
    /// Change the scenario before it is validated, as if the line `<PATH> = <VALUE>` were in
    /// the file; repeatable, applied in order. VALUE is TOML (lists and tables work; a bare word
    /// is a string). PATH is a scenario key (`mesh.particle_r_cells=10`,
    /// `'experiment=["Discharge at 5C until 1.38 V"]'`) or a parameter path, short for
    /// `parameters."<path>"` (`positive.thickness_m=3e-5`).
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_set)]
    pub set: Vec<SetOverride>,
}

fn parse_set(arg: &str) -> Result<SetOverride, String> {
    // The argument is already in clap's message; say only what is wrong with it.
    SetOverride::parse(arg).map_err(|e| match e {
        ScenarioError::Set { expected, .. } => expected,
        other => other.to_string(),
    })
}

/// The scenario at `path` with the `--set` overrides applied, validated.
pub fn load(path: &Path, sets: &[SetOverride]) -> anyhow::Result<Scenario> {
    load_scenario_with(path, sets).map_err(|e| match e {
        // It says what the file is and what to run instead.
        ScenarioError::SweepFile { .. } => anyhow::Error::new(e),
        other => anyhow::Error::new(other).context(format!("invalid scenario {}", path.display())),
    })
}

/// The plural ending of a count: "" for 1, "s" otherwise.
pub fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
