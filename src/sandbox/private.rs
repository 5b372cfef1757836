//! Sandbox state on disk is readable by its owner only.
//!
//! The state file holds the portals' objects, idempotency records and the outbox (whose
//! passwords are kept out of it, see `outbox`), and SQLite's side files (`-wal`, `-shm`,
//! `-journal`) hold recent pages of it. They are created 0600 — SQLite gives its side files
//! the mode of the database file — in a state directory created 0700; existing ones are
//! tightened, and what cannot be tightened is refused with the command that fixes it.

use std::path::{Path, PathBuf};

/// Files beside a database `x`: SQLite's `x-wal`, `x-shm`, `x-journal`, and the sandbox's
/// own lock `x.lock` (`lock.rs`).
const SIDE_FILES: [&str; 4] = ["-wal", "-shm", "-journal", LOCK_SUFFIX];

/// Suffix of the lock file beside a database.
pub(crate) const LOCK_SUFFIX: &str = ".lock";

/// Name of the embedded sandbox's database inside its state directory.
pub const STATE_FILE: &str = "sandbox.db";

/// Why the sandbox's state cannot be kept private.
#[derive(Debug, thiserror::Error)]
pub enum PrivateStateError {
    /// A file or directory cannot be created, inspected or tightened.
    #[error("{path} {what}: {source}; {fix}")]
    Io {
        /// The file or directory.
        path: String,
        /// What was being done.
        what: &'static str,
        /// What the operating system said.
        source: std::io::Error,
        /// What to do.
        fix: String,
    },
    /// The state directory is open to other users and holds files that are not the sandbox's.
    #[error(
        "the sandbox state directory {path} can be read by other users (mode {mode:04o}) and \
         holds files other than the sandbox's state, so tenantry does not change its mode; run \
         `chmod 700 {path}` or pass another --state-dir"
    )]
    SharedDirectory {
        /// The directory.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
}

/// Creates `dir` (mode 0700) for the embedded sandbox, or tightens it to 0700 when it holds
/// nothing but the sandbox's state; returns the path of the database inside it.
pub fn state_dir(dir: &Path) -> Result<PathBuf, PrivateStateError> {
    imp::state_dir(dir)?;
    Ok(dir.join(STATE_FILE))
}

/// Makes the database file `db` and its existing side files 0600, creating `db` (empty) first
/// so that SQLite never creates it with the default 0644.
pub(crate) fn db_file(db: &Path) -> Result<(), PrivateStateError> {
    imp::db_file(db)
}

/// `db`'s side file with `suffix`.
pub(crate) fn side_file(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(unix)]
mod imp {
    use std::fs::{DirBuilder, OpenOptions, Permissions};
    use std::io::ErrorKind;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    use std::path::Path;

    use super::{PrivateStateError, SIDE_FILES, STATE_FILE, side_file};

    fn io(
        path: &Path,
        what: &'static str,
        fix: String,
    ) -> impl FnOnce(std::io::Error) -> PrivateStateError {
        let path = path.display().to_string();
        move |source| PrivateStateError::Io {
            path,
            what,
            source,
            fix,
        }
    }

