//! A value checked against a CRD's structural schema, as the API server checks it on admission:
//! nulls pruned, defaults applied, then types, enums, required and unknown fields, bounds,
//! patterns and formats.
//!
//! One walker serves two readers: the loader, which reports every schema fault of a spec that
//! serde refused at its first error, and the CRD tests, which run the CEL rules on the values
//! the API server would admit.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::LazyLock;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
};
use serde_json::Value as Json;

/// Fields the API server handles itself; kube leaves them out of the generated schema.
const ROOT_FIELDS: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// `format: email` as the API server checks it (kube-openapi's strfmt, RFC 5322 addr-spec),
/// narrowed to the dot-atom local parts and DNS domains tenantry's users write.
static EMAIL: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$",
    )
    .expect("a constant, valid regex")
});

/// One step of a field path: a mapping key or a list index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A key of a mapping.
    Key(String),
    /// A position in a list.
    Index(usize),
}

/// A value the schema refuses, at a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The field, step by step from the value checked.
    pub steps: Vec<Step>,
    /// The field as text: `spec.domains[0]` (`base` of [`admit_at`] first).
    pub path: String,
    /// What is wrong.
    pub kind: FaultKind,
}

/// What the schema refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// The value is of another type than `want` (`string`, `integer`, `array`, `object`, ...).
    WrongType {
        /// The schema's type.
        want: String,
        /// The value found, in the user's words (`the text "x"`, `a list`).
        found: String,
    },
    /// A string outside the schema's enum.
    Unsupported {
        /// The value found.
        value: String,
        /// The allowed values.
        choices: Vec<String>,
    },
    /// A required field is absent.
    Required,
    /// A field the schema does not list.
    UnknownField {
        /// The fields the mapping may hold.
        known: Vec<String>,
    },
    /// A mapping holds fields where the schema allows none.
    UnknownFields,
    /// More properties than `maxProperties`.
    TooManyProperties {
        /// How many there are.
        count: usize,
        /// The most allowed.
        max: i64,
    },
    /// A length (`items` or `chars`) below the minimum.
    TooFew {
        /// The minimum.
        min: i64,
        /// What is counted.
        unit: &'static str,
    },
    /// A length (`items` or `chars`) above the maximum.
    TooMany {
        /// The maximum.
        max: i64,
        /// What is counted.
        unit: &'static str,
    },
    /// A string that does not match the schema's pattern.
    Pattern {
        /// The pattern.
        pattern: String,
    },
    /// A string that is not an e-mail address (`format: email`).
    Email {
        /// The value found.
        value: String,
    },
    /// A number outside `minimum`..`maximum`.
    OutOfRange,
    /// A repeated item of a `set` or `map` list.
    Duplicate,
}

impl FaultKind {
    /// True for what serde refuses too (types, enums, required and unknown fields), as opposed
    /// to the value checks (bounds, patterns, formats) that the validation rules report.
    pub fn is_structural(&self) -> bool {
        matches!(
            self,
            Self::WrongType { .. }
                | Self::Unsupported { .. }
                | Self::Required
                | Self::UnknownField { .. }
                | Self::UnknownFields
        )
    }
}

/// In the API server's words, as the CRD tests compare them.
impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = &self.path;
        match &self.kind {
            FaultKind::WrongType { want, .. } => write!(f, "{path}: must be of type {want}"),
            FaultKind::Unsupported { value, .. } => {
                write!(f, "{path}: Unsupported value {value:?}")
            }
            FaultKind::Required => write!(f, "{path}: Required value"),
            FaultKind::UnknownField { .. } => {
                write!(f, "{path}: unknown field (the API server would drop it)")
            }
            FaultKind::UnknownFields => {
                write!(f, "{path}: unknown fields (the API server would drop them)")
            }
            FaultKind::TooManyProperties { count, max } => {
                write!(
                    f,
                    "{path}: Too many: {count}: must have at most {max} items"
                )
            }
            FaultKind::TooFew { min, unit } => write!(f, "{path}: fewer than {min} {unit}"),
            FaultKind::TooMany { max, unit } => write!(f, "{path}: more than {max} {unit}"),
            FaultKind::Pattern { pattern } => write!(f, "{path}: should match '{pattern}'"),
            FaultKind::Email { value } => {
                write!(f, "{path}: in body must be of type email: {value:?}")
            }
            FaultKind::OutOfRange => write!(f, "{path}: out of range"),
            FaultKind::Duplicate => write!(f, "{path}: Duplicate value"),
        }
    }
}

