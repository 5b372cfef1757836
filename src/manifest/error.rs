//! Errors that stop loading altogether: a path that cannot be read.

/// A path or stream that could not be read. Problems inside manifests are not errors: they
/// are [`crate::api::Problem`]s, reported together.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A path named on the command line (or a file found under it) cannot be read.
    #[error(
        "cannot read {path}: {error}; check that the path exists and is readable, or pass `-f -` to read manifests from standard input"
    )]
    Unreadable {
        /// The path as given.
        path: String,
        /// What the operating system said.
        error: std::io::Error,
    },
    /// A directory cannot be searched (permissions, a broken `.tenantryignore`, a link loop).
    #[error("cannot search {path}: {error}; fix the entry it names or pass the files one by one")]
    Walk {
        /// The directory as given.
        path: String,
        /// What went wrong, with the entry it concerns.
        error: ignore::Error,
    },
    /// A path names something that is not a regular file or a directory (a FIFO, a device,
    /// a socket): reading it could block forever or never end.
    #[error(
        "cannot read {path}: it is a {what}, not a regular file; pass manifest files, directories, or `-` to read standard input"
    )]
    NotAFile {
        /// The path as given.
        path: String,
        /// What it is instead: `FIFO`, `character device`, ...
        what: &'static str,
    },
    /// A file (or standard input) holds more than a manifest ever needs.
    #[error(
        "cannot read {path}: it is larger than {limit_mib} MiB, the most tenantry reads from one file; split it into several files"
    )]
    TooLarge {
        /// The path as given, or `<stdin>`.
        path: String,
        /// The limit in MiB.
        limit_mib: u64,
    },
    /// Standard input cannot be read.
    #[error("cannot read standard input: {error}")]
    Stdin {
        /// What the operating system said.
        error: std::io::Error,
    },
}
