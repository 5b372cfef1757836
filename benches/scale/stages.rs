//! The CPU stages of `plan`, each timed on its own: the F₂ floor, load + validate, expand,
//! diff against an empty, a converged and a drifted portal, and rendering.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::de::IgnoredAny;
use serde_json::Value;
use tenantry::api::Severity;
use tenantry::api::{Declared, Sensitive};
use tenantry::manifest::{self, Input, LoadOptions};
use tenantry::model::{self, Kind, Model, Observed, PortalObject, SecretSource};
use tenantry::plan::{self, Plan, PlanOptions, Scope, render};
use tenantry::validate::{self, Options};

use crate::measure::{Row, Samples};

/// Namespace of the generated repository.
pub const NAMESPACE: &str = "customers";

/// What the CPU stages produce for the later sections.
pub struct Outputs {
    /// Their portal resources.
    pub model: Model,
    /// F₂, the floor every ratio refers to (its runs).
    pub f2: Samples,
    /// Load + validate + expand, the plan's work before it sees the portal (sum of medians).
    pub prepare: Samples,
    /// The repository.
    pub dir: PathBuf,
}

/// The plan options of a run over the generated namespace.
pub fn plan_options() -> PlanOptions {
    PlanOptions {
        prune: false,
        scope: Scope::Namespaces(BTreeSet::from([NAMESPACE.to_owned()])),
        ..PlanOptions::default()
    }
}

/// F₂ and the stages before the diff: parse-only reference, loader, validation, expansion.
pub fn prepare(dir: &Path, runs: usize, rows: &mut Vec<Row>) -> anyhow::Result<Outputs> {
    let inputs = [Input::Path(dir.to_path_buf())];
    let options = LoadOptions {
        namespace: NAMESPACE.to_owned(),
    };
    let files = yaml_files(dir)?;
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .sum();

    // The floor and the loader are timed in alternation, so a burst of load from the other
    // users of the machine hits both rather than one of them.
    let check = Options {
        require_secrets: true,
    };
    let load_and_validate = || {
        let loaded = manifest::load(&inputs, &options);
        let problems = loaded
            .as_ref()
            .map(|l| validate::validate_with(&l.declared, &check))
            .unwrap_or_default();
        (loaded, problems)
    };
    let (mut events, mut docs) = Samples::collect(1, true, || parse_only(&files));
    let (mut f2, mut loaded) = Samples::collect(1, true, || manifest::load(&inputs, &options));
    let (mut both, _) = Samples::collect(1, true, load_and_validate);
    for _ in 1..runs {
        let (s, d) = Samples::collect(1, false, || parse_only(&files));
        events.extend(s);
        docs = d;
        let (s, l) = Samples::collect(1, false, || manifest::load(&inputs, &options));
        f2.extend(s);
        loaded = l;
        let (s, _) = Samples::collect(1, false, load_and_validate);
        both.extend(s);
    }
    let loaded = loaded?;
    anyhow::ensure!(
        loaded.problems.is_empty(),
        "the generated repository has load problems: {:?}",
        loaded.problems.first().map(ToString::to_string)
    );
    let declared = loaded.declared;
    let floor = f2.clone();
    rows.push(Row {
        stage: "YAML events only (2 threads, no types)".into(),
        samples: events,
        floor: Some(floor.clone()),
        note: format!("reference below the floor: {docs} documents"),
    });
    rows.push(Row {
        stage: "**F₂**: walk + read + parse → typed (loader)".into(),
        samples: f2,
        floor: Some(floor.clone()),
        note: format!(
            "{} files, {:.1} MB, {} objects + {} Secrets",
            loaded.files,
            bytes as f64 / 1e6,
            declared.len(),
            declared.secrets.len()
        ),
    });

    let (validation, problems) =
        Samples::collect(runs, true, || validate::validate_with(&declared, &check));
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    anyhow::ensure!(errors == 0, "the generated repository has {errors} errors");
    rows.push(Row {
        stage: "validate".into(),
        samples: validation.clone(),
        floor: Some(floor.clone()),
        note: format!("{} warnings", problems.len()),
    });
    rows.push(Row {
        stage: "load + validate".into(),
        samples: both.clone(),
        floor: Some(floor.clone()),
        note: String::new(),
    });

    let (expansion, expanded) = Samples::collect(runs, true, || model::expand(&declared));
    let model = expanded?;
    let prepare = Samples::sum(&[&both, &expansion]);
    rows.push(Row {
        stage: "expand → model".into(),
        samples: expansion,
        floor: Some(floor.clone()),
        note: format!("{} portal resources", model.len()),
    });
    Ok(Outputs {
        dir: dir.to_path_buf(),
        model,
        f2: floor,
        prepare,
    })
}