/// The root schema (apiVersion, kind, metadata, spec, status) of a CRD's only version.
pub fn root_schema(crd: &CustomResourceDefinition) -> Option<&JSONSchemaProps> {
    crd.spec
        .versions
        .first()?
        .schema
        .as_ref()?
        .open_api_v3_schema
        .as_ref()
}

/// The item schema of an array schema.
pub fn items_of(schema: &JSONSchemaProps) -> Option<&JSONSchemaProps> {
    match schema.items.as_ref()? {
        JSONSchemaPropsOrArray::Schema(items) => Some(items),
        JSONSchemaPropsOrArray::Schemas(_) => None,
    }
}

/// Prunes nulls and applies defaults in place, and returns every schema violation.
pub fn admit(schema: &JSONSchemaProps, value: &mut Json) -> Vec<Fault> {
    admit_at(schema, value, "")
}

/// [`admit`] for a value found at `base` (e.g. `spec`): paths start there.
pub fn admit_at(schema: &JSONSchemaProps, value: &mut Json, base: &str) -> Vec<Fault> {
    let mut walker = Walker {
        steps: Vec::new(),
        base,
        faults: Vec::new(),
    };
    walker.walk(schema, value);
    walker.faults
}

/// The value a user would describe: `the text "x"`, `the number 5`, `a list`.
pub fn describe(value: &Json) -> String {
    match value {
        Json::Object(_) => "a mapping".to_owned(),
        Json::Array(_) => "a list".to_owned(),
        Json::String(text) => format!("the text \"{}\"", super::clip(text)),
        Json::Number(n) => format!("the number {n}"),
        Json::Bool(b) => b.to_string(),
        Json::Null => "nothing (null)".to_owned(),
    }
}

struct Walker<'b> {
    steps: Vec<Step>,
    base: &'b str,
    faults: Vec<Fault>,
}

