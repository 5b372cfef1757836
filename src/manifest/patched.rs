//! Objects read with placeholders in their broken fields, and the validation of a whole load.

use std::collections::BTreeMap;

use super::Loaded;
use crate::api::{Declared, ObjectId, Problem};
use crate::validate::{Options, validate_with};

/// Objects whose spec had type errors, read with placeholders in the broken fields
/// (`manifest::recover`) so that the validation rules can check the rest of them. They are not
/// in [`Loaded::declared`]: nothing plans, applies or imports them.
#[derive(Debug, Default)]
pub struct Patched {
    /// The objects (their Secrets are the load's).
    pub(super) declared: Declared,
    /// Per object, the fields that hold placeholders.
    pub(super) fields: BTreeMap<ObjectId, Vec<String>>,
}

impl Patched {
    /// True when no object was patched.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// True when `problem` concerns a patched object, and not a field that holds a
    /// placeholder (or lies below one).
    fn keeps(&self, problem: &Problem) -> bool {
        let Some(fields) = self.fields.get(&problem.object) else {
            return false;
        };
        !fields.iter().any(|patched| {
            problem.field == *patched
                || problem
                    .field
                    .strip_prefix(patched.as_str())
                    .is_some_and(|rest| rest.starts_with(['.', '[']))
        })
    }
}

/// Every problem of a load: the loader's, then the validation rules' over the declared
/// objects, and over the patched objects outside their patched fields. Sorted, each once.
pub fn problems(loaded: &Loaded, options: &Options) -> Vec<Problem> {
    let mut out = loaded.problems.clone();
    out.extend(validate_with(&loaded.declared, options));
    let patched = &loaded.patched;
    if !patched.is_empty() {
        // The other objects keep the verdicts above (a reference to a patched object is one
        // to an object "declared but invalid"); only the patched objects' own are added. The
        // patched Tenants are checked apart, so that no patched object is checked against a
        // Tenant's placeholders.
        let p = &patched.declared;
        let mut tenants = loaded.declared.clone();
        tenants.tenants.extend(p.tenants.iter().cloned());
        let mut others = loaded.declared.clone();
        others.admins.extend(p.admins.iter().cloned());
        others.bindings.extend(p.bindings.iter().cloned());
        others.connections.extend(p.connections.iter().cloned());
        for all in [tenants, others] {
            out.extend(
                validate_with(&all, options)
                    .into_iter()
                    .filter(|problem| patched.keeps(problem)),
            );
        }
    }
    out.sort();
    out.dedup();
    out
}
