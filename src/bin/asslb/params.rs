//! `asslb params`: the built-in parameter sets.

use std::path::Path;

use anyhow::Context;

use asslb::scenario::{
    builtin_parameter_set, builtin_parameter_set_names, describe_parameters, load_parameter_set,
};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the built-in parameter sets: name, cell and source.
    List,
    /// Show every parameter of a set with its value and unit, and its source.
    Show {
        /// A built-in set's name, or the path of a parameter file.
        set: String,
    },
}

pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::List => {
            for name in builtin_parameter_set_names() {
                let Some(set) = builtin_parameter_set(name) else {
                    continue;
                };
                let params = set.load()?;
                println!(
                    "{name}\n  {}\n  source: {}\n",
                    set.description, params.source
                );
            }
            println!("`asslb params show <name>` lists every parameter of a set with its unit.");
            Ok(())
        }
        Command::Show { set } => {
            if builtin_parameter_set(&set).is_none() && !Path::new(&set).exists() {
                anyhow::bail!(
                    "unknown parameter set `{set}`: expected the name of a built-in set ({}) or the path of a parameter file",
                    builtin_parameter_set_names()
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            let params = load_parameter_set(&set)
                .with_context(|| format!("invalid parameter set `{set}`"))?;
            print!("{}", describe_parameters(&params));
            Ok(())
        }
    }
}
