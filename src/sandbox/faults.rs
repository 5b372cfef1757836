//! Fault injection, reproducible from a seed: latency, 429 with `Retry-After`, 5xx, permanent
//! 4xx, dropped connections, commit-then-lose-the-answer (a reset, a 504 or a stall past the
//! client's timeout), operations that fail or stay running, equivalent data on reads
//! (reordered, re-cased, extra server-only fields), and secrets echoed into error bodies,
//! headers and operation errors (to prove a client scrubs them).
//!
//! Rules are configured at start (`SandboxConfig::faults`, `--faults FILE`) and replaced at
//! runtime with `PUT /sandbox/faults`. Each rule selects requests by method, portal and kind
//! (all optional) and may be limited to the next `times` requests it fires on. Every matching
//! rule draws the same number of random values per request, so the same seed and the same
//! request sequence give the same faults.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::operations::Outcome;

/// The fault configuration: a seed and a list of rules.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultConfig {
    /// Seed of the random draws; the sandbox seed when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(default)]
    pub rules: Vec<FaultRule>,
}

/// One rule: which requests it selects and what it does to them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    /// `GET`, `POST`, `PUT` or `DELETE`; any when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// `daas`, `contactcenter`, `teammate`, `apps`, `cloudlink` or `operations`; any when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portal: Option<String>,
    /// The kind (`customers`, `azure-ad`, ...); any when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Apply to the next `times` requests the rule fires on, then stop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// Added latency in milliseconds (before the request executes).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub latency_ms: u64,
    /// Probability of `429 RateLimited` with `Retry-After: retryAfterSeconds`.
    #[serde(default, skip_serializing_if = "is_zero_f")]
    pub rate_limit: f64,
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub retry_after_seconds: u64,
    /// Probability of a 5xx answer, its status drawn from `serverErrorStatuses`.
    #[serde(default, skip_serializing_if = "is_zero_f")]
    pub server_error: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub server_error_statuses: Vec<u16>,
    /// Probability of closing the connection without an answer (nothing executes).
    #[serde(default, skip_serializing_if = "is_zero_f")]
    pub drop_connection: f64,
    /// Probability of executing a write, committing it, then closing without an answer.
    #[serde(default, skip_serializing_if = "is_zero_f")]
    pub commit_then_drop: f64,
    /// Probability of executing a write, committing it, then answering `504 GatewayTimeout`.
    #[serde(default, skip_serializing_if = "is_zero_f")]
    pub commit_then_timeout: f64,
    /// Probability of executing a write, committing it, then stalling `stallMs` (past the
    /// client's timeout) and closing without an answer.
    #[serde(default, skip_serializing_if = "is_zero_f")]
    pub commit_then_stall: f64,
    /// How long a stall lasts; 35 000 ms (past a 30 s client timeout) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall_ms: Option<u64>,
    /// Probability of a permanent 4xx answer (nothing executes), its status drawn from
    /// `clientErrorStatuses`.
    #[serde(default, skip_serializing_if = "is_zero_f")]
    pub client_error: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client_error_statuses: Vec<u16>,
    /// Probability that a read (`GET` of an object or a list) answers with equivalent data:
    /// items and set-like lists in another order, case-insensitive values re-cased, object
    /// keys reordered, and extra server-only fields.
    #[serde(default, skip_serializing_if = "is_zero_f")]
    pub equivalent_data: f64,
    /// Probability that an operation started by the request fails (`ProvisioningFailed`).
    #[serde(default, skip_serializing_if = "is_zero_f")]
    pub fail_operations: f64,
    /// Probability that an operation started by the request stays `running` forever.
    #[serde(default, skip_serializing_if = "is_zero_f")]
    pub stuck_operations: f64,
    /// Echo the request's secret values into 4xx error messages, into an `X-Debug-Echo`
    /// response header, and into the error message of an operation the request starts.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub echo_secrets: bool,
}