    pub(super) fn state_dir(dir: &Path) -> Result<(), PrivateStateError> {
        let shown = dir.display();
        match DirBuilder::new().recursive(true).mode(0o700).create(dir) {
            Ok(()) => {}
            Err(e) => {
                return Err(io(
                    dir,
                    "cannot be created",
                    format!("check the path, or pass another --state-dir than {shown}"),
                )(e));
            }
        }
        let mode = std::fs::metadata(dir)
            .map_err(io(
                dir,
                "cannot be inspected",
                "check its permissions".to_owned(),
            ))?
            .permissions()
            .mode()
            & 0o777;
        if mode & 0o077 == 0 {
            return Ok(());
        }
        // Only a directory that is evidently the sandbox's own is changed: `--state-dir /tmp`
        // must not make /tmp private.
        let entries = std::fs::read_dir(dir).map_err(io(
            dir,
            "cannot be listed",
            "check its permissions".to_owned(),
        ))?;
        for entry in entries {
            let entry = entry.map_err(io(
                dir,
                "cannot be listed",
                "check its permissions".to_owned(),
            ))?;
            let name = entry.file_name();
            let ours = name.to_str().is_some_and(|n| {
                n == STATE_FILE
                    || SIDE_FILES
                        .iter()
                        .any(|s| n.strip_prefix(STATE_FILE) == Some(*s))
            });
            if !ours {
                return Err(PrivateStateError::SharedDirectory {
                    path: shown.to_string(),
                    mode,
                });
            }
        }
        std::fs::set_permissions(dir, Permissions::from_mode(0o700)).map_err(io(
            dir,
            "cannot be made private (mode 0700)",
            format!("run `chmod 700 {shown}` as its owner, or pass another --state-dir"),
        ))
    }

    pub(super) fn db_file(db: &Path) -> Result<(), PrivateStateError> {
        let shown = db.display();
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(db)
        {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(io(
                    db,
                    "cannot be created",
                    "check the directory, or choose another --db".to_owned(),
                )(e));
            }
        }
        let files =
            std::iter::once(db.to_path_buf()).chain(SIDE_FILES.iter().map(|s| side_file(db, s)));
        for file in files {
            let meta = match std::fs::symlink_metadata(&file) {
                Ok(meta) => meta,
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(io(
                        &file,
                        "cannot be inspected",
                        "check its permissions".to_owned(),
                    )(e));
                }
            };
            if meta.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(&file, Permissions::from_mode(0o600)).map_err(io(
                    &file,
                    "holds secrets and cannot be made private (mode 0600)",
                    format!(
                        "run `chmod 600 {}` as its owner, or choose another --db than {shown}",
                        file.display()
                    ),
                ))?;
            }
        }
        Ok(())
    }
}

#[cfg(not(unix))]
mod imp {
    //! Elsewhere the files keep the permissions of their directory (ACLs on Windows).
    use std::path::Path;

    use super::PrivateStateError;

    pub(super) fn state_dir(dir: &Path) -> Result<(), PrivateStateError> {
        std::fs::create_dir_all(dir).map_err(|source| PrivateStateError::Io {
            path: dir.display().to_string(),
            what: "cannot be created",
            source,
            fix: "check the path, or pass another --state-dir".to_owned(),
        })
    }

    pub(super) fn db_file(_db: &Path) -> Result<(), PrivateStateError> {
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn set_mode(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }

    #[test]
    fn a_new_state_dir_and_db_are_private() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = tmp.path().join("a/.tenantry");
        let db = state_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
        db_file(&db).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&db), 0o600);
    }

    #[test]
    fn an_open_state_dir_of_the_sandbox_is_tightened_with_its_files() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = tmp.path().join(".tenantry");
        std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
        let db = dir.join(STATE_FILE);
        for file in [db.clone(), side_file(&db, "-wal"), side_file(&db, "-shm")] {
            std::fs::write(&file, b"").unwrap_or_else(|e| panic!("{e}"));
            set_mode(&file, 0o644);
        }
        set_mode(&dir, 0o755);
        let got = state_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
        db_file(&got).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode(&dir), 0o700);
        for suffix in ["", "-wal", "-shm"] {
            assert_eq!(mode(&side_file(&db, suffix)), 0o600, "{suffix}");
        }
    }

    #[test]
    fn an_open_directory_holding_other_files_is_refused_not_changed() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = tmp.path().join("shared");
        std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join("notes.txt"), b"x").unwrap_or_else(|e| panic!("{e}"));
        set_mode(&dir, 0o755);
        let err = state_dir(&dir).err().unwrap_or_else(|| panic!("accepted"));
        assert!(err.to_string().contains("chmod 700"), "{err}");
        assert_eq!(mode(&dir), 0o755);
    }
}
