//! One YAML document → one typed object, or a [`Problem`] with its line and field.
//!
//! This is the only place that calls the YAML crate. A document is read in one pass: the
//! visitor notes `apiVersion`, `kind` and `metadata` as they come and reads `spec` straight
//! into the type its kind names, so the common layout costs a single parse. Only when `spec`
//! (or a Secret's data) comes before `kind` is the document read a second time.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::keys::KeyCheck;
use super::rules;
use super::split::Chunk;
use super::yaml_error::{describe, describe_rejected};
use crate::api::{
    API_VERSION, Location, NotificationSink, NotificationSinkSpec, PortalConnection,
    PortalConnectionSpec, ServiceBinding, ServiceBindingSpec, Tenant, TenantAdmin, TenantAdminSpec,
    TenantSpec,
};
use crate::api::{ObjectId, Problem, shown};

/// An object read from a manifest, before it joins a `Declared` set.
#[derive(Debug, Clone)]
pub(crate) enum Object {
    /// A Tenant.
    Tenant(Tenant),
    /// A TenantAdmin.
    Admin(TenantAdmin),
    /// A ServiceBinding.
    Binding(ServiceBinding),
    /// A PortalConnection.
    Connection(PortalConnection),
    /// A NotificationSink.
    Sink(NotificationSink),
    /// A Kubernetes Secret whose values feed secret references.
    Secret(Secret),
}

/// What a document's `apiVersion` and `kind` make of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Tenant,
    TenantAdmin,
    ServiceBinding,
    PortalConnection,
    NotificationSink,
    Secret,
    /// Namespaces and kustomize files: part of a GitOps repository, nothing for tenantry.
    Ignored,
}

impl Kind {
    fn namespaced(self) -> bool {
        !matches!(self, Kind::PortalConnection | Kind::NotificationSink)
    }
}

/// The header of a document, filled in as it is read and kept when the rest fails.
#[derive(Debug, Default)]
struct Header {
    api_version: Option<String>,
    kind: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
}

/// Reads one document. `Ok(None)` for empty documents and kinds that tenantry ignores.
pub(crate) fn parse_document(
    chunk: &Chunk<'_>,
    file: &str,
    default_namespace: &str,
) -> Result<Option<Object>, Box<Problem>> {
    let location = Location {
        file: file.to_owned(),
        line: chunk.start_line,
    };
    if let Some(line) = super::depth::too_deep(chunk.text) {
        let location = Location {
            file: file.to_owned(),
            line: chunk.first_line + line - 1,
        };
        return Err(Box::new(Problem::error(
            &location,
            &ObjectId::default(),
            "",
            rules::NESTING_DEPTH,
            format!(
                "brackets nest deeper than {} levels on this line; a manifest needs a handful: \
                 close the brackets or write the value as a string",
                super::depth::MAX_DEPTH
            ),
        )));
    }
    let ctx = Context {
        file,
        default_namespace,
    };
    let mut header = Header::default();
    let mut body = read(chunk, &ctx, &mut header, None)?;
    if body.keys == 0 {
        return Ok(None);
    }
    let id = object_id(&header, default_namespace);
    let kind = classify(&header).map_err(|(rule, field, message)| {
        Box::new(Problem::error(&location, &id, field, rule, message))
    })?;
    if body.skipped && kind != Kind::Ignored {
        // The header stays: it names the object if the second reading fails.
        body = read(chunk, &ctx, &mut header, Some(kind))?;
    }
    build(kind, body, default_namespace).map_err(|(rule, field, message)| {
        Box::new(Problem::error(&location, &id, field, rule, message))
    })
}

/// Where the document comes from, for problems.
struct Context<'a> {
    file: &'a str,
    default_namespace: &'a str,
}

