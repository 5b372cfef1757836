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
    /// Standard input cannot be read.
    #[error("cannot read standard input: {error}")]
    Stdin {
        /// What the operating system said.
        error: std::io::Error,
    },
}
