//! The portal contract's field semantics: one table, per portal kind, of which spec fields
//! compare ignoring case, which lists are sets, which fields are immutable or generated, the
//! portal's defaults, and which kinds lose data when replaced.
//!
//! The table is read from `openapi/portal.yaml` (vendor extensions `x-case-insensitive`,
//! `x-set`, `x-immutable`, `x-generated` and the standard `default` on the spec schemas'
//! properties; `x-destroys-data` on a spec schema itself), so the contract document is the one
//! source of truth: the plan's normalisation and destruction warnings, the sandbox's rules and
//! its equivalent-data fault all read this table and nothing else lists
//! those fields. The document is compiled in (`include_str!`) and parsed once, on first use
//! (about 90 ms in a debug build, once per process); a build script would do the same work on
//! every build of every builder for no gain in safety, since `the_contract_document_parses`
//! fails the unit tests on any document the table cannot be read from. Functions that compare
//! or reshape take a `&Semantics`, so a test can hand them a copy with one entry removed
//! ([`Semantics::without`]).

mod openapi;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde_json::Value;

use super::Kind;

pub use openapi::SemanticsError;

/// The portal contract, as served by the sandbox at `GET /openapi.yaml`.
pub const OPENAPI: &str = include_str!("../../../openapi/portal.yaml");

/// The table of the compiled-in contract.
static CONTRACT: LazyLock<Semantics> = LazyLock::new(|| {
    // The document is part of the binary, not input: the unit tests parse this very text, so
    // a build whose tests pass cannot reach the panic.
    Semantics::from_openapi(OPENAPI).unwrap_or_else(|e| {
        panic!("openapi/portal.yaml (compiled in) is not a valid contract: {e}")
    })
});

/// How the order of a list's items counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Order matters (no `x-set`).
    #[default]
    Significant,
    /// Order does not matter (`x-set: true`).
    Any,
    /// The first item is significant (a primary); the rest is a set (`x-set: after-first`).
    FirstThenAny,
}

/// What the contract says about one field, and through `members` and `items` about what lies
/// beneath it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSemantics {
    /// Strings at and below this field compare ignoring case (`x-case-insensitive`).
    pub case_insensitive: bool,
    /// How a list's order counts (`x-set`).
    pub order: Order,
    /// The value the portal assumes when the field is absent or `null` (`default`).
    pub default: Option<Value>,
    /// Why the field cannot change after creation, when it cannot (`x-immutable`).
    pub immutable: Option<String>,
    /// The portal fills the field in when absent and reports it in `status` under the same
    /// name (`x-generated`).
    pub generated: bool,
    /// The members of an object value, by name.
    pub members: BTreeMap<String, FieldSemantics>,
    /// The items of a list value.
    pub items: Option<Box<FieldSemantics>>,
}

impl FieldSemantics {
    /// The semantics of member `name` of an object value.
    pub fn member(&self, name: &str) -> Option<&FieldSemantics> {
        self.members.get(name)
    }

    /// The semantics of a list value's items.
    pub fn item(&self) -> Option<&FieldSemantics> {
        self.items.as_deref()
    }
}

/// One property a table entry may carry, to name it in [`Semantics::marks`] and
/// [`Semantics::without`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mark {
    /// `x-case-insensitive`
    CaseInsensitive,
    /// `x-set`
    Set,
    /// `x-immutable`
    Immutable,
    /// `x-generated`
    Generated,
    /// `default`
    Default,
}

/// The contract's field semantics of every portal kind: the root of each is the kind's spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Semantics {
    /// Indexed by the kind's position in [`Kind::ALL`].
    specs: Vec<FieldSemantics>,
    /// What a replacement of an object of the kind loses (`x-destroys-data`), by the same index.
    destroys: Vec<Option<String>>,
}

