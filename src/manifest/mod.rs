//! Loading manifests from files, directories and stdin into a [`Declared`](crate::api::Declared) set.
//!
//! Problems inside manifests (YAML syntax, types, kinds, apiVersions, names) are
//! [`Problem`](crate::api::Problem)s with file and line, so the CLI prints them in one list
//! with the validation rules' problems; only unreadable paths are errors.

mod depth;
mod document;
mod error;
mod keys;
mod load;
mod locate;
mod patched;
mod recover;
mod secrets;
mod split;
mod walk;
mod yaml_error;

pub use error::LoadError;
pub use load::{LoadOptions, Loaded, MAX_INPUT_BYTES, STDIN_NAME, load, load_reader};
pub use patched::{Patched, problems};
pub use secrets::{fill_secrets_from_env, secret_refs};
pub use walk::{IGNORE_FILE, Input};

/// Rule ids of the problems the loader reports.
pub mod rules {
    /// The text is not YAML (or not UTF-8).
    pub const YAML_SYNTAX: &str = "yaml-syntax";
    /// A value has the wrong type, an unknown enum value, or a required field is missing.
    pub const TYPE_ERROR: &str = "type-error";
    /// `kind` is missing or not one tenantry reads.
    pub const UNKNOWN_KIND: &str = "unknown-kind";
    /// `apiVersion` is missing or wrong for a known kind.
    pub const API_VERSION: &str = "api-version";
    /// A mapping holds the same key twice (YAML would keep only the last value).
    pub const DUPLICATE_KEY: &str = "duplicate-key";
    /// A mapping uses a YAML merge key (`<<`), which tenantry does not expand.
    pub const MERGE_KEY: &str = "merge-key";
    /// `metadata` holds a field that Kubernetes' ObjectMeta does not have (a typo).
    pub const UNKNOWN_FIELD: &str = "unknown-field";
    /// `metadata.name` is missing or empty.
    pub const MISSING_NAME: &str = "missing-name";
    /// Brackets nest deeper than [`depth::MAX_DEPTH`] levels (or blocks deeper than 128).
    pub const NESTING_DEPTH: &str = "nesting-depth";
    /// A directory holds no manifest (a warning).
    pub const NO_MANIFESTS: &str = "no-manifests";
}

#[cfg(test)]
mod tests;
