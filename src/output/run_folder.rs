//! The output folder of a run belongs to that run (issue 15).
//!
//! - [`FolderLock`]: while a run (or `--resume`) writes into a folder it holds `asslb.lock`,
//!   created atomically (`create_new`, i.e. `O_EXCL`) with the process id and start time of
//!   its holder and removed when the run ends, on error too. A second run into the folder is
//!   refused at once with [`FolderError::Held`], naming the holder. A lock whose process is no
//!   longer alive (a killed run) is taken over.
//! - [`EarlierRun`]: what an earlier run left in a folder, so that a new run refuses to replace
//!   it unless asked ([`FolderError::Occupied`]).

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::impedance_csv::IMPEDANCE_FILE;
use super::impedance_fit_csv::IMPEDANCE_FIT_FILE;
use super::run_record::{utc_datetime, RUN_RECORD_FILE};
use super::run_sink::CHECKPOINT_FILE;
use super::summary_csv::SUMMARY_FILE;
use super::timeseries_csv::{RUN_ERROR_FILE, TIMESERIES_FILE, TIMESERIES_PARTIAL_FILE};

/// The lock file of a folder a run is writing into.
pub const LOCK_FILE: &str = "asslb.lock";

/// The files by which a folder is known to hold a run (finished, failed or interrupted).
pub const RUN_FILES: [&str; 8] = [
    RUN_RECORD_FILE,
    SUMMARY_FILE,
    TIMESERIES_FILE,
    TIMESERIES_PARTIAL_FILE,
    CHECKPOINT_FILE,
    IMPEDANCE_FILE,
    IMPEDANCE_FIT_FILE,
    RUN_ERROR_FILE,
];

/// The process that holds (or held) a folder's lock, as its lock file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    /// Its process id.
    pub pid: u32,
    /// When it took the lock (UTC, RFC 3339), as written in the lock file.
    pub started_at: String,
}

impl fmt::Display for LockHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "process {} (started {})", self.pid, self.started_at)
    }
}

/// What an earlier run left in a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierRun {
    /// The folder.
    pub dir: PathBuf,
    /// `status` in its `run.toml` ("running", "finished", "failed"), if readable.
    pub status: Option<String>,
    /// The scenario's `name` in its `run.toml`, if readable.
    pub scenario: Option<String>,
    /// Rows in its `summary.csv` (finished cycles).
    pub cycles: usize,
    /// Whether it has a checkpoint to resume from.
    pub checkpoint: bool,
}

impl EarlierRun {
    /// What `dir` holds of an earlier run, or `None` when it holds none of [`RUN_FILES`].
    pub fn find(dir: &Path) -> Option<EarlierRun> {
        if !RUN_FILES.iter().any(|f| dir.join(f).exists()) {
            return None;
        }
        let record: Option<toml::Table> = std::fs::read_to_string(dir.join(RUN_RECORD_FILE))
            .ok()
            .and_then(|t| toml::from_str(&t).ok());
        let text = |table: &str, key: &str| {
            record
                .as_ref()
                .and_then(|r| r.get(table))
                .and_then(|t| t.get(key))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let cycles = std::fs::read_to_string(dir.join(SUMMARY_FILE))
            .map(|t| t.lines().count().saturating_sub(1))
            .unwrap_or(0);
        Some(EarlierRun {
            dir: dir.to_path_buf(),
            status: text("asslb", "status"),
            scenario: text("scenario", "name"),
            cycles,
            checkpoint: dir.join(CHECKPOINT_FILE).exists(),
        })
    }

    /// Whether `asslb run --resume` can take it up.
    pub fn resumable(&self) -> bool {
        self.checkpoint && self.status.as_deref() != Some("finished")
    }
}

impl fmt::Display for EarlierRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.status.as_deref() {
            Some("finished") => "a finished run",
            Some("failed") => "a failed run",
            Some("running") => "an interrupted (or still running) run",
            _ => "the files of a run",
        };
        write!(f, "{kind}")?;
        if let Some(name) = &self.scenario {
            write!(f, " of scenario `{name}`")?;
        }
        write!(f, " ({} cycle", self.cycles)?;
        if self.cycles != 1 {
            write!(f, "s")?;
        }
        write!(f, " in {SUMMARY_FILE}")?;
        if self.checkpoint {
            write!(f, ", a checkpoint")?;
        }
        write!(f, ")")
    }
}