/// A fault rule that cannot be used: the body field at fault and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FaultConfigError {
    /// The field, e.g. `rules[0].serverError`.
    pub field: String,
    /// What it must be.
    pub message: String,
}

impl FaultConfigError {
    fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl FaultConfig {
    /// Checks the rules as both edges need them: `--faults FILE` at start-up and
    /// `PUT /sandbox/faults` (one validator, so a file the one accepts the other accepts).
    pub fn check(&self) -> Result<(), FaultConfigError> {
        for (i, rule) in self.rules.iter().enumerate() {
            let probabilities = [
                ("rateLimit", rule.rate_limit),
                ("serverError", rule.server_error),
                ("dropConnection", rule.drop_connection),
                ("commitThenDrop", rule.commit_then_drop),
                ("commitThenTimeout", rule.commit_then_timeout),
                ("commitThenStall", rule.commit_then_stall),
                ("clientError", rule.client_error),
                ("equivalentData", rule.equivalent_data),
                ("failOperations", rule.fail_operations),
                ("stuckOperations", rule.stuck_operations),
            ];
            for (name, p) in probabilities {
                if !(0.0..=1.0).contains(&p) {
                    return Err(FaultConfigError::new(
                        &format!("rules[{i}].{name}"),
                        "a probability from 0 to 1",
                    ));
                }
            }
            if let Some(bad) = rule
                .server_error_statuses
                .iter()
                .find(|s| !(500..=599).contains(*s))
            {
                return Err(FaultConfigError::new(
                    &format!("rules[{i}].serverErrorStatuses"),
                    format!("{bad} is not a 5xx status"),
                ));
            }
            if let Some(bad) = rule
                .client_error_statuses
                .iter()
                .find(|s| !(400..=499).contains(*s) || **s == 429)
            {
                return Err(FaultConfigError::new(
                    &format!("rules[{i}].clientErrorStatuses"),
                    format!("{bad} is not a 4xx status other than 429 (use rateLimit)"),
                ));
            }
            // The three ways of losing a committed answer share one draw.
            let lost = rule.commit_then_drop + rule.commit_then_timeout + rule.commit_then_stall;
            if lost > 1.0 {
                return Err(FaultConfigError::new(
                    &format!("rules[{i}].commitThenStall"),
                    "commitThenDrop + commitThenTimeout + commitThenStall is a probability (at most 1)",
                ));
            }
        }
        Ok(())
    }
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}
fn is_zero_f(v: &f64) -> bool {
    *v == 0.0
}
fn one() -> u64 {
    1
}
fn is_one(v: &u64) -> bool {
    *v == 1
}

/// How long a `commitThenStall` lasts when the rule names no `stallMs`.
const DEFAULT_STALL_MS: u64 = 35_000;

/// The 4xx statuses a `clientError` draws from when the rule names none.
const DEFAULT_CLIENT_ERRORS: [u16; 3] = [400, 403, 422];

/// Operations whose failure message echoes request secrets, at most (the oldest go first).
const ECHO_CAPACITY: usize = 10_000;

/// What the fault layer does at once, before the request reaches a handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Immediate {
    Drop,
    RateLimited { retry_after: u64 },
    ServerError { status: u16 },
    ClientError { status: u16 },
}

/// How the answer of a committed write is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LostAnswer {
    /// The connection closes without an answer.
    Drop,
    /// `504 GatewayTimeout`.
    GatewayTimeout,
    /// Nothing for this long, then the connection closes.
    Stall(Duration),
}

impl LostAnswer {
    /// The name in the request log.
    pub fn fault(self) -> &'static str {
        match self {
            Self::Drop => "commitThenDrop",
            Self::GatewayTimeout => "commitThenTimeout",
            Self::Stall(_) => "commitThenStall",
        }
    }
}