/// Runs the visitor over the chunk and turns a YAML error into a problem.
fn read(
    chunk: &Chunk<'_>,
    ctx: &Context<'_>,
    header: &mut Header,
    hint: Option<Kind>,
) -> Result<Body, Box<Problem>> {
    let check = KeyCheck::default();
    let result = DocumentSeed {
        header: &mut *header,
        hint,
        check: &check,
    }
    .deserialize(check.wrap(serde_yaml::Deserializer::from_str(chunk.text)));
    let problem = |header: &Header, line, rule, field: String, message: String| {
        let location = Location {
            file: ctx.file.to_owned(),
            line,
        };
        let id = object_id(header, ctx.default_namespace);
        Box::new(Problem::error(&location, &id, field, rule, message))
    };
    if let Some(rejected) = check.found() {
        let (line, rule, field, message) =
            describe_rejected(chunk, result.as_ref().err(), &rejected);
        if header.name.is_none() {
            peek_name(chunk, header);
        }
        return Err(problem(header, line, rule, field, message));
    }
    result.map_err(|err| {
        // A syntax error can surface as whatever the visitor was reading when the events ran
        // out; reading the chunk again without types tells syntax and type errors apart.
        let syntax = serde_yaml::from_str::<IgnoredAny>(chunk.text).err();
        let rule = if syntax.is_some() {
            rules::YAML_SYNTAX
        } else if err.to_string().starts_with("recursion limit exceeded") {
            rules::NESTING_DEPTH
        } else {
            rules::TYPE_ERROR
        };
        let err = syntax.unwrap_or(err);
        let (line, field, message) = describe(chunk, &err, rule, header.kind.as_deref());
        problem(header, line, rule, field, message)
    })
}

/// Fills the header's name and namespace when a key inside `metadata` stopped the reading
/// before they were noted, so the problem names its object (only on this error path).
fn peek_name(chunk: &Chunk<'_>, header: &mut Header) {
    #[derive(serde::Deserialize)]
    struct Peek {
        metadata: PeekMeta,
    }
    #[derive(serde::Deserialize)]
    struct PeekMeta {
        name: Option<String>,
        namespace: Option<String>,
    }
    if let Ok(Peek { metadata }) = serde_yaml::from_str::<Peek>(chunk.text) {
        header.name = metadata.name;
        header.namespace = header.namespace.take().or(metadata.namespace);
    }
}

fn object_id(header: &Header, default_namespace: &str) -> ObjectId {
    let kind = header.kind.clone().unwrap_or_default();
    let namespace = match (&header.namespace, kind.as_str()) {
        (_, "PortalConnection" | "NotificationSink" | "Namespace" | "Kustomization") => {
            String::new()
        }
        (Some(ns), _) => ns.clone(),
        (None, _) => default_namespace.to_owned(),
    };
    ObjectId {
        kind,
        namespace,
        name: header.name.clone().unwrap_or_default(),
    }
}

/// A problem found in a well-formed document: (rule, field, message).
type Rejection = (&'static str, &'static str, String);

/// Decides what the document is from its `apiVersion` and `kind`.
fn classify(header: &Header) -> Result<Kind, Rejection> {
    let kind = header.kind.as_deref().unwrap_or_default();
    let (want, found) = match kind {
        "Tenant" => (API_VERSION, Kind::Tenant),
        "TenantAdmin" => (API_VERSION, Kind::TenantAdmin),
        "ServiceBinding" => (API_VERSION, Kind::ServiceBinding),
        "PortalConnection" => (API_VERSION, Kind::PortalConnection),
        "NotificationSink" => (API_VERSION, Kind::NotificationSink),
        "Secret" => ("v1", Kind::Secret),
        "Namespace" => ("v1", Kind::Ignored),
        // kustomize's and Flux's Kustomization alike: repository plumbing, not objects.
        "Kustomization" => return Ok(Kind::Ignored),
        "" => {
            return Err((
                rules::UNKNOWN_KIND,
                "kind",
                format!("the document has no kind; {KNOWN_KINDS}"),
            ));
        }
        other => {
            let hint = KINDS
                .iter()
                .find(|k| k.eq_ignore_ascii_case(other))
                .map(|k| format!(" (did you mean {k}?)"))
                .unwrap_or_default();
            return Err((
                rules::UNKNOWN_KIND,
                "kind",
                format!("unknown kind {}{hint}; {KNOWN_KINDS}", shown(other)),
            ));
        }
    };
    match header.api_version.as_deref() {
        Some(api) if api == want => Ok(found),
        Some(api) => Err((
            rules::API_VERSION,
            "apiVersion",
            format!(
                "{kind} is not served at apiVersion {}; use {want}",
                shown(api)
            ),
        )),
        None => Err((
            rules::API_VERSION,
            "apiVersion",
            format!("apiVersion is missing; use {want}"),
        )),
    }
}