impl Walker<'_> {
    fn fault(&mut self, kind: FaultKind) {
        let mut path = self.base.to_owned();
        for step in &self.steps {
            match step {
                Step::Key(key) if path.is_empty() => path.push_str(key),
                Step::Key(key) => {
                    path.push('.');
                    path.push_str(key);
                }
                Step::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        self.faults.push(Fault {
            steps: self.steps.clone(),
            path,
            kind,
        });
    }

    fn below(&mut self, step: Step, work: impl FnOnce(&mut Self)) {
        self.steps.push(step);
        work(self);
        self.steps.pop();
    }

    fn wrong_type(&mut self, want: &str, value: &Json) {
        let secret = self.steps.iter().any(|s| match s {
            Step::Key(key) => super::about_secret(key),
            Step::Index(_) => false,
        });
        let found = match value {
            Json::String(_) if secret => super::HIDDEN_VALUE.to_owned(),
            _ => describe(value),
        };
        self.fault(FaultKind::WrongType {
            want: want.to_owned(),
            found,
        });
    }

    fn walk(&mut self, schema: &JSONSchemaProps, value: &mut Json) {
        let want = schema.type_.as_deref().unwrap_or_default();
        match value {
            Json::Object(_) if want != "object" => self.wrong_type(want, value),
            Json::Object(map) => self.walk_object(schema, map),
            Json::Array(_) if want != "array" => self.wrong_type(want, value),
            Json::Array(items) => {
                self.bounds(items.len(), schema.min_items, schema.max_items, "items");
                self.list_type(schema, items);
                if let Some(item_schema) = items_of(schema) {
                    for (i, item) in items.iter_mut().enumerate() {
                        self.below(Step::Index(i), |w| w.walk(item_schema, item));
                    }
                }
            }
            Json::String(_) if want != "string" => self.wrong_type(want, value),
            Json::String(text) => self.walk_string(schema, text),
            Json::Number(number) => {
                let integer_ok = want == "integer" && (number.is_i64() || number.is_u64());
                if !integer_ok && want != "number" {
                    self.wrong_type(want, value);
                    return;
                }
                let n = number.as_f64().unwrap_or_default();
                if schema.minimum.is_some_and(|min| n < min)
                    || schema.maximum.is_some_and(|max| n > max)
                {
                    self.fault(FaultKind::OutOfRange);
                }
            }
            Json::Bool(_) if want != "boolean" => self.wrong_type(want, value),
            Json::Bool(_) | Json::Null => {}
        }
    }

    fn walk_object(&mut self, schema: &JSONSchemaProps, map: &mut serde_json::Map<String, Json>) {
        // The API server counts properties before pruning unknown ones.
        if let Some(max) = schema.max_properties
            && map.len() as i64 > max
        {
            self.fault(FaultKind::TooManyProperties {
                count: map.len(),
                max,
            });
        }
        if let Some(properties) = &schema.properties {
            let at_root = self.steps.is_empty() && self.base.is_empty();
            let unknown: Vec<String> = map
                .keys()
                .filter(|key| {
                    let handled_by_server = at_root && ROOT_FIELDS.contains(&key.as_str());
                    !(properties.contains_key(*key) || handled_by_server)
                })
                .cloned()
                .collect();
            for key in unknown {
                let known = properties.keys().cloned().collect();
                self.below(Step::Key(key), |w| {
                    w.fault(FaultKind::UnknownField { known });
                });
            }
            for (name, property) in properties {
                // A null is pruned (nullable fields keep it, but CEL sees them as absent).
                if map.get(name).is_some_and(Json::is_null) {
                    map.remove(name);
                    if property.nullable == Some(true) {
                        continue;
                    }
                }
                if let (None, Some(default)) = (map.get(name), &property.default) {
                    map.insert(name.clone(), default.0.clone());
                }
            }
            for required in schema.required.iter().flatten() {
                if !map.contains_key(required) {
                    self.below(Step::Key(required.clone()), |w| {
                        w.fault(FaultKind::Required);
                    });
                }
            }
            for (name, property) in properties {
                if let Some(child) = map.get_mut(name) {
                    self.below(Step::Key(name.clone()), |w| w.walk(property, child));
                }
            }
        } else if let Some(JSONSchemaPropsOrBool::Schema(values)) = &schema.additional_properties {
            for (key, child) in map.iter_mut() {
                self.below(Step::Key(key.clone()), |w| w.walk(values, child));
            }
        } else if !map.is_empty() && schema.x_kubernetes_preserve_unknown_fields != Some(true) {
            self.fault(FaultKind::UnknownFields);
        }
    }

    fn walk_string(&mut self, schema: &JSONSchemaProps, text: &str) {
        if let Some(values) = &schema.enum_
            && !values.iter().any(|v| v.0.as_str() == Some(text))
        {
            self.fault(FaultKind::Unsupported {
                value: text.to_owned(),
                choices: values
                    .iter()
                    .filter_map(|v| v.0.as_str().map(str::to_owned))
                    .collect(),
            });
        }
        let chars = text.chars().count();
        self.bounds(chars, schema.min_length, schema.max_length, "chars");
        if schema.format.as_deref() == Some("email") && !EMAIL.is_match(text) {
            self.fault(FaultKind::Email {
                value: text.to_owned(),
            });
        }
        if let Some(pattern) = &schema.pattern {
            // The generated schemas' patterns are constants that a CRD test compiles; one
            // that does not compile cannot match.
            if !regex::Regex::new(pattern).is_ok_and(|re| re.is_match(text)) {
                self.fault(FaultKind::Pattern {
                    pattern: pattern.clone(),
                });
            }
        }
    }

    fn bounds(&mut self, len: usize, min: Option<i64>, max: Option<i64>, unit: &'static str) {
        let len = i64::try_from(len).unwrap_or(i64::MAX);
        if let Some(min) = min
            && len < min
        {
            self.fault(FaultKind::TooFew { min, unit });
        }
        if let Some(max) = max
            && len > max
        {
            self.fault(FaultKind::TooMany { max, unit });
        }
    }

    /// `set` lists hold no duplicate; `map` lists no two items with the same keys.
    fn list_type(&mut self, schema: &JSONSchemaProps, items: &[Json]) {
        let keys_of = |item: &Json| -> String {
            match schema.x_kubernetes_list_type.as_deref() {
                Some("map") => schema
                    .x_kubernetes_list_map_keys
                    .iter()
                    .flatten()
                    .map(|k| item.get(k).map(Json::to_string).unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join("/"),
                _ => item.to_string(),
            }
        };
        if !matches!(
            schema.x_kubernetes_list_type.as_deref(),
            Some("set" | "map")
        ) {
            return;
        }
        let mut seen = BTreeSet::new();
        for (i, item) in items.iter().enumerate() {
            if !seen.insert(keys_of(item)) {
                self.below(Step::Index(i), |w| w.fault(FaultKind::Duplicate));
            }
        }
    }
}