/// What the handler must do for this request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FaultPlan {
    pub latency: Duration,
    pub lost_answer: Option<LostAnswer>,
    pub echo_secrets: bool,
    /// Seed of an equivalent-data answer (reads only).
    pub equivalent: Option<u64>,
    /// A permanent refusal of a write, answered by its handler once the body is read (so an
    /// `echoSecrets` rule can reflect the body's secrets); nothing executes.
    pub reject: Option<u16>,
}

/// The decision for one request.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Decision {
    pub plan: FaultPlan,
    pub immediate: Option<Immediate>,
}

struct State {
    config: FaultConfig,
    remaining: Vec<Option<u32>>,
    rng: StdRng,
}

/// The live fault configuration and its random generator.
pub(crate) struct Faults {
    default_seed: u64,
    state: Mutex<State>,
    /// Secrets to echo into the failure message of an operation, by operation id.
    echoes: Mutex<HashMap<String, Vec<String>>>,
}

impl Faults {
    pub fn new(default_seed: u64, config: FaultConfig) -> Self {
        Self {
            default_seed,
            state: Mutex::new(Self::fresh(default_seed, config)),
            echoes: Mutex::new(HashMap::new()),
        }
    }

    /// Remembers the secrets of the request that started operation `id`, for its failure.
    pub fn remember_echo(&self, id: &str, secrets: &[String]) {
        let mut echoes = self
            .echoes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if echoes.len() >= ECHO_CAPACITY {
            echoes.clear();
        }
        echoes.insert(id.to_owned(), secrets.to_vec());
    }

    /// The secrets to echo into the failure of operation `id` (forgotten once taken).
    pub fn take_echo(&self, id: &str) -> Option<Vec<String>> {
        self.echoes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(id)
    }

    fn fresh(default_seed: u64, config: FaultConfig) -> State {
        let rng = StdRng::seed_from_u64(config.seed.unwrap_or(default_seed));
        let remaining = config.rules.iter().map(|r| r.times).collect();
        State {
            config,
            remaining,
            rng,
        }
    }

    /// Replaces the configuration and reseeds the generator.
    pub fn replace(&self, config: FaultConfig) {
        *self.lock() = Self::fresh(self.default_seed, config);
    }