impl Semantics {
    /// The table of the compiled-in contract (`openapi/portal.yaml`).
    pub fn contract() -> &'static Semantics {
        &CONTRACT
    }

    /// The table read from an OpenAPI document of the portal contract.
    pub fn from_openapi(text: &str) -> Result<Semantics, SemanticsError> {
        openapi::read(text)
    }

    /// The semantics of `kind`'s spec (its members are the spec fields).
    pub fn spec(&self, kind: Kind) -> &FieldSemantics {
        // `from_openapi` fills one entry per kind, in `Kind::ALL` order.
        &self.specs[kind as usize]
    }

    /// The semantics of top-level spec field `field` of `kind`.
    pub fn field(&self, kind: Kind, field: &str) -> Option<&FieldSemantics> {
        self.spec(kind).member(field)
    }

    /// The portal's default for `field` of `kind`.
    pub fn default_of(&self, kind: Kind, field: &str) -> Option<&Value> {
        self.field(kind, field).and_then(|f| f.default.as_ref())
    }

    /// True when `field` of `kind` cannot change after creation.
    pub fn is_immutable(&self, kind: Kind, field: &str) -> bool {
        self.field(kind, field)
            .is_some_and(|f| f.immutable.is_some())
    }

    /// The immutable spec fields of `kind`, each with why it cannot change, by name.
    pub fn immutable_fields(&self, kind: Kind) -> impl Iterator<Item = (&str, &str)> {
        self.spec(kind)
            .members
            .iter()
            .filter_map(|(name, f)| f.immutable.as_deref().map(|why| (name.as_str(), why)))
    }

    /// What a replacement (delete, then create) of an object of `kind` loses, when it loses
    /// data the declarations cannot bring back (`x-destroys-data`).
    pub fn destroys_data(&self, kind: Kind) -> Option<&str> {
        self.destroys[kind as usize].as_deref()
    }

    /// A copy of the table in which replacing `kind` loses nothing. For tests.
    pub fn without_destroys_data(&self, kind: Kind) -> Semantics {
        let mut copy = self.clone();
        copy.destroys[kind as usize] = None;
        copy
    }

    /// True when the portal generates `field` of `kind` when absent (reported in `status`).
    pub fn is_generated(&self, kind: Kind, field: &str) -> bool {
        self.field(kind, field).is_some_and(|f| f.generated)
    }

    /// Every mark of the table as (kind, path, mark); a path names a spec field, `.member`
    /// below an object and `[]` below a list: `supportContacts[].role`.
    pub fn marks(&self) -> Vec<(Kind, String, Mark)> {
        let mut out = Vec::new();
        for kind in Kind::ALL {
            for (name, f) in &self.spec(kind).members {
                collect_marks(kind, name.clone(), f, &mut out);
            }
        }
        out
    }

    /// A copy of the table without `mark` at `path` of `kind` (as named by [`Semantics::marks`]);
    /// `None` when there is no such entry. For tests that prove each entry is needed.
    pub fn without(&self, kind: Kind, path: &str, mark: Mark) -> Option<Semantics> {
        let mut copy = self.clone();
        let node = node_mut(&mut copy.specs[kind as usize], path)?;
        let had = match mark {
            Mark::CaseInsensitive => std::mem::take(&mut node.case_insensitive),
            Mark::Set => std::mem::take(&mut node.order) != Order::Significant,
            Mark::Immutable => node.immutable.take().is_some(),
            Mark::Generated => std::mem::take(&mut node.generated),
            Mark::Default => node.default.take().is_some(),
        };
        had.then_some(copy)
    }
}

fn collect_marks(
    kind: Kind,
    path: String,
    f: &FieldSemantics,
    out: &mut Vec<(Kind, String, Mark)>,
) {
    let marks = [
        (f.case_insensitive, Mark::CaseInsensitive),
        (f.order != Order::Significant, Mark::Set),
        (f.immutable.is_some(), Mark::Immutable),
        (f.generated, Mark::Generated),
        (f.default.is_some(), Mark::Default),
    ];
    for (present, mark) in marks {
        if present {
            out.push((kind, path.clone(), mark));
        }
    }
    for (name, member) in &f.members {
        collect_marks(kind, format!("{path}.{name}"), member, out);
    }
    if let Some(item) = &f.items {
        collect_marks(kind, format!("{path}[]"), item, out);
    }
}

/// The node at `path` (as written by `collect_marks`) below `root`.
fn node_mut<'a>(root: &'a mut FieldSemantics, path: &str) -> Option<&'a mut FieldSemantics> {
    let mut node = root;
    for step in path.split('.') {
        let (name, lists) = match step.find("[]") {
            Some(i) => (&step[..i], step[i..].matches("[]").count()),
            None => (step, 0),
        };
        node = node.members.get_mut(name)?;
        for _ in 0..lists {
            node = node.items.as_deref_mut()?;
        }
    }
    Some(node)
}
