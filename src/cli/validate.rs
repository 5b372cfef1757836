//! `tenantry validate`: read manifests, check every portal rule, print every problem.
//!
//! Exit 0 when there is no error (warnings alone pass), 1 when there is any. The JSON output
//! is a versioned schema documented in docs/validate-json.md.

use std::io::Write;

use serde::Serialize;

use super::{CliError, exit};
use tenantry::api::{Problem, Severity};
use tenantry::manifest::{self, Input, LoadOptions};

/// The `apiVersion` of the JSON report; bump it on any incompatible change.
pub const JSON_API_VERSION: &str = "tenantry.dev/validate/v1";

/// Arguments of `tenantry validate`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Secret values come from Secret manifests in the input or, for a \
    reference no manifest provides, from the environment variable \
    TENANTRY_SECRET_<NAMESPACE>_<NAME>_<KEY> (upper case, other characters as _). \
    Directories skip what their .tenantryignore files list (gitignore syntax)."
)]
pub struct Args {
    /// Manifest files or directories (searched recursively for .yaml and .yml); `-` reads
    /// standard input.
    #[arg(short = 'f', long = "filename", value_name = "PATH", required = true, num_args = 1..)]
    pub paths: Vec<String>,
    /// Namespace of objects that declare none.
    #[arg(short = 'n', long, value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,
    /// Output format: text for people, json for machines.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

/// How problems are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// One problem per line, then a summary.
    Text,
    /// One JSON document (schema: docs/validate-json.md).
    Json,
}

/// Loads, validates, prints; returns 1 when any problem is an error.
pub fn run(args: Args) -> Result<u8, CliError> {
    let inputs: Vec<Input> = args.paths.iter().map(|p| Input::from_arg(p)).collect();
    let options = LoadOptions {
        namespace: args.namespace,
    };
    let mut loaded = manifest::load(&inputs, &options)?;
    manifest::fill_secrets_from_env(&mut loaded.declared, |name| std::env::var(name).ok());
    let problems = manifest::problems(&loaded, &tenantry::validate::Options::default());
    let report = Report::new(problems, loaded.declared.len(), loaded.files);
    match print(&report, args.output) {
        // `tenantry validate ... | head` closes the pipe early; that is not an error.
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.map_err(CliError::Stdout)?,
    }
    Ok(if report.errors > 0 {
        exit::ERROR
    } else {
        exit::OK
    })
}

fn print(report: &Report, output: Output) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match output {
        Output::Text => out.write_all(report.text().as_bytes())?,
        Output::Json => {
            serde_json::to_writer_pretty(&mut out, &report.json())?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()
}

/// The outcome of a validation run.
#[derive(Debug)]
pub struct Report {
    problems: Vec<Problem>,
    objects: usize,
    files: usize,
    errors: usize,
    warnings: usize,
}

impl Report {
    /// A report of `problems` found in `objects` tenantry objects read from `files` sources.
    pub fn new(problems: Vec<Problem>, objects: usize, files: usize) -> Self {
        let errors = problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count();
        Self {
            warnings: problems.len() - errors,
            problems,
            objects,
            files,
            errors,
        }
    }

    /// One line per problem (`file:line: Kind ns/name: field: message [rule]`), then a summary.
    pub fn text(&self) -> String {
        let mut text = String::new();
        for problem in &self.problems {
            text.push_str(&problem.to_string());
            text.push('\n');
        }
        text.push_str(&format!(
            "{}, {} in {} ({})\n",
            plural(self.errors, "error"),
            plural(self.warnings, "warning"),
            plural(self.objects, "object"),
            plural(self.files, "file"),
        ));
        text
    }

    /// The JSON document of docs/validate-json.md.
    pub fn json(&self) -> JsonReport<'_> {
        JsonReport {
            api_version: JSON_API_VERSION,
            objects: self.objects,
            files: self.files,
            errors: self.errors,
            warnings: self.warnings,
            problems: self.problems.iter().map(JsonProblem::from).collect(),
        }
    }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `--output json`: the whole report (docs/validate-json.md).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonReport<'a> {
    /// Always [`JSON_API_VERSION`].
    pub api_version: &'static str,
    /// tenantry objects read (Secrets, Namespaces and Kustomizations not counted).
    pub objects: usize,
    /// Files (and standard input) read.
    pub files: usize,
    /// Problems of severity `error`.
    pub errors: usize,
    /// Problems of severity `warning`.
    pub warnings: usize,
    /// Every problem, sorted by file, line, object and field.
    pub problems: Vec<JsonProblem<'a>>,
}

/// One problem in the JSON report; flat, so `jq` filters stay short.
#[derive(Debug, Serialize)]
pub struct JsonProblem<'a> {
    /// File as given (or `<stdin>`).
    pub file: &'a str,
    /// 1-based line; 0 when the problem concerns a whole file or directory.
    pub line: usize,
    /// Kind of the object; empty when unknown.
    pub kind: &'a str,
    /// Namespace; empty for cluster-scoped or unknown objects.
    pub namespace: &'a str,
    /// Name; empty when unknown.
    pub name: &'a str,
    /// Field path such as `spec.domains[1]`; empty for whole-object problems.
    pub field: &'a str,
    /// Stable rule id such as `type-error`.
    pub rule: &'a str,
    /// `error` or `warning`.
    pub severity: Severity,
    /// What is wrong and what to do.
    pub message: &'a str,
}

impl<'a> From<&'a Problem> for JsonProblem<'a> {
    fn from(p: &'a Problem) -> Self {
        Self {
            file: &p.location.file,
            line: p.location.line,
            kind: &p.object.kind,
            namespace: &p.object.namespace,
            name: &p.object.name,
            field: &p.field,
            rule: p.rule,
            severity: p.severity,
            message: &p.message,
        }
    }
}