/// Diff against an empty portal and rendering of that (all-create) plan.
pub fn plan_empty(outputs: &Outputs, runs: usize, rows: &mut Vec<Row>) {
    let options = plan_options();
    let empty = Observed::new();
    let (diff, plan) =
        Samples::collect(runs, true, || plan::plan(&outputs.model, &empty, &options));
    rows.push(Row {
        stage: "plan vs empty portal (diff)".into(),
        samples: diff,
        floor: Some(outputs.f2.clone()),
        note: format!("{} creates", plan.summary().add),
    });
    render_rows("all-create plan", &plan, &outputs.f2, runs, rows);
}

/// Diff against a converged portal (must plan nothing) and a 1 % drift, with its rendering.
pub fn plan_converged(
    outputs: &Outputs,
    converged: &Observed,
    source: &str,
    runs: usize,
    rows: &mut Vec<Row>,
) -> anyhow::Result<()> {
    let options = plan_options();
    let (diff, plan) = Samples::collect(runs, true, || {
        plan::plan(&outputs.model, converged, &options)
    });
    anyhow::ensure!(
        !plan.has_changes(),
        "the converged portal ({source}) still plans {} change(s), e.g. {:?}",
        plan.actions.len(),
        plan.actions.first().map(|a| a.summary_line())
    );
    let whole = Samples::sum(&[&outputs.prepare, &diff]);
    rows.push(Row {
        stage: format!("plan vs converged portal (diff, {source})"),
        samples: diff,
        floor: Some(outputs.f2.clone()),
        note: format!("{} unchanged, 0 changes", plan.unchanged),
    });
    rows.push(Row {
        stage: "converged plan = Σ medians of load + validate, expand, diff".into(),
        samples: whole,
        floor: Some(outputs.f2.clone()),
        note: "observe I/O is in the apply table".into(),
    });
    // The loaded objects and the model are returned, so freeing them is timed on its own
    // (a CLI pays it at exit unless it leaks them on purpose).
    let mut end = Samples::default();
    let mut freeing = Samples::default();
    for _ in 0..runs.max(1) {
        let (s, result) = Samples::collect(1, false, || end_to_end(&outputs.dir, converged));
        end.extend(s);
        let (declared, model, plan) = result?;
        anyhow::ensure!(
            !plan.has_changes(),
            "the end-to-end converged plan has changes"
        );
        let mut held = Some((declared, model, plan));
        let (s, ()) = Samples::collect(1, false, || drop(held.take()));
        freeing.extend(s);
    }
    let end_to_end = end;
    rows.push(Row {
        stage: "**converged plan, end to end** (one timed run of all four)".into(),
        samples: end_to_end,
        floor: Some(outputs.f2.clone()),
        note: "the figure the targets refer to (without observe I/O)".into(),
    });
    rows.push(Row {
        stage: "free the loaded objects and the model".into(),
        samples: freeing,
        floor: Some(outputs.f2.clone()),
        note: "not in the row above".into(),
    });

    let drifted = drift(&outputs.model, converged, 100);
    let (diff, plan) = Samples::collect(runs, true, || {
        plan::plan(&outputs.model, &drifted, &options)
    });
    rows.push(Row {
        stage: "plan at 1 % drift (diff)".into(),
        samples: diff,
        floor: Some(outputs.f2.clone()),
        note: format!(
            "{} updates, {} replaces",
            plan.summary().change,
            plan.summary().replace
        ),
    });
    render_rows("1 % drift plan", &plan, &outputs.f2, runs, rows);
    Ok(())
}

/// What `tenantry plan` does before and after observing: load, validate, expand, diff.
fn end_to_end(dir: &Path, observed: &Observed) -> anyhow::Result<(Declared, Model, Plan)> {
    let loaded = manifest::load(
        &[Input::Path(dir.to_path_buf())],
        &LoadOptions {
            namespace: NAMESPACE.to_owned(),
        },
    )?;
    let problems = validate::validate_with(
        &loaded.declared,
        &Options {
            require_secrets: true,
        },
    );
    anyhow::ensure!(
        problems.iter().all(|p| p.severity != Severity::Error),
        "invalid input"
    );
    let model = model::expand(&loaded.declared)?;
    let plan = plan::plan(&model, observed, &plan_options());
    Ok((loaded.declared, model, plan))
}

