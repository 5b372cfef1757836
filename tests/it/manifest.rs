//! The manifest loader on real directories: walking, ordering, `.tenantryignore`, errors.

use std::fs;
use std::path::Path;

use tenantry::manifest::{Input, LoadError, LoadOptions, Loaded, load, rules};

fn tenant(name: &str) -> String {
    format!(
        "apiVersion: tenantry.dev/v1alpha1\nkind: Tenant\nmetadata: {{name: {name}}}\nspec:\n  \
         displayName: {name}\n  contact: {{name: A, email: a@{name}.example}}\n  \
         domains: [{name}.example]\n  portals: [daas]\n"
    )
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
    }
    fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
}

fn load_paths(paths: &[&Path]) -> Result<Loaded, LoadError> {
    let inputs: Vec<Input> = paths.iter().map(|p| Input::Path(p.to_path_buf())).collect();
    load(&inputs, &LoadOptions::default())
}

/// Tenant names with the file (relative to `root`) and line each came from.
fn tenants(loaded: &Loaded, root: &Path) -> Vec<(String, String, usize)> {
    loaded
        .declared
        .tenants
        .iter()
        .map(|t| {
            let file = Path::new(&t.location.file)
                .strip_prefix(root)
                .map_or_else(|_| t.location.file.clone(), |p| p.display().to_string());
            let name = t.object.metadata.name.clone().unwrap_or_default();
            (name, file, t.location.line)
        })
        .collect()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn nested_directories_are_read_in_name_order() {
    let dir = tempdir();
    let root = dir.path();
    write(root, "b/z.yaml", &tenant("bz"));
    write(root, "b/a/deep.yml", &tenant("bad"));
    write(
        root,
        "a.YAML",
        &format!("# two\n{}---\n{}", tenant("a1"), tenant("a2")),
    );
    write(root, "b/notes.md", "kind: Nonsense\n");
    write(root, "b/.hidden/h.yaml", &tenant("hidden"));
    write(root, ".github/workflows/ci.yaml", "on: push\n");
    write(root, "b/kustomization.yaml", "resources: [z.yaml]\n");
    let loaded = load_paths(&[root]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.problems, vec![]);
    assert_eq!(loaded.files, 3);
    assert_eq!(
        tenants(&loaded, root),
        vec![
            ("a1".to_owned(), "a.YAML".to_owned(), 2),
            ("a2".to_owned(), "a.YAML".to_owned(), 11),
            ("bad".to_owned(), "b/a/deep.yml".to_owned(), 1),
            ("bz".to_owned(), "b/z.yaml".to_owned(), 1),
        ]
    );
}

#[test]
fn tenantryignore_excludes_under_a_directory_but_never_a_named_path() {
    let dir = tempdir();
    let root = dir.path();
    write(
        root,
        ".tenantryignore",
        "# broken on purpose\ninvalid/\n*.draft.yaml\n",
    );
    write(root, "ok.yaml", &tenant("ok"));
    write(root, "new.draft.yaml", &tenant("draft"));
    write(root, "invalid/bad.yaml", "kind: [\n");
    write(root, "sub/ok2.yaml", &tenant("ok2"));
    write(root, "sub/.tenantryignore", "ok2.yaml\n");
    let loaded = load_paths(&[root]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.problems, vec![]);
    assert_eq!(tenants(&loaded, root).len(), 1);

    // Under a directory given on its own, the .tenantryignore files above it still apply...
    write(root, "sub/more.draft.yaml", &tenant("draft2"));
    write(root, "sub/ok3.yaml", &tenant("ok3"));
    let loaded = load_paths(&[&root.join("sub")]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.problems, vec![]);
    let names: Vec<String> = tenants(&loaded, root).into_iter().map(|t| t.0).collect();
    assert_eq!(names, vec!["ok3"]);

    // ...but a path named on the command line, directory or file, is never ignored itself.
    let loaded = load_paths(&[&root.join("invalid")]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.files, 1);
    let explicit = root.join("invalid/bad.yaml");
    let loaded = load_paths(&[&explicit]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.problems.len(), 1);
    assert_eq!(loaded.problems[0].rule, rules::YAML_SYNTAX);
    assert_eq!(
        loaded.problems[0].location.file,
        explicit.display().to_string()
    );
}

#[test]
fn many_files_keep_a_stable_order_and_repeated_paths_are_read_once() {
    let dir = tempdir();
    let root = dir.path();
    let mut names: Vec<String> = (0..150)
        .map(|i| format!("t{:03}", (i * 7919) % 1000))
        .collect();
    for name in &names {
        write(root, &format!("{name}.yaml"), &tenant(name));
    }
    names.sort();
    let file = root.join(format!("{}.yaml", names[0]));
    let loaded = load_paths(&[root, &file, root]).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<String> = tenants(&loaded, root).into_iter().map(|t| t.0).collect();
    assert_eq!(got, names);
    assert_eq!(loaded.files, names.len());
}

#[test]
fn unreadable_paths_are_errors_that_name_the_path() {
    let dir = tempdir();
    let missing = dir.path().join("no-such-dir");
    let err = match load_paths(&[&missing]) {
        Err(err) => err,
        Ok(loaded) => panic!("loaded {} files from a missing path", loaded.files),
    };
    assert!(matches!(err, LoadError::Unreadable { .. }));
    let message = err.to_string();
    assert!(
        message.contains(&missing.display().to_string()),
        "{message}"
    );
    assert!(message.contains("check that the path exists"), "{message}");
}

#[test]
fn the_examples_load_without_problems() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let loaded = load_paths(&[&root]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.problems, vec![]);
    let d = &loaded.declared;
    assert_eq!(
        (d.tenants.len(), d.admins.len(), d.bindings.len()),
        (3, 3, 18)
    );
    // Every service kind, and every portal, is used at least once.
    let mut services: Vec<&str> = d
        .bindings
        .iter()
        .filter_map(|b| b.object.spec.service())
        .map(|s| s.field())
        .collect();
    services.sort_unstable();
    services.dedup();
    assert_eq!(services.len(), 9, "{services:?}");
    let mut portals: Vec<_> = d
        .tenants
        .iter()
        .flat_map(|t| t.object.spec.portals.clone())
        .collect();
    portals.sort();
    portals.dedup();
    assert_eq!(portals.len(), 5);
    // Every password reference is satisfied by a Secret manifest.
    let refs = tenantry::manifest::secret_refs(d);
    assert_eq!(refs.len(), 3);
    assert!(refs.iter().all(|k| d.secrets.contains_key(k)), "{refs:?}");
    for admin in &d.admins {
        let Some(r) = &admin.object.spec.password_secret_ref else {
            continue;
        };
        let key = refs
            .iter()
            .find(|k| k.name == r.name)
            .unwrap_or_else(|| panic!("{r:?}"));
        let password = d.secrets[key].expose();
        let username = admin.object.spec.effective_username();
        assert_eq!(
            tenantry::validate::password::check(password, &username, 12),
            vec![]
        );
    }
}
