//! Hostile input on the real binary (issue 18 item 5): the bad-input corpus, inputs that are
//! not files, inputs that are too large, and one embedded sandbox per state directory.
//!
//! The corpus ([`corpus`]) is what RELIABILITY.md counts: every entry must end with exit 1,
//! a problem naming the file, no panic, and a bounded output however large the input.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use tenantry::sandbox::{Sandbox, SandboxConfig};

/// The most output one bad input may cause: a few problems, each with its value cut.
const OUTPUT_BOUND: usize = 8 * 1024;

/// A valid Tenant with `{FIELD}` replaced by a hostile part.
const TENANT: &str = "apiVersion: tenantry.dev/v1alpha1
kind: Tenant
metadata: {name: acme, namespace: customers}
spec:
  displayName: Acme
  type: Standard
  contact: {name: Jane Roe, email: jane@acme.example}
  domains: [acme.example]
  portals: [daas]
";

fn tenant_with(from: &str, to: &str) -> Vec<u8> {
    assert!(TENANT.contains(from), "{from}");
    TENANT.replacen(from, to, 1).into_bytes()
}

fn nested(open: &str, close: &str, depth: usize) -> String {
    format!("{}1{}", open.repeat(depth), close.repeat(depth))
}

/// Every bad input: (name, bytes, what the output must name: a rule id or words).
fn corpus() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let mb = "x".repeat(1024 * 1024);
    let big = mb.as_str();
    // YAML caps a plain key at 1,024 characters (longer is a syntax error).
    let key = "k".repeat(1000);
    let twenty_mb = "y".repeat(20 * 1024 * 1024);
    let mut keys = String::from("spec:\n");
    for i in 0..100_000 {
        keys.push_str(&format!("  k{i}: 1\n"));
    }
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for (i, prev) in ('b'..='j').zip('a'..='i') {
        bomb.push_str(&format!("{i}: &{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    let mut blocks = String::from("spec:\n");
    for depth in 1..200 {
        blocks.push_str(&format!("{}a:\n", "  ".repeat(depth)));
    }
    vec![
        // Megabyte values wherever the input is quoted back.
        ("huge kind", tenant_with("kind: Tenant", &format!("kind: {big}")), "unknown-kind"),
        (
            "huge apiVersion",
            tenant_with("apiVersion: tenantry.dev/v1alpha1", &format!("apiVersion: {big}")),
            "api-version",
        ),
        ("huge name", tenant_with("name: acme", &format!("name: {big}")), "characters"),
        (
            "huge namespace",
            tenant_with("namespace: customers", &format!("namespace: {big}")),
            "characters",
        ),
        ("huge enum value", tenant_with("type: Standard", &format!("type: {big}")), "type-error"),
        (
            "20 MB enum value",
            tenant_with("type: Standard", &format!("type: {twenty_mb}")),
            "type-error",
        ),
        ("huge list item", tenant_with("portals: [daas]", &format!("portals: [{big}]")), "type-error"),
        (
            "huge number",
            tenant_with("type: Standard", &format!("type: Standard\n  passwordPolicy: {{minLength: {big}}}")),
            "type-error",
        ),
        (
            "huge display name",
            tenant_with("displayName: Acme", &format!("displayName: {big}")),
            "spec.displayName",
        ),
        (
            "huge e-mail",
            tenant_with("jane@acme.example", &format!("{big}@acme.example")),
            "spec.contact.email",
        ),
        ("huge domain", tenant_with("[acme.example]", &format!("[{big}.example]")), "spec.domains"),
        (
            "huge metadata key",
            tenant_with("namespace: customers}", &format!("namespace: customers, {key}: 1}}")),
            "unknown-field",
        ),
        (
            "huge duplicate key",
            tenant_with(
                "namespace: customers}",
                &format!("namespace: customers, labels: {{{key}: a, {key}: b}}}}"),
            ),
            "duplicate-key",
        ),
        (
            "huge unknown spec field",
            tenant_with("  type: Standard\n", &format!("  type: Standard\n  {key}: 1\n")),
            "type-error",
        ),
        (
            "huge unterminated quote",
            tenant_with("displayName: Acme", &format!("displayName: \"{big}")),
            "yaml-syntax",
        ),
        (
            "huge Secret value",
            format!("apiVersion: v1\nkind: Secret\nmetadata: {{name: s, namespace: customers}}\ndata: {{password: \"{big}!\"}}\n").into_bytes(),
            "base64",
        ),
        (
            "huge reference",
            format!("apiVersion: tenantry.dev/v1alpha1\nkind: ServiceBinding\nmetadata: {{name: b, namespace: customers}}\nspec:\n  tenantRef: {{name: {big}}}\n  citrix: {{}}\n").into_bytes(),
            "characters",
        ),
        // Nesting: linear time, a limit, the line.
        (
            "50k nested brackets",
            tenant_with("displayName: Acme", &format!("displayName: {}", nested("[", "]", 50_000))),
            "nesting-depth",
        ),
        (
            "50k nested maps",
            tenant_with("displayName: Acme", &format!("displayName: {}", nested("{a: ", "}", 50_000))),
            "nesting-depth",
        ),
        ("50k brackets as the document", nested("[", "]", 50_000).into_bytes(), "nesting-depth"),
        ("199 nested blocks", blocks.into_bytes(), "nesting-depth"),
        (
            "199 nested sequences",
            format!("spec:\n  {}1\n", "- ".repeat(199)).into_bytes(),
            "nesting-depth",
        ),
        // YAML that is legal and hostile, or not YAML at all.
        ("alias bomb", bomb.into_bytes(), "yaml"),
        ("100,000 unknown keys", keys.into_bytes(), "kind"),
        ("not UTF-8", tenant_with("Acme", "Ac\u{1}me").into_iter().map(|b| if b == 1 { 0xff } else { b }).collect(), "UTF-8"),
        ("NUL in a name", tenant_with("displayName: Acme", "displayName: \"Ac\\0me\""), "control-characters"),
        ("control character in a name", tenant_with("name: Jane Roe", "name: \"Jane\\u0007Roe\""), "control-characters"),
        ("raw NUL bytes", tenant_with("Acme", "Ac\0me"), "yaml-syntax"),
        ("binary garbage", (0u8..=255).cycle().take(64 * 1024).collect(), "yaml"),
        ("tab indentation", tenant_with("  type: Standard", "\ttype: Standard"), "yaml-syntax"),
        ("merge key", tenant_with("  type: Standard\n", "  type: Standard\n  <<: {code: X1}\n"), "<<"),
        ("huge plain key", tenant_with("  type: Standard\n", &format!("  type: Standard\n  {big}: 1\n")), "yaml-syntax"),
        ("a sequence as the document", b"- a\n- b\n".to_vec(), "type-error"),
        ("a scalar as the document", b"just text\n".to_vec(), "type-error"),
    ]
}

fn validate(dir: &Path, args: &[&str], stdin: Option<Vec<u8>>) -> Output {
    let mut command = assert_cmd::cargo::cargo_bin_cmd!("tenantry");
    command
        .current_dir(dir)
        .arg("validate")
        .args(args)
        // A guard only: a hang (a FIFO read on main) fails instead of stalling the suite.
        .timeout(Duration::from_secs(120));
    if let Some(stdin) = stdin {
        command.write_stdin(stdin);
    }
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run tenantry: {e}"))
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn every_input_of_the_corpus_fails_cleanly_and_briefly() {
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (name, bytes, expect) in corpus() {
        let file = dir.path().join("input.yaml");
        std::fs::write(&file, &bytes).unwrap();
        let output = validate(dir.path(), &["-f", "input.yaml"], None);
        let all = text(&output);
        let shown: String = all.chars().take(600).collect();
        // Shown with --nocapture: what each input gets.
        println!("{name}: {shown}");
        if output.status.code() != Some(1) {
            failures.push(format!("{name}: exit {:?}: {shown}", output.status));
        } else if all.len() > OUTPUT_BOUND {
            failures.push(format!("{name}: {} bytes of output: {shown}", all.len()));
        } else if !all.contains("input.yaml:") || !all.contains(expect) || all.contains("panicked")
        {
            failures.push(format!(
                "{name}: expected input.yaml: and {expect:?}: {shown}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[cfg(unix)]
#[test]
fn inputs_that_are_not_regular_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.yaml");
    let c_path = std::ffi::CString::new(fifo.to_string_lossy().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a file system entry.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let socket = dir.path().join("socket.yaml");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    for (path, what) in [
        (fifo.to_string_lossy().into_owned(), "FIFO"),
        ("/dev/zero".to_owned(), "character device"),
        (socket.to_string_lossy().into_owned(), "socket"),
    ] {
        let output = validate(dir.path(), &["-f", &path], None);
        let all = text(&output);
        assert_eq!(output.status.code(), Some(1), "{path}: {all}");
        assert!(
            all.contains(&format!("error: cannot read {path}: it is a {what}")),
            "{path}: {all}"
        );
    }
    // Inside a directory such entries are passed over, the files beside them read.
    std::fs::write(dir.path().join("tenant.yaml"), TENANT).unwrap();
    let output = validate(dir.path(), &["-f", "."], None);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

#[test]
fn files_and_standard_input_beyond_the_limit_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("huge.yaml");
    // Sparse: 64 MiB and one byte of zeros cost no disk.
    std::fs::File::create(&file)
        .unwrap()
        .set_len(tenantry::manifest::MAX_INPUT_BYTES + 1)
        .unwrap();
    let output = validate(dir.path(), &["-f", "huge.yaml"], None);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(1), "{all}");
    assert!(
        all.contains("cannot read huge.yaml: it is larger than 64 MiB"),
        "{all}"
    );
    assert!(all.len() < 1024, "{all}");

    let limit = usize::try_from(tenantry::manifest::MAX_INPUT_BYTES).unwrap();
    let mut stdin = TENANT.as_bytes().to_vec();
    stdin.resize(limit + 1, b'\n');
    let output = validate(dir.path(), &["-f", "-"], Some(stdin));
    let all = text(&output);
    assert_eq!(output.status.code(), Some(1), "{all}");
    assert!(
        all.contains("cannot read <stdin>: it is larger than 64 MiB"),
        "{all}"
    );
    // At the limit exactly, it is read.
    let mut stdin = TENANT.as_bytes().to_vec();
    stdin.resize(limit, b'\n');
    let output = validate(dir.path(), &["-f", "-"], Some(stdin));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

#[test]
fn deep_nesting_is_refused_on_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut text_in = String::from(TENANT);
    text_in.push_str(&format!(
        "---\n# a second document\nkind: Tenant\nspec: {}\n",
        nested("[", "]", 50_000)
    ));
    std::fs::write(dir.path().join("deep.yaml"), text_in).unwrap();
    let output = validate(dir.path(), &["-f", "deep.yaml"], None);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(1), "{all}");
    assert!(
        all.starts_with(
            "deep.yaml:13: (unknown object): brackets nest deeper than 64 levels on this line"
        ),
        "{all}"
    );
}

/// Two runs of plan or apply on one state directory: the second says the state is in use
/// (and by which process) instead of sharing the SQLite file.
#[tokio::test]
async fn a_second_embedded_sandbox_on_one_state_directory_is_refused() {
    let (_tmp, examples) = crate::support::examples_copy();
    let state = examples.join(".tenantry");
    let db = tenantry::sandbox::state_dir(&state).unwrap();
    let running = Sandbox::start(SandboxConfig::default().with_db(db.to_string_lossy()))
        .await
        .unwrap();
    let run = crate::support::run_binary(&examples, &["plan", "-f", "."], |command| {
        command
            .env_remove("TENANTRY_PORTAL")
            .env_remove("TENANTRY_PORTAL_TOKEN");
    })
    .await;
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains(&format!(
            "the sandbox database .tenantry/sandbox.db is in use by another sandbox (process {})",
            std::process::id()
        )),
        "{}",
        run.all()
    );
    assert!(run.stderr.contains("\nhint: "), "{}", run.all());
    running.shutdown().await;
    let run = crate::support::run_binary(&examples, &["plan", "-f", "."], |command| {
        command
            .env_remove("TENANTRY_PORTAL")
            .env_remove("TENANTRY_PORTAL_TOKEN");
    })
    .await;
    assert_eq!(run.code, 2, "{}", run.all());
}

/// `tenantry sandbox --faults` refuses what `PUT /sandbox/faults` refuses (422), naming the
/// file and the field, instead of starting with it.
#[test]
fn the_sandbox_refuses_a_faults_file_the_control_endpoint_would_refuse() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("faults.yaml"),
        "rules:\n  - serverError: 2\n",
    )
    .unwrap();
    let output = assert_cmd::cargo::cargo_bin_cmd!("tenantry")
        .current_dir(dir.path())
        .args([
            "sandbox",
            "--listen",
            "127.0.0.1:0",
            "--faults",
            "faults.yaml",
        ])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let all = text(&output);
    assert_eq!(output.status.code(), Some(1), "{all}");
    assert!(
        all.contains(
            "error: cannot parse faults.yaml (given with --faults): rules[0].serverError: a probability from 0 to 1"
        ),
        "{all}"
    );
}