fn render_rows(what: &str, plan: &Plan, f2: &Samples, runs: usize, rows: &mut Vec<Row>) {
    type Renderer = fn(&Plan) -> String;
    let formats: [(&str, Renderer); 3] = [
        ("text", |p| render::text(p, false)),
        ("JSON", render::json),
        ("Markdown", render::markdown),
    ];
    for (name, renderer) in formats {
        let (samples, out) = Samples::collect(runs, true, || renderer(plan));
        rows.push(Row {
            stage: format!("render {name}, {what}"),
            samples,
            floor: Some(f2.clone()),
            note: format!("{:.1} MB", out.len() as f64 / 1e6),
        });
    }
}

/// What the portals hold after an exact apply of `model`, built without a portal: the stored
/// wire spec (parent ids filled in, secrets only as fingerprints) plus ids and `Ready`.
pub fn converge(model: &Model) -> Observed {
    let mut observed = Observed::new();
    let mut ids = HashMap::new();
    for (i, r) in model.resources().iter().enumerate() {
        let id = format!("{}-{i:06}", r.address.kind.name());
        let mut spec = r.spec.clone();
        if let Some(link) = &r.parent {
            let parent: &String = ids.get(&link.address).unwrap_or(&id);
            spec.insert(link.field.to_owned(), Value::String(parent.clone()));
        }
        for s in &r.secrets {
            let value = match &s.source {
                SecretSource::Known(value) => value.clone(),
                SecretSource::Generated => Sensitive::new("Generated-Pass-9"),
            };
            let print = model::fingerprint(&r.address.external_ref, s.field, &value);
            spec.insert(model::fingerprint_field(s.field), Value::String(print));
        }
        let mut status = serde_json::Map::new();
        status.insert("phase".into(), "Ready".into());
        observed.insert(
            r.address.kind,
            PortalObject {
                id: id.clone(),
                external_ref: r.address.external_ref.clone(),
                deletion_policy: r.deletion_policy,
                version: 1,
                spec,
                status,
            },
        );
        ids.insert(r.address.clone(), id);
    }
    observed
}

/// A copy of `observed` where one declared string field of every `every`-th resource was
/// changed in the portal (someone edited it by hand).
pub fn drift(model: &Model, observed: &Observed, every: usize) -> Observed {
    let mut edited: HashMap<(Kind, &str), PortalObject> = HashMap::new();
    for r in model.resources().iter().step_by(every.max(1)) {
        let Some(object) = observed.get(r.address.kind, &r.address.external_ref) else {
            continue;
        };
        let Some(field) = r.spec.iter().find(|(_, v)| v.is_string()).map(|(k, _)| k) else {
            continue;
        };
        let mut object = object.clone();
        if let Some(Value::String(s)) = object.spec.get_mut(field) {
            s.push('x');
            edited.insert((r.address.kind, r.address.external_ref.as_str()), object);
        }
    }
    let mut drifted = Observed::new();
    for kind in Kind::ALL {
        for o in observed.of_kind(kind) {
            let o = edited
                .remove(&(kind, o.external_ref.as_str()))
                .unwrap_or_else(|| o.clone());
            drifted.insert(kind, o);
        }
    }
    drifted
}

/// The `.yaml` files of the generated repository, sorted.
fn yaml_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    Ok(files)
}

/// Reads every file and runs the YAML parser over every document without building anything,
/// on two threads: how fast the YAML crate alone goes on this input.
fn parse_only(files: &[PathBuf]) -> usize {
    let next = AtomicUsize::new(0);
    let docs = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                let mut mine = 0;
                while let Some(file) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let Ok(text) = std::fs::read_to_string(file) else {
                        continue;
                    };
                    for doc in serde_yaml::Deserializer::from_str(&text) {
                        if serde::Deserialize::deserialize(doc)
                            .map(|_: IgnoredAny| ())
                            .is_ok()
                        {
                            mine += 1;
                        }
                    }
                }
                docs.fetch_add(mine, Ordering::Relaxed);
            });
        }
    });
    docs.into_inner()
}
