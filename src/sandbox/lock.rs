//! One sandbox per database file: an advisory lock on `DB.lock`, held while the sandbox runs.
//!
//! Two sandboxes on one SQLite file would each run their operation worker and hand out the
//! same generated ids, so the second is refused. The lock is the kernel's (`flock`): it goes
//! with the process, even on SIGKILL, so a crash never leaves a lock a person must remove.
//! The file keeps the holder's process id, for the error message.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::private::{LOCK_SUFFIX, side_file};
use super::server::SandboxError;

/// The held lock; dropping it (or the process ending) releases it.
#[derive(Debug)]
pub(crate) struct DbLock {
    _file: File,
}

/// Takes the lock of the database `db`, or says which process holds it.
pub(crate) fn lock(db: &Path) -> Result<DbLock, SandboxError> {
    let path = side_file(db, LOCK_SUFFIX);
    let io = |source| SandboxError::Lock {
        path: path.display().to_string(),
        source,
    };
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            return Err(SandboxError::Busy {
                db: db.display().to_string(),
                holder: text.trim().parse().ok(),
            });
        }
        Err(std::fs::TryLockError::Error(source)) => return Err(io(source)),
    }
    file.set_len(0).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    write!(file, "{}", std::process::id()).map_err(io)?;
    Ok(DbLock { _file: file })
}
