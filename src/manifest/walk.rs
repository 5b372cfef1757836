//! Turning the user's `-f` arguments into an ordered list of files to read.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use ignore::WalkBuilder;

use super::error::LoadError;

/// The file, in any directory, whose gitignore-style patterns exclude paths from loading.
pub const IGNORE_FILE: &str = ".tenantryignore";

/// One `-f` argument: a file, a directory, or `-` for standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file (always read) or a directory (searched recursively for `.yaml` and `.yml`).
    Path(PathBuf),
    /// Standard input, named `<stdin>` in problems.
    Stdin,
}

impl Input {
    /// `-` is standard input; anything else a path.
    pub fn from_arg(arg: &str) -> Self {
        if arg == "-" {
            Input::Stdin
        } else {
            Input::Path(PathBuf::from(arg))
        }
    }
}

/// A source of manifests, in the order they will be reported.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Source {
    /// A file on disk.
    File(PathBuf),
    /// Standard input.
    Stdin,
}

/// Every source to read, and the directories that held none.
#[derive(Debug, Default)]
pub(crate) struct Walked {
    pub sources: Vec<Source>,
    pub empty_dirs: Vec<PathBuf>,
}

/// Expands directories (sorted by name; hidden entries, kustomization files and what the
/// `.tenantryignore` files in and above the directory list are skipped). A path named
/// explicitly, file or directory, is never ignored itself. Repeated paths are read once.
pub(crate) fn resolve(inputs: &[Input]) -> Result<Walked, LoadError> {
    let mut walked = Walked::default();
    let mut seen = HashSet::new();
    let mut push = |walked: &mut Walked, source: Source| {
        if seen.insert(source.clone()) {
            walked.sources.push(source);
        }
    };
    for input in inputs {
        let path = match input {
            Input::Stdin => {
                push(&mut walked, Source::Stdin);
                continue;
            }
            Input::Path(path) => path,
        };
        let metadata = std::fs::metadata(path).map_err(|error| LoadError::Unreadable {
            path: path.display().to_string(),
            error,
        })?;
        if !metadata.is_dir() {
            if !metadata.is_file() {
                return Err(LoadError::NotAFile {
                    path: path.display().to_string(),
                    what: special_kind(&metadata.file_type()),
                });
            }
            if !is_kustomization(path) {
                push(&mut walked, Source::File(path.clone()));
            }
            continue;
        }
        let before = walked.sources.len();
        for file in walk_dir(path)? {
            push(&mut walked, Source::File(file));
        }
        if walked.sources.len() == before {
            walked.empty_dirs.push(path.clone());
        }
    }
    Ok(walked)
}

/// The manifest files under `dir`, in a stable order.
fn walk_dir(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let walker = WalkBuilder::new(dir)
        // Only .tenantryignore decides: .gitignore'd files may well be meant to be validated.
        .standard_filters(false)
        .hidden(true)
        .parents(true)
        .add_custom_ignore_filename(IGNORE_FILE)
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    let mut files = Vec::new();
    for entry in walker {
        let entry = entry.map_err(|error| LoadError::Walk {
            path: dir.display().to_string(),
            error,
        })?;
        let path = entry.path();
        if entry.file_type().is_some_and(|t| t.is_file())
            && is_yaml(path)
            && !is_kustomization(path)
        {
            files.push(entry.into_path());
        }
    }
    Ok(files)
}

/// What a path that is neither a file nor a directory is, in words.
fn special_kind(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "FIFO (named pipe)";
        }
        if file_type.is_char_device() {
            return "character device";
        }
        if file_type.is_block_device() {
            return "block device";
        }
        if file_type.is_socket() {
            return "socket";
        }
    }
    let _ = file_type;
    "special file"
}

fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

/// kustomize's own file (`kustomization.yaml`, `.yml` or `Kustomization`) lists resources; it
/// declares nothing and often has no `kind`.
fn is_kustomization(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
        matches!(
            n,
            "kustomization.yaml" | "kustomization.yml" | "Kustomization"
        )
    })
}
