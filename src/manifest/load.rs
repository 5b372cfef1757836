//! Reading sources in parallel and assembling one `Declared` set in a stable order.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::document::{Object, parse_document};
use super::error::LoadError;
use super::patched::Patched;
use super::rules;
use super::split::split_documents;
use super::walk::{Input, Source, resolve};
use crate::api::{Declared, Located, Location};
use crate::api::{ObjectId, Problem, Severity};

/// Name of standard input in locations.
pub const STDIN_NAME: &str = "<stdin>";

/// The most bytes read from one file or from standard input: ten thousand customers in one
/// file take about 24 MB (DESIGN.md §8); anything far beyond is a mistake or an attack.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// How to read manifests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// Namespace of objects that declare none (like `kubectl apply -n`).
    pub namespace: String,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            namespace: "default".to_owned(),
        }
    }
}

/// Everything read from the inputs: the objects, and the problems that kept some out.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Objects with their locations, and the values of Secret manifests.
    pub declared: Declared,
    /// Load problems (YAML syntax, types, kinds, apiVersions, names), in file and line order.
    pub problems: Vec<Problem>,
    /// Number of files (and streams) read.
    pub files: usize,
    /// Objects with type errors, read with placeholders so the rules can check the rest.
    pub patched: Patched,
}

/// What one source yields, in document order.
#[derive(Debug, Default)]
struct SourceOutcome {
    objects: Vec<(Object, Location)>,
    problems: Vec<Problem>,
    /// Objects read with placeholders: the object, where, its id and its patched fields.
    patched: Vec<(Object, Location, ObjectId, Vec<String>)>,
}

/// Loads every input: files, directories (recursively) and `-` for standard input.
///
/// Files are parsed in parallel; the result is in input order, then path order within a
/// directory, then document order, whatever the thread timing.
pub fn load(inputs: &[Input], options: &LoadOptions) -> Result<Loaded, LoadError> {
    let walked = resolve(inputs)?;
    let mut stdin = None;
    if walked.sources.contains(&Source::Stdin) {
        let text =
            read_bounded(STDIN_NAME, std::io::stdin().lock()).map_err(|error| match error {
                LoadError::Unreadable { error, .. } => LoadError::Stdin { error },
                other => other,
            })?;
        stdin = Some(text);
    }
    let outcomes = in_parallel(&walked.sources, |source| match source {
        Source::File(path) => read_file(path, options),
        Source::Stdin => Ok(parse_bytes(
            STDIN_NAME,
            stdin.as_deref().unwrap_or_default(),
            options,
        )),
    })?;
    let mut loaded = assemble(outcomes, options);
    for dir in walked.empty_dirs {
        let location = Location {
            file: dir.display().to_string(),
            line: 0,
        };
        let message = format!(
            "no .yaml or .yml file in this directory or below it (after {}); check the path",
            super::walk::IGNORE_FILE
        );
        loaded.problems.push(
            Problem::error(
                &location,
                &ObjectId::default(),
                "",
                rules::NO_MANIFESTS,
                message,
            )
            .warning(),
        );
    }
    Ok(loaded)
}

/// Loads one stream, e.g. standard input or a test fixture, named `name` in locations.
pub fn load_reader(
    name: &str,
    reader: impl Read,
    options: &LoadOptions,
) -> Result<Loaded, LoadError> {
    let bytes = read_bounded(name, reader)?;
    Ok(assemble(vec![parse_bytes(name, &bytes, options)], options))
}

fn read_file(path: &Path, options: &LoadOptions) -> Result<SourceOutcome, LoadError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|error| LoadError::Unreadable {
        path: name.clone(),
        error,
    })?;
    let bytes = read_bounded(&name, file)?;
    Ok(parse_bytes(&name, &bytes, options))
}

