//! Every way a subcommand can fail, typed where it happens and rendered once, in `cli::main`,
//! for a person: what went wrong and where, then what to do. Large causes are boxed so that
//! a `Result` of a subcommand stays small on the happy path.

use std::error::Error as _;
use std::path::PathBuf;

use tenantry::engine::{MassDeletion, ReplaceRefused};
use tenantry::import::RenderError;
use tenantry::manifest::LoadError;
use tenantry::model::ModelError;
use tenantry::portal::PortalError;
use tenantry::sandbox::{PrivateStateError, SandboxError};

use super::exit;

/// Changes of a stale plan named in the error; the rest are counted.
const STALE_CHANGES_SHOWN: usize = 10;

/// A failed subcommand. The message says what went wrong and where; [`CliError::hint`] says
/// what to do. Causes are `#[source]`s, never part of the message, so they print once.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Reading the manifests failed (a path, a directory walk, standard input).
    #[error(transparent)]
    Manifests(#[from] LoadError),
    /// The manifests break portal rules; the problems were printed above the error.
    #[error("the input has {errors} error(s)")]
    InvalidInput {
        /// Problems of severity error.
        errors: usize,
    },
    /// Valid objects that cannot be expanded into portal resources.
    #[error("cannot expand the input into portal objects")]
    Expand(#[source] ModelError),
    /// A Tenant names a PortalConnection the input does not declare.
    #[error("PortalConnection {name} is named by spec.portalConnectionRef but is not in the input")]
    ConnectionNotFound {
        /// The connection's name.
        name: String,
    },
    /// The Tenants of one input name different PortalConnections.
    #[error("the Tenants name several PortalConnections ({}); one run talks to one", .names.join(", "))]
    SeveralConnections {
        /// The names.
        names: Vec<String>,
    },
    /// The PortalConnection `default` names a token Secret the input does not hold.
    #[error(
        "PortalConnection default: the token Secret {namespace}/{name} key {key} is not in the input"
    )]
    MissingConnectionToken {
        /// Namespace of the Secret.
        namespace: String,
        /// Name of the Secret.
        name: String,
        /// Key in the Secret.
        key: String,
        /// The environment variable that can supply the value instead.
        env_var: String,
    },
    /// A NotificationSink's Secret (URL or signing key) is not in the input.
    #[error("NotificationSink {sink}: {field} names Secret {secret}, which is not in the input")]
    MissingSinkSecret {
        /// The sink.
        sink: String,
        /// The field naming the Secret.
        field: String,
        /// The Secret key, as `namespace/name key k`.
        secret: String,
        /// The environment variable that can supply the value instead.
        env_var: String,
    },
    /// `--notify` without a NotificationSink in the input.
    #[error("--notify sends to NotificationSinks, and the input declares none")]
    NoSinks,
    /// Notifications could not be prepared or recorded.
    #[error("notifications: {0}")]
    Notify(String),
    /// A Tenant lists a portal that neither its PortalConnection nor its delegates serve.
    #[error("no PortalConnection of this run serves {} (tried {})", .portals.join(", "), .tried.join(", "))]
    PortalNotServed {
        /// The portals nobody serves.
        portals: Vec<String>,
        /// The connections tried.
        tried: Vec<String>,
    },
    /// A PortalConnection's credential Secret (spec.auth) is not in the input.
    #[error(
        "PortalConnection {connection}: {field} names Secret {secret}, which is not in the input"
    )]
    MissingConnectionSecret {
        /// The connection.
        connection: String,
        /// The field naming the Secret.
        field: String,
        /// The Secret key, as `namespace/name key k`.
        secret: String,
        /// The environment variable that can supply the value instead.
        env_var: String,
    },
    /// The portal client cannot be built for a target (a malformed URL, TLS set-up).
    #[error("cannot set up the portal client for {target}")]
    PortalClient {
        /// The URL.
        target: String,
        /// What the client said.
        #[source]
        source: Box<PortalError>,
    },
    /// The portal did not answer a read (unreachable, refused the token, kept failing).
    #[error("cannot {doing} {target}")]
    PortalUnreachable {
        /// What was being read, e.g. `read the current state from`.
        doing: &'static str,
        /// The portal: a URL, a PortalConnection, or the embedded sandbox and its state file.
        target: String,
        /// The last portal error.
        #[source]
        source: Box<PortalError>,
    },
    /// The sandbox (embedded, or `tenantry sandbox`) did not start.
    #[error("cannot start the {which} sandbox on {state}")]
    SandboxStart {
        /// `embedded` for plan/apply/import, `portal` for `tenantry sandbox`.
        which: &'static str,
        /// Its state: the SQLite file, or `:memory:`.
        state: String,
        /// What the sandbox said.
        #[source]
        source: Box<SandboxError>,
    },
    /// The embedded sandbox's state directory or file cannot be made owner-only.
    #[error(transparent)]
    PrivateState(#[from] PrivateStateError),
    /// `--plan-hash` names a plan other than the one computed now; nothing was written.
    #[error(
        "ApprovalStale: the plan changed since it was reviewed (reviewed {reviewed}, now {now}); \
         nothing was written. The plan now ({add} to add, {change} to change, {destroy} to \
         destroy, {replace} to replace): {}", stale_changes(.changes)
    )]
    ApprovalStale {
        /// The hash the reviewer approved.
        reviewed: String,
        /// The hash of the plan computed now.
        now: String,
        /// Creates in the plan now.
        add: usize,
        /// Updates in the plan now.
        change: usize,
        /// Deletes in the plan now.
        destroy: usize,
        /// Replacements in the plan now.
        replace: usize,
        /// One line per change of the plan now (addresses and fields, never values).
        changes: Vec<String>,
    },
    /// The pass would delete more than the allowed share; nothing was written.
    #[error(transparent)]
    MassDeletion(#[from] MassDeletion),
    /// The plan replaces objects and destroys their data, and nothing allows it; nothing was
    /// written.
    #[error(transparent)]
    ReplaceRefused(#[from] ReplaceRefused),
    /// Portal operations failed for good and their declarations did not change, so nothing
    /// retries them.
    #[error(
        "{} portal object(s) failed and their declaration did not change: {}",
        .failures.len(), .failures.join("; ")
    )]
    PermanentFailure {
        /// One line per failed object: address, id, reason and the portal's message.
        failures: Vec<String>,
    },
    /// `apply` must ask for confirmation but standard input is not a terminal.
    #[error("not on a terminal, so apply cannot ask for confirmation")]
    NotATerminal,
    /// Reading the confirmation answer failed.
    #[error("cannot read the answer to the confirmation")]
    Prompt(#[source] std::io::Error),
    /// A file or directory named by the user (or derived from their flags) cannot be used.
    #[error("cannot {doing} {}", .path.display())]
    Io {
        /// `read`, `write`, `create`, `create the sandbox state directory`, ...
        doing: &'static str,
        /// The path.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A file given with a flag is not the YAML or JSON it should be.
    #[error("cannot parse {} (given with {flag}): {reason}", .path.display())]
    Parse {
        /// The flag, e.g. `--fixtures`.
        flag: &'static str,
        /// The file.
        path: PathBuf,
        /// Where and why parsing stopped, or the rule the content breaks; quoted input cut
        /// (`tenantry::api::clip_quoted`).
        reason: String,
    },
    /// A flag's value is out of its range.
    #[error("{flag} is {expected}")]
    InvalidFlag {
        /// The flag.
        flag: &'static str,
        /// What it must be, e.g. `a share from 0 to 1`.
        expected: &'static str,
    },
    /// Writing the result to standard output failed.
    #[error("cannot write to standard output")]
    Stdout(#[source] std::io::Error),
    /// The async runtime or the signal handler cannot be set up.
    #[error("cannot {doing}")]
    Runtime {
        /// `start the async runtime`, `wait for Ctrl-C`.
        doing: &'static str,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The CRDs cannot be serialised (a bug: the types are fixed at build time).
    #[error("cannot write the CRDs as YAML")]
    Crds(#[source] serde_yaml::Error),
    /// The imported objects cannot be serialised.
    #[error("cannot write the imported objects as YAML")]
    ImportRender(#[source] RenderError),
    /// No kubeconfig and not inside a cluster.
    #[error("no Kubernetes cluster")]
    NoCluster(#[source] kube::config::InferConfigError),
    /// The Kubernetes client cannot be built from the configuration found.
    #[error("cannot set up the Kubernetes client")]
    KubeClient(#[source] kube::Error),
    /// The controller stopped with an error.
    #[error("the controller stopped")]
    Controller(#[source] tenantry::controller::Error),
    /// The work-order state file cannot be read or written.
    #[error(transparent)]
    WorkOrderState(#[from] tenantry::portal::manual::StateError),
    /// A confirmation does not match its work order; nothing was recorded.
    #[error("confirmation refused, nothing was recorded: {0}")]
    ConfirmRefused(#[source] tenantry::portal::manual::ConfirmError),
    /// `--set` is not KEY=VALUE.
    #[error("--set {given:?} is not KEY=VALUE")]
    ConfirmValue {
        /// What was given.
        given: String,
    },
}

/// What to do about a refused confirmation.
fn confirm_hint(err: &tenantry::portal::manual::ConfirmError) -> String {
    use tenantry::portal::manual::ConfirmError;
    match err {
        ConfirmError::Unknown { .. } => {
            "check the id against `tenantry workorders` (run in the same directory, or with \
             the same --state-dir as apply)"
                .to_owned()
        }
        ConfirmError::Stale { current, .. } => format!(
            "print the current order with `tenantry workorders`, perform what it lists \
             and confirm {current}"
        ),
        ConfirmError::NotInPlan { .. } => "run `tenantry apply` to issue the current order, \
            then perform and confirm that one"
            .to_owned(),
        ConfirmError::AlreadyConfirmed { .. } => {
            "nothing to do: run `tenantry plan` to see what is left".to_owned()
        }
        ConfirmError::MissingValue { .. }
        | ConfirmError::UnknownValue { .. }
        | ConfirmError::Malformed { .. } => {
            "read the values in the portal and pass each one the order asks for, once".to_owned()
        }
    }
}

/// The first changes of a stale plan, then how many more.
fn stale_changes(changes: &[String]) -> String {
    if changes.is_empty() {
        return "no changes".to_owned();
    }
    let shown = changes[..changes.len().min(STALE_CHANGES_SHOWN)].join("; ");
    match changes.len().saturating_sub(STALE_CHANGES_SHOWN) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

impl CliError {
    /// What to do about it, when the message does not already say.
    pub fn hint(&self) -> Option<String> {
        let hint = match self {
            Self::Manifests(_) | Self::MassDeletion(_) => return None,
            Self::InvalidInput { .. } => {
                "fix them (tenantry validate -f ... lists them) and run again".to_owned()
            }
            Self::Expand(_) => "fix the object the cause names and run again".to_owned(),
            Self::ConnectionNotFound { .. } => "add the PortalConnection manifest (and its \
                token Secret) to the input, fix spec.portalConnectionRef, or pass --portal URL; \
                nothing was written"
                .to_owned(),
            Self::SeveralConnections { .. } => "run plan or apply once per connection, with \
                the customers of that connection as input"
                .to_owned(),
            Self::MissingConnectionToken { env_var, .. } => {
                format!("add the Secret manifest or set {env_var}")
            }
            Self::PortalNotServed { .. } => "add the portal to a connection's spec.portals, or \
                add a PortalConnection serving it to the spec.delegates of the Tenants' \
                connection; nothing was sent"
                .to_owned(),
            Self::MissingConnectionSecret { env_var, .. }
            | Self::MissingSinkSecret { env_var, .. } => {
                format!("add the Secret manifest or set {env_var}")
            }
            Self::NoSinks => "add a NotificationSink to the input (docs/notifications.md), or use \
                              --notify=print to write the events to standard error"
                .to_owned(),
            Self::Notify(_) => {
                "check that the state directory (--state-dir) is writable".to_owned()
            }
            Self::PortalClient { .. } => {
                "check the URL (--portal, TENANTRY_PORTAL or the PortalConnection)".to_owned()
            }
            Self::PortalUnreachable { source, .. }
                if matches!(**source, PortalError::Unauthenticated(_)) =>
            {
                "put the right credentials in the Secret the message names and run again; \
                 nothing was written"
                    .to_owned()
            }
            Self::PortalUnreachable { .. } => "check that the portal is running and reachable \
                at that address and accepts the token, then run again; nothing was written"
                .to_owned(),
            Self::SandboxStart { .. } => "another process may hold the state file or the \
                address: stop it, or choose another one (--state-dir for plan, apply and \
                import; --db and --listen for tenantry sandbox)"
                .to_owned(),
            Self::PrivateState(_) => "run the command the message names, or pass another \
                --state-dir"
                .to_owned(),
            Self::ApprovalStale { .. } => "compare it with the plan you reviewed, then run \
                `tenantry plan` again, review it, and apply its hash"
                .to_owned(),
            Self::ReplaceRefused(refused) => format!(
                "review the plan's warnings; if the loss is intended, run apply again with \
                 --allow-replace (and --plan-hash of the plan you reviewed), or set \
                 spec.allowReplace: true on {} and remove it once applied; otherwise revert \
                 the change that forces the replacement",
                refused.declaring_objects().join(", ")
            ),
            Self::PermanentFailure { .. } => "the portal does not retry a failed operation: \
                change the declaration so it can succeed (the reason says how, e.g. for \
                DomainUnavailable another displayName or azureAD mode ConnectExisting), then \
                apply again; see README, \"Permanent failures\""
                .to_owned(),
            Self::NotATerminal => "pass --auto-approve, or --plan-hash with the hash of the \
                plan you reviewed"
                .to_owned(),
            Self::Prompt(_) => "run apply on a terminal, or pass --auto-approve or \
                --plan-hash"
                .to_owned(),
            Self::Io { .. } => "check the path and its permissions".to_owned(),
            Self::Parse { .. } => "fix the file: it is YAML or JSON of the shape \
                docs/portal-contract.md describes"
                .to_owned(),
            Self::InvalidFlag { flag, .. } => format!("pass {flag} a value in that range"),
            Self::Stdout(_) => "check where standard output goes (a full disk, a closed \
                pipe)"
                .to_owned(),
            Self::Runtime { .. } => "the system is out of threads or file handles; \
                free some and run again"
                .to_owned(),
            Self::Crds(_) | Self::ImportRender(_) => {
                "this is a bug in tenantry: please report it with the command you ran".to_owned()
            }
            Self::NoCluster(_) => "set KUBECONFIG or run inside a cluster".to_owned(),
            Self::KubeClient(_) => "check the cluster entry of your kubeconfig".to_owned(),
            Self::Controller(_) => "the cause says which step failed; the controller \
                restarts cleanly from the cluster's state"
                .to_owned(),
            Self::WorkOrderState(_) => "check --state-dir (the state file is \
                work-orders.json inside it; see docs/manual-steps.md)"
                .to_owned(),
            Self::ConfirmRefused(err) => confirm_hint(err),
            Self::ConfirmValue { .. } => "write each value read back as --set KEY=VALUE, \
                e.g. --set code=KE1234"
                .to_owned(),
        };
        Some(hint)
    }

    /// The process exit code (README, "Commands and exit codes"): every error is 1, so that 2
    /// stays `plan`'s "changes present".
    pub fn exit_code(&self) -> u8 {
        exit::ERROR
    }

    /// `error: <message>: <cause>: <cause>`, then `hint: <what to do>`; causes the text
    /// already holds are not repeated.
    pub fn render(&self) -> String {
        let mut text = format!("error: {self}");
        let mut cause = self.source();
        while let Some(err) = cause {
            let line = err.to_string();
            if !text.contains(&line) {
                text.push_str(": ");
                text.push_str(&line);
            }
            cause = err.source();
        }
        if let Some(hint) = self.hint() {
            text.push_str("\nhint: ");
            text.push_str(&hint);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Error as IoError, ErrorKind};

    use super::*;

    /// Every error a person can meet without a portal or a cluster, as printed.
    fn examples() -> Vec<(&'static str, CliError)> {
        vec![
            (
                "manifests",
                CliError::Manifests(LoadError::Unreadable {
                    path: "no/such/dir".to_owned(),
                    error: IoError::from(ErrorKind::NotFound),
                }),
            ),
            ("invalid input", CliError::InvalidInput { errors: 3 }),
            (
                "missing connection token",
                CliError::MissingConnectionToken {
                    namespace: "tenantry-system".to_owned(),
                    name: "portal-token".to_owned(),
                    key: "token".to_owned(),
                    env_var: "TENANTRY_SECRET_TENANTRY_SYSTEM_PORTAL_TOKEN_TOKEN".to_owned(),
                },
            ),
            (
                "approval stale",
                CliError::ApprovalStale {
                    reviewed: "0000beef".to_owned(),
                    now: "1111cafe".to_owned(),
                    add: 12,
                    change: 0,
                    destroy: 0,
                    replace: 0,
                    changes: (1..=12)
                        .map(|i| format!("+ daas/customers customers/c{i}"))
                        .collect(),
                },
            ),
            (
                "approval stale, nothing to do now",
                CliError::ApprovalStale {
                    reviewed: "0000beef".to_owned(),
                    now: "2222f00d".to_owned(),
                    add: 0,
                    change: 0,
                    destroy: 0,
                    replace: 0,
                    changes: Vec::new(),
                },
            ),
            (
                "mass deletion",
                CliError::MassDeletion(MassDeletion {
                    deletes: 5,
                    observed: 10,
                    percent: 50.0,
                    limit: 10.0,
                    suggest: 0.5,
                }),
            ),
            (
                "replace refused",
                CliError::ReplaceRefused(ReplaceRefused {
                    replacements: vec![tenantry::engine::RefusedReplace {
                        address: tenantry::model::Address::new(
                            tenantry::model::Kind::AzureAd,
                            "customers/kenton-aad".to_owned(),
                        ),
                        declared_by: Some(tenantry::api::ObjectId::new(
                            "ServiceBinding",
                            "customers",
                            "kenton-aad",
                        )),
                        destruction: "replacing daas/azure-ad customers/kenton-aad destroys \
                                      the customer's Microsoft 365 tenant"
                            .to_owned(),
                    }],
                }),
            ),
            (
                "permanent failure",
                CliError::PermanentFailure {
                    failures: vec![
                        "daas/azure-ad customers/kenton-aad (azure-ad_3): DomainUnavailable: \
                         kenton.onmicrosoft.com and kentonk7.onmicrosoft.com are both taken"
                            .to_owned(),
                    ],
                },
            ),
            ("not a terminal", CliError::NotATerminal),
            (
                "io",
                CliError::Io {
                    doing: "create the sandbox state directory",
                    path: PathBuf::from(".tenantry"),
                    source: IoError::from(ErrorKind::PermissionDenied),
                },
            ),
            (
                "invalid flag",
                CliError::InvalidFlag {
                    flag: "--fault-drop",
                    expected: "a share from 0 to 1",
                },
            ),
        ]
    }

    #[test]
    fn every_error_renders_once_with_what_to_do() {
        let mut text = String::new();
        for (name, err) in examples() {
            let rendered = err.render();
            assert_eq!(err.exit_code(), exit::ERROR, "{name}");
            assert!(rendered.starts_with("error: "), "{name}: {rendered}");
            assert_eq!(
                rendered.matches("error: ").count(),
                1,
                "{name}: rendered once: {rendered}"
            );
            text.push_str(&format!("## {name}\n{rendered}\n\n"));
        }
        insta::assert_snapshot!(text);
    }

    #[test]
    fn a_cause_is_appended_once() {
        let err = CliError::Io {
            doing: "write",
            path: PathBuf::from("out/a.yaml"),
            source: IoError::other("disk full"),
        };
        assert_eq!(
            err.render(),
            "error: cannot write out/a.yaml: disk full\nhint: check the path and its permissions"
        );
    }
}