const KINDS: [&str; 8] = [
    "Tenant",
    "TenantAdmin",
    "ServiceBinding",
    "PortalConnection",
    "NotificationSink",
    "Secret",
    "Namespace",
    "Kustomization",
];

const KNOWN_KINDS: &str = "tenantry reads Tenant, TenantAdmin, ServiceBinding, \
    PortalConnection and NotificationSink (apiVersion tenantry.dev/v1alpha1), v1 Secret, and \
    skips v1 Namespace and Kustomization";

/// The fields of a Kubernetes ObjectMeta: what `metadata` may hold (read-only ones included,
/// so that `kubectl get -o yaml` output loads).
const OBJECT_META_FIELDS: &[&str] = &[
    "name",
    "namespace",
    "labels",
    "annotations",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "finalizers",
    "ownerReferences",
    "managedFields",
    "generateName",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
];

/// The top-level fields of a tenantry object.
const OBJECT_FIELDS: &[&str] = &["apiVersion", "kind", "metadata", "spec", "status"];

/// The top-level fields of a v1 Secret.
const SECRET_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "data",
    "stringData",
    "type",
    "immutable",
];

/// The typed spec of a tenantry kind.
#[derive(Debug)]
enum Spec {
    Tenant(Box<TenantSpec>),
    Admin(Box<TenantAdminSpec>),
    Binding(Box<ServiceBindingSpec>),
    Connection(PortalConnectionSpec),
    Sink(NotificationSinkSpec),
}

/// What the visitor read besides the header.
#[derive(Debug, Default)]
struct Body {
    keys: usize,
    metadata: Option<ObjectMeta>,
    spec: Option<Spec>,
    data: Option<BTreeMap<String, ByteString>>,
    string_data: Option<BTreeMap<String, String>>,
    secret_type: Option<String>,
    /// A field the kind needs was passed over because `kind` came after it.
    skipped: bool,
}

/// Assembles the object once the document's kind is known.
fn build(kind: Kind, body: Body, default_namespace: &str) -> Result<Option<Object>, Rejection> {
    if kind == Kind::Ignored {
        return Ok(None);
    }
    let mut metadata = body.metadata.unwrap_or_default();
    if metadata.name.as_deref().unwrap_or_default().is_empty() {
        return Err((
            rules::MISSING_NAME,
            "metadata.name",
            "every object needs metadata.name; add a name that is unique for its kind in the namespace"
                .to_owned(),
        ));
    }
    if kind.namespaced() && metadata.namespace.is_none() {
        metadata.namespace = Some(default_namespace.to_owned());
    }
    let object = match body.spec {
        Some(Spec::Tenant(spec)) => Object::Tenant(Tenant {
            metadata,
            spec: *spec,
            status: None,
        }),
        Some(Spec::Admin(spec)) => Object::Admin(TenantAdmin {
            metadata,
            spec: *spec,
            status: None,
        }),
        Some(Spec::Binding(spec)) => Object::Binding(ServiceBinding {
            metadata,
            spec: *spec,
            status: None,
        }),
        Some(Spec::Connection(spec)) => Object::Connection(PortalConnection {
            metadata,
            spec,
            status: None,
        }),
        Some(Spec::Sink(spec)) => Object::Sink(NotificationSink {
            metadata,
            spec,
            status: None,
        }),
        None if kind == Kind::Secret => Object::Secret(Secret {
            metadata,
            data: body.data,
            string_data: body.string_data,
            type_: body.secret_type,
            ..Secret::default()
        }),
        None => {
            return Err((
                rules::TYPE_ERROR,
                "spec",
                "required field is missing".to_owned(),
            ));
        }
    };
    Ok(Some(object))
}

/// Reads a document as a mapping, typing `spec` by the kind read so far (or `hint`).
struct DocumentSeed<'h> {
    header: &'h mut Header,
    hint: Option<Kind>,
    /// Watches every key; told which keys `metadata` may hold.
    check: &'h KeyCheck,
}

