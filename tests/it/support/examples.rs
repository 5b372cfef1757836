//! The checked-in examples/ as test input: a private copy to edit, and what to look for in
//! the output of a run over them.

use std::path::{Path, PathBuf};

/// A private copy of examples/ to edit.
pub(crate) fn examples_copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    copy_dir(&src, &tmp.path().join("examples"));
    let path = tmp.path().join("examples");
    (tmp, path)
}

/// Copies the tree `from` to `to`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("mkdir: {e}"));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("read_dir: {e}")) {
        let entry = entry.unwrap_or_else(|e| panic!("entry: {e}"));
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("copy: {e}"));
        }
    }
}

/// Replaces the first `from` in the file at `path` with `to`; `from` must be there.
pub(crate) fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read: {e}"));
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap_or_else(|e| panic!("write: {e}"));
}

/// Lines of a text plan that start an action: `+ `, `~ `, `- `, `-/+ `.
pub(crate) fn action_lines(plan: &str) -> Vec<&str> {
    plan.lines()
        .map(str::trim_start)
        .filter(|l| {
            ["+ ", "~ ", "- ", "-/+ "].iter().any(|p| l.starts_with(p))
                && l.split_whitespace().nth(1).is_some_and(|k| k.contains('/'))
        })
        .collect()
}

/// Every secret value declared in the examples' Secret manifests.
pub(crate) fn example_secrets() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/customers");
    let mut out = Vec::new();
    for customer in std::fs::read_dir(root).unwrap_or_else(|e| panic!("{e}")) {
        let path = customer
            .unwrap_or_else(|e| panic!("{e}"))
            .path()
            .join("secrets.yaml");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let mut in_data = false;
        for line in text.lines() {
            if line.starts_with("stringData:") {
                in_data = true;
            } else if !line.starts_with(' ') {
                in_data = false;
            } else if in_data && let Some((_, v)) = line.split_once(':') {
                let v = v.trim().trim_matches('"').trim_matches('\'');
                if v.len() >= 8 {
                    out.push(v.to_owned());
                }
            }
        }
    }
    assert!(
        !out.is_empty(),
        "the examples declare no passwords to look for"
    );
    out
}