/// Why a run may not write into a folder.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// Another process holds the folder's lock.
    #[error(
        "{}: the folder is in use by another asslb run, {}; wait for it to end or choose another folder \
         (if no such run is going on, remove {})",
        .dir.display(),
        holder_text(.holder),
        .lock.display()
    )]
    Held {
        /// The folder.
        dir: PathBuf,
        /// Its lock file.
        lock: PathBuf,
        /// The holder, when its lock file could be read (it is empty for the instant between
        /// its creation and its first write).
        holder: Option<LockHolder>,
    },
    /// The folder holds an earlier run, which a new run would replace.
    #[error(
        "{}: the folder already holds {earlier}; {}",
        .earlier.dir.display(),
        occupied_advice(.earlier)
    )]
    Occupied {
        /// What is there.
        earlier: EarlierRun,
    },
    /// The lock file could not be created, read or removed.
    #[error("cannot lock the output folder: {}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
}

fn holder_text(holder: &Option<LockHolder>) -> String {
    match holder {
        Some(h) => format!("held by {h}"),
        None => "whose lock file is being written".to_string(),
    }
}

fn occupied_advice(earlier: &EarlierRun) -> String {
    let dir = earlier.dir.display();
    if earlier.resumable() {
        format!(
            "continue it with `asslb run --resume {dir}`, start it again with --overwrite, \
             or choose another folder with --out"
        )
    } else {
        "replace it with --overwrite, or choose another folder with --out".to_string()
    }
}

/// The lock of a folder, held until dropped (the lock file is then removed).
#[derive(Debug)]
pub struct FolderLock {
    path: PathBuf,
    taken_over: Option<LockHolder>,
}

impl FolderLock {
    /// Takes the lock of `dir` (which must exist) for this process, or says who holds it. A
    /// lock left by a process that is no longer alive is taken over ([`Self::taken_over`]
    /// names it).
    pub fn acquire(dir: &Path) -> Result<FolderLock, FolderError> {
        let path = dir.join(LOCK_FILE);
        let io_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| FolderError::Io { path, source }
        };
        if create_lock(&path).map_err(io_error(&path))? {
            return Ok(FolderLock {
                path,
                taken_over: None,
            });
        }
        let held = |holder| FolderError::Held {
            dir: dir.to_path_buf(),
            lock: path.clone(),
            holder,
        };
        let stale = match read_holder(&path) {
            Some(h) if !process_alive(h.pid) => h,
            other => return Err(held(other)),
        };
        // Only one process takes over a stale lock: the one that creates the take-over file.
        let guard_path = dir.join(format!("{LOCK_FILE}.takeover"));
        let guard = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&guard_path)
        {
            Ok(_) => RemoveOnDrop(guard_path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(held(Some(stale))),
            Err(e) => return Err(io_error(&guard_path)(e)),
        };
        // Still the stale lock seen above (not one taken meanwhile)?
        if read_holder(&path).as_ref() != Some(&stale) {
            return Err(held(read_holder(&path)));
        }
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_error(&path)(e)),
            _ => {}
        }
        let created = create_lock(&path).map_err(io_error(&path))?;
        drop(guard);
        if !created {
            return Err(held(read_holder(&path)));
        }
        Ok(FolderLock {
            path,
            taken_over: Some(stale),
        })
    }

    /// Checks, without taking it, that the lock of `dir` is free or stale: the error
    /// [`Self::acquire`] would give for a held lock, before anything else is done.
    pub fn check_free(dir: &Path) -> Result<(), FolderError> {
        let path = dir.join(LOCK_FILE);
        if !path.exists() {
            return Ok(());
        }
        match read_holder(&path) {
            Some(h) if !process_alive(h.pid) => Ok(()),
            holder => Err(FolderError::Held {
                dir: dir.to_path_buf(),
                lock: path,
                holder,
            }),
        }
    }

    /// The process whose stale lock was taken over, if any.
    pub fn taken_over(&self) -> Option<&LockHolder> {
        self.taken_over.as_ref()
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A file removed when this is dropped.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Creates the lock file at `path` with this process as its holder: `Ok(false)` when it
/// exists already.
fn create_lock(path: &Path) -> io::Result<bool> {
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(e),
    };
    let text = format!(
        "# The asslb run writing into this folder.\npid = {}\nstarted_at = \"{}\"\n",
        std::process::id(),
        utc_datetime(SystemTime::now())
    );
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    Ok(true)
}