/// Reads all of `reader`, refusing more than [`MAX_INPUT_BYTES`] (checked while reading, so a
/// file that grows or an endless stream stops at the limit).
fn read_bounded(name: &str, reader: impl Read) -> Result<Vec<u8>, LoadError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| LoadError::Unreadable {
            path: name.to_owned(),
            error,
        })?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(LoadError::TooLarge {
            path: name.to_owned(),
            limit_mib: MAX_INPUT_BYTES / (1024 * 1024),
        });
    }
    Ok(bytes)
}

/// Parses a whole stream: every document, each on its own.
fn parse_bytes(name: &str, bytes: &[u8], options: &LoadOptions) -> SourceOutcome {
    let mut outcome = SourceOutcome::default();
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let valid = &bytes[..err.valid_up_to()];
            let line = 1 + valid.iter().filter(|b| **b == b'\n').count();
            let location = Location {
                file: name.to_owned(),
                line,
            };
            outcome.problems.push(Problem::error(
                &location,
                &ObjectId::default(),
                "",
                rules::YAML_SYNTAX,
                "the file is not UTF-8 text; save it as UTF-8",
            ));
            return outcome;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for chunk in split_documents(text) {
        match parse_document(&chunk, name, &options.namespace) {
            Ok(Some(object)) => {
                let location = Location {
                    file: name.to_owned(),
                    line: chunk.start_line,
                };
                outcome.objects.push((object, location));
            }
            Ok(None) => {}
            Err(problem) => match super::recover::recover(&chunk, &options.namespace, &problem) {
                Some(recovered) => {
                    outcome.problems.extend(recovered.problems);
                    if let Some((object, fields)) = recovered.patched {
                        let location = Location {
                            file: name.to_owned(),
                            line: chunk.start_line,
                        };
                        outcome
                            .patched
                            .push((object, location, problem.object, fields));
                    }
                }
                None => outcome.problems.push(*problem),
            },
        }
    }
    outcome
}

/// Runs `work` on every item over the machine's cores and returns the results in item order.
fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    work: impl Fn(&T) -> Result<R, LoadError> + Sync,
) -> Result<Vec<R>, LoadError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(&work).collect();
    }
    // Threads take the next item as they finish (files differ in size); each result keeps
    // its index, so the order never depends on timing.
    let next = AtomicUsize::new(0);
    let mut indexed: Vec<(usize, Result<R, LoadError>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, work(item)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    indexed.sort_unstable_by_key(|(i, _)| *i);
    indexed.into_iter().map(|(_, r)| r).collect()
}

/// Joins the outcomes, in order, into one `Declared` set.
fn assemble(outcomes: Vec<SourceOutcome>, options: &LoadOptions) -> Loaded {
    let mut loaded = Loaded {
        files: outcomes.len(),
        ..Loaded::default()
    };
    let declared = &mut loaded.declared;
    for outcome in outcomes {
        for (object, location) in outcome.objects {
            add(declared, object, location, options);
        }
        for (object, location, id, fields) in outcome.patched {
            add(&mut loaded.patched.declared, object, location, options);
            loaded.patched.fields.insert(id, fields);
        }
        for p in &outcome.problems {
            // Named tenantry objects only: a reference can name nothing else.
            if p.severity == Severity::Error && !p.object.name.is_empty() {
                let location = p.location.clone();
                declared
                    .rejected
                    .entry(p.object.clone())
                    .or_insert(location);
            }
        }
        loaded.problems.extend(outcome.problems);
    }
    loaded
}

fn add(declared: &mut Declared, object: Object, location: Location, options: &LoadOptions) {
    match object {
        Object::Tenant(object) => declared.tenants.push(Located { object, location }),
        Object::Admin(object) => declared.admins.push(Located { object, location }),
        Object::Binding(object) => declared.bindings.push(Located { object, location }),
        Object::Connection(object) => {
            declared.connections.push(Located { object, location });
        }
        Object::Sink(object) => declared.sinks.push(Located { object, location }),
        Object::Secret(secret) => declared.add_secret(&secret, &options.namespace),
    }
}
