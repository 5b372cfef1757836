//! The engine: the one façade the CLI and the controller call to act on the portals.
//!
//! - observe: read portal state ([`observe`], by namespaces, addresses or all);
//! - decide: split a plan into what may be written and what is held ([`decide`], with the
//!   managementPolicy, deletionPolicy and approval rules of [`policy`]);
//! - run: execute what may be written ([`run`]): steps in dependency order with bounded
//!   parallelism, generated secrets, writes, deletes (teardown plans included) and polling;
//! - report: the outputs (generated values) of what a run created or changed ([`outputs_after`]).

mod guard;
mod observe;
mod outputs;
pub mod policy;
mod poll;
mod run;
mod secrets;
mod step;
mod steps;

pub use guard::{DEFAULT_MAX_DELETE_SHARE, MassDeletion, check_mass_deletion};
pub use observe::{
    Partitions, Selection, check, observe, observe_and_plan, observe_in, partitions,
};
pub use outputs::outputs_after;
pub use policy::{
    Approval, Decision, Hold, RefusedReplace, ReplaceAllowance, ReplaceRefused, decide,
};
pub use poll::{PollPolicy, follow};
pub use run::{ApplyOptions, Known, Progress, Quiet, apply, run};
pub use secrets::{generate_password, generate_secrets};
pub use step::{Action, Outcome, Report, Step, StepReport};
pub use steps::steps;