impl<'de> DeserializeSeed<'de> for DocumentSeed<'_> {
    type Value = Body;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Body, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DocumentSeed<'_> {
    type Value = Body;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kubernetes object (a mapping with apiVersion, kind, metadata and spec)")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Body, E> {
        Ok(Body::default())
    }

    fn visit_none<E: de::Error>(self) -> Result<Body, E> {
        Ok(Body::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Body, A::Error> {
        let mut body = Body::default();
        while let Some(key) = map.next_key::<String>()? {
            body.keys += 1;
            let target = self.hint.or_else(|| classify(self.header).ok());
            match key.as_str() {
                "apiVersion" => self.header.api_version = Some(map.next_value()?),
                "kind" => self.header.kind = Some(map.next_value()?),
                "metadata" => {
                    // ObjectMeta ignores fields it does not know: `namspace: t` would send
                    // the object to the default namespace without a word.
                    self.check.allow_next(OBJECT_META_FIELDS);
                    let metadata: ObjectMeta = map.next_value()?;
                    self.check.clear_allowed();
                    self.header.name.clone_from(&metadata.name);
                    self.header.namespace.clone_from(&metadata.namespace);
                    body.metadata = Some(metadata);
                }
                "spec" => {
                    body.spec = match target {
                        Some(Kind::Tenant) => Some(Spec::Tenant(map.next_value()?)),
                        Some(Kind::TenantAdmin) => Some(Spec::Admin(map.next_value()?)),
                        Some(Kind::ServiceBinding) => Some(Spec::Binding(map.next_value()?)),
                        Some(Kind::PortalConnection) => Some(Spec::Connection(map.next_value()?)),
                        Some(Kind::NotificationSink) => Some(Spec::Sink(map.next_value()?)),
                        Some(Kind::Secret | Kind::Ignored) => {
                            map.next_value::<IgnoredAny>()?;
                            None
                        }
                        None => {
                            body.skipped = true;
                            map.next_value::<IgnoredAny>()?;
                            None
                        }
                    }
                }
                "data" | "stringData" | "type" if target == Some(Kind::Secret) => {
                    match key.as_str() {
                        "data" => body.data = map.next_value()?,
                        "stringData" => body.string_data = map.next_value()?,
                        _ => body.secret_type = map.next_value()?,
                    }
                }
                "data" | "stringData" if target.is_none() => {
                    body.skipped = true;
                    map.next_value::<IgnoredAny>()?;
                }
                // status is the controller's; a skipped kind's fields are not tenantry's to
                // check. Any other top-level key of a tenantry kind or a Secret is a typo
                // (`stauts:`, `sepc:`) that `kubectl apply` refuses too: refuse it here.
                other => match target {
                    Some(Kind::Secret) if !SECRET_FIELDS.contains(&other) => {
                        map.next_value_seed(Refuse(other, SECRET_FIELDS))?;
                    }
                    Some(
                        Kind::Tenant
                        | Kind::TenantAdmin
                        | Kind::ServiceBinding
                        | Kind::PortalConnection
                        | Kind::NotificationSink,
                    ) if other != "status" => {
                        map.next_value_seed(Refuse(other, OBJECT_FIELDS))?;
                    }
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                },
            }
        }
        Ok(body)
    }
}

/// Refuses the value of an unknown top-level key. The error is raised while the YAML crate
/// reads that value, so it carries the value's line, not the document's first.
struct Refuse<'k>(&'k str, &'static [&'static str]);

impl<'de> DeserializeSeed<'de> for Refuse<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl Refuse<'_> {
    fn refuse<E: de::Error>(self) -> Result<(), E> {
        let hint = super::keys::closest(self.0, self.1)
            .map(|k| format!(" (did you mean `{k}`?)"))
            .unwrap_or_default();
        Err(E::custom(format!(
            "not a top-level field{hint}; the top level holds only {}",
            self.1.join(", ")
        )))
    }
}

impl<'de> Visitor<'de> for Refuse<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no value: the key is unknown")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.refuse()
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.refuse()
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.refuse()
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.refuse()
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.refuse()
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.refuse()
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.refuse()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        self.refuse()
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        self.refuse()
    }
}