    pub fn config(&self) -> FaultConfig {
        self.lock().config.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Decides the faults of one request.
    pub fn decide(&self, method: &str, portal: &str, kind: &str) -> Decision {
        let mut guard = self.lock();
        let state = &mut *guard;
        let mut decision = Decision::default();
        for (i, rule) in state.config.rules.iter().enumerate() {
            if !selects(rule, method, portal, kind) || state.remaining[i] == Some(0) {
                continue;
            }
            let draws: [f64; 4] = [
                state.rng.random(),
                state.rng.random(),
                state.rng.random(),
                state.rng.random(),
            ];
            let pick: usize = state.rng.random_range(0..64);
            // Draws for the later fault types only when a rule uses them, so the faults of an
            // older configuration stay the same for the same seed.
            let client: Option<(f64, usize)> = (rule.client_error > 0.0)
                .then(|| (state.rng.random(), state.rng.random_range(0..64)));
            let equivalent: Option<(f64, u64)> =
                (rule.equivalent_data > 0.0).then(|| (state.rng.random(), state.rng.random()));
            let mut fired = rule.latency_ms > 0 || rule.echo_secrets;
            decision.plan.latency += Duration::from_millis(rule.latency_ms);
            decision.plan.echo_secrets |= rule.echo_secrets;
            if decision.immediate.is_none() {
                if draws[0] < rule.drop_connection {
                    decision.immediate = Some(Immediate::Drop);
                } else if draws[1] < rule.rate_limit {
                    decision.immediate = Some(Immediate::RateLimited {
                        retry_after: rule.retry_after_seconds,
                    });
                } else if draws[2] < rule.server_error {
                    let statuses: &[u16] = if rule.server_error_statuses.is_empty() {
                        &[500, 502, 503, 504]
                    } else {
                        &rule.server_error_statuses
                    };
                    let status = statuses[pick % statuses.len()];
                    decision.immediate = Some(Immediate::ServerError { status });
                } else if let Some((draw, pick)) = client
                    && draw < rule.client_error
                {
                    let statuses: &[u16] = if rule.client_error_statuses.is_empty() {
                        &DEFAULT_CLIENT_ERRORS
                    } else {
                        &rule.client_error_statuses
                    };
                    let status = statuses[pick % statuses.len()];
                    if method == "GET" {
                        decision.immediate = Some(Immediate::ClientError { status });
                    } else if decision.plan.reject.is_none() {
                        decision.plan.reject = Some(status);
                        fired = true;
                    }
                } else if method != "GET"
                    && decision.plan.lost_answer.is_none()
                    && let Some(lost) = lost_answer(rule, draws[3])
                {
                    decision.plan.lost_answer = Some(lost);
                    fired = true;
                }
                fired |= decision.immediate.is_some();
            }
            if let Some((draw, seed)) = equivalent
                && draw < rule.equivalent_data
                && method == "GET"
                && decision.plan.equivalent.is_none()
            {
                decision.plan.equivalent = Some(seed);
                fired = true;
            }
            if fired && let Some(n) = state.remaining[i].as_mut() {
                *n -= 1;
            }
        }
        decision
    }

    /// Decides how an operation started by a `method` request on portal/kind ends.
    pub fn operation_outcome(&self, method: &str, portal: &str, kind: &str) -> Outcome {
        let mut guard = self.lock();
        let state = &mut *guard;
        let mut outcome = Outcome::Succeed;
        for (i, rule) in state.config.rules.iter().enumerate() {
            if !selects(rule, method, portal, kind)
                || state.remaining[i] == Some(0)
                || (rule.fail_operations == 0.0 && rule.stuck_operations == 0.0)
            {
                continue;
            }
            let (fail, stuck): (f64, f64) = (state.rng.random(), state.rng.random());
            if outcome != Outcome::Succeed {
                continue;
            }
            if fail < rule.fail_operations {
                outcome = Outcome::Fail;
            } else if stuck < rule.stuck_operations {
                outcome = Outcome::Stuck;
            }
            if outcome != Outcome::Succeed
                && let Some(n) = state.remaining[i].as_mut()
            {
                *n -= 1;
            }
        }
        outcome
    }
}

/// The commit-then-lose variants share one draw: `[0, drop)` resets, `[drop, drop + timeout)`
/// answers 504, `[.., .. + stall)` stalls.
fn lost_answer(rule: &FaultRule, draw: f64) -> Option<LostAnswer> {
    let drop = rule.commit_then_drop;
    let timeout = drop + rule.commit_then_timeout;
    let stall = timeout + rule.commit_then_stall;
    if draw < drop {
        Some(LostAnswer::Drop)
    } else if draw < timeout {
        Some(LostAnswer::GatewayTimeout)
    } else if draw < stall {
        Some(LostAnswer::Stall(Duration::from_millis(
            rule.stall_ms.unwrap_or(DEFAULT_STALL_MS),
        )))
    } else {
        None
    }
}

fn selects(rule: &FaultRule, method: &str, portal: &str, kind: &str) -> bool {
    rule.method
        .as_deref()
        .is_none_or(|m| m.eq_ignore_ascii_case(method))
        && rule.portal.as_deref().is_none_or(|p| p == portal)
        && rule.kind.as_deref().is_none_or(|k| k == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> FaultRule {
        FaultRule {
            retry_after_seconds: 1,
            ..FaultRule::default()
        }
    }

    #[test]
    fn same_seed_same_faults() {
        let config = FaultConfig {
            seed: Some(42),
            rules: vec![FaultRule {
                server_error: 0.5,
                ..rule()
            }],
        };
        let run = || {
            let faults = Faults::new(0, config.clone());
            (0..64)
                .map(|_| faults.decide("GET", "daas", "customers").immediate)
                .collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        assert!(first.iter().any(Option::is_some));
        assert!(first.iter().any(Option::is_none));
    }

    #[test]
    fn selectors_and_times() {
        let faults = Faults::new(
            1,
            FaultConfig {
                seed: None,
                rules: vec![FaultRule {
                    method: Some("POST".into()),
                    portal: Some("daas".into()),
                    rate_limit: 1.0,
                    retry_after_seconds: 7,
                    times: Some(2),
                    ..rule()
                }],
            },
        );
        assert!(
            faults
                .decide("GET", "daas", "customers")
                .immediate
                .is_none()
        );
        assert!(
            faults
                .decide("POST", "apps", "licenses")
                .immediate
                .is_none()
        );
        let limited = Some(Immediate::RateLimited { retry_after: 7 });
        assert_eq!(faults.decide("post", "daas", "admins").immediate, limited);
        assert_eq!(faults.decide("POST", "daas", "admins").immediate, limited);
        assert!(faults.decide("POST", "daas", "admins").immediate.is_none());
    }

    #[test]
    fn operation_outcomes() {
        let faults = Faults::new(
            1,
            FaultConfig {
                seed: None,
                rules: vec![FaultRule {
                    kind: Some("azure-ad".into()),
                    stuck_operations: 1.0,
                    ..rule()
                }],
            },
        );
        assert_eq!(
            faults.operation_outcome("POST", "daas", "azure-ad"),
            Outcome::Stuck
        );
        assert_eq!(
            faults.operation_outcome("POST", "daas", "microsoft-online"),
            Outcome::Succeed
        );
    }

    #[test]
    fn lost_answers_share_one_draw() {
        let split = FaultRule {
            commit_then_drop: 0.2,
            commit_then_timeout: 0.3,
            commit_then_stall: 0.1,
            stall_ms: Some(250),
            ..rule()
        };
        assert_eq!(lost_answer(&split, 0.1), Some(LostAnswer::Drop));
        assert_eq!(lost_answer(&split, 0.4), Some(LostAnswer::GatewayTimeout));
        assert_eq!(
            lost_answer(&split, 0.55),
            Some(LostAnswer::Stall(Duration::from_millis(250)))
        );
        assert_eq!(lost_answer(&split, 0.7), None);
        let faults = Faults::new(
            3,
            FaultConfig {
                seed: None,
                rules: vec![FaultRule {
                    commit_then_timeout: 1.0,
                    ..rule()
                }],
            },
        );
        assert_eq!(
            faults.decide("GET", "daas", "customers").plan.lost_answer,
            None
        );
        assert_eq!(
            faults.decide("PUT", "daas", "customers").plan.lost_answer,
            Some(LostAnswer::GatewayTimeout)
        );
    }

    #[test]
    fn client_errors_and_equivalent_reads() {
        let faults = Faults::new(
            5,
            FaultConfig {
                seed: None,
                rules: vec![FaultRule {
                    client_error: 1.0,
                    client_error_statuses: vec![403],
                    equivalent_data: 1.0,
                    ..rule()
                }],
            },
        );
        let write = faults.decide("POST", "apps", "licenses");
        assert_eq!(write.immediate, None, "a write is refused by its handler");
        assert_eq!(write.plan.reject, Some(403));
        assert_eq!(write.plan.equivalent, None, "writes are never reshaped");
        let read = faults.decide("GET", "apps", "licenses");
        assert_eq!(read.immediate, Some(Immediate::ClientError { status: 403 }));
        assert!(read.plan.equivalent.is_some());
    }

    #[test]
    fn echoes_are_taken_once() {
        let faults = Faults::new(0, FaultConfig::default());
        faults.remember_echo("op_1", &["Canary-1".to_owned()]);
        assert_eq!(faults.take_echo("op_1"), Some(vec!["Canary-1".to_owned()]));
        assert_eq!(faults.take_echo("op_1"), None);
    }
}