/// The holder written in the lock file at `path`, if it can be read.
fn read_holder(path: &Path) -> Option<LockHolder> {
    let table: toml::Table = toml::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    Some(LockHolder {
        pid: u32::try_from(table.get("pid")?.as_integer()?).ok()?,
        started_at: table.get("started_at")?.as_str()?.to_string(),
    })
}

/// Whether process `pid` is alive (not a zombie). Where that cannot be told (no `/proc`), every
/// process counts as alive, so a lock is never taken from a running process.
fn process_alive(pid: u32) -> bool {
    let proc_dir = Path::new("/proc");
    if !proc_dir.join("self").exists() {
        return true;
    }
    match std::fs::read_to_string(proc_dir.join(pid.to_string()).join("stat")) {
        // The state follows the command name in parentheses: `Z` zombie, `X` dead.
        Ok(stat) => stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.chars().next())
            .is_none_or(|state| state != 'Z' && state != 'X'),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_refused_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let lock = FolderLock::acquire(dir.path()).unwrap();
        assert!(lock.taken_over().is_none());
        let holder = read_holder(lock.path()).unwrap();
        assert_eq!(holder.pid, std::process::id());
        match FolderLock::acquire(dir.path()) {
            Err(FolderError::Held {
                holder: Some(h), ..
            }) => assert_eq!(h, holder),
            other => panic!("{other:?}"),
        }
        drop(lock);
        assert!(!dir.path().join(LOCK_FILE).exists());
        FolderLock::acquire(dir.path()).unwrap();
    }

    #[test]
    fn a_stale_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        // A process id above the kernel's limit (2^22) is never alive.
        std::fs::write(
            dir.path().join(LOCK_FILE),
            "pid = 4194305\nstarted_at = \"2026-01-01T00:00:00Z\"\n",
        )
        .unwrap();
        let lock = FolderLock::acquire(dir.path()).unwrap();
        assert_eq!(lock.taken_over().map(|h| h.pid), Some(4_194_305));
        assert!(!dir.path().join(format!("{LOCK_FILE}.takeover")).exists());
        assert_eq!(
            read_holder(lock.path()).map(|h| h.pid),
            Some(std::process::id())
        );
    }

    #[test]
    fn an_unreadable_lock_counts_as_held() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(LOCK_FILE), "").unwrap();
        let err = FolderLock::acquire(dir.path()).unwrap_err();
        assert!(matches!(err, FolderError::Held { holder: None, .. }));
        assert!(err.to_string().contains(LOCK_FILE), "{err}");
    }

    #[test]
    fn earlier_runs_are_described() {
        let dir = tempfile::tempdir().unwrap();
        assert!(EarlierRun::find(dir.path()).is_none());
        std::fs::write(dir.path().join(LOCK_FILE), "").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        assert!(EarlierRun::find(dir.path()).is_none());
        std::fs::write(
            dir.path().join(RUN_RECORD_FILE),
            "[asslb]\nstatus = \"finished\"\n[scenario]\nname = \"x\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join(SUMMARY_FILE), "cycle\n1\n2\n").unwrap();
        let earlier = EarlierRun::find(dir.path()).unwrap();
        assert!(!earlier.resumable());
        let text = FolderError::Occupied { earlier }.to_string();
        assert!(
            text.contains("a finished run of scenario `x` (2 cycles in summary.csv)")
                && text.contains("--overwrite"),
            "{text}"
        );
    }
}
