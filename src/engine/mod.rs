//! The engine: executes a plan's writes against the portals in dependency order, with bounded
//! parallelism, polling async operations, and reports per object (DESIGN.md §3, §5).

mod guard;
mod observe;
mod poll;
mod run;
mod secrets;
mod step;
mod steps;

pub use guard::{DEFAULT_MAX_DELETE_SHARE, MassDeletion, check_mass_deletion};
pub use observe::observe;
pub use poll::{PollPolicy, follow};
pub use run::{ApplyOptions, Known, Progress, Quiet, apply};
pub use secrets::{generate_password, generate_secrets};
pub use step::{Action, Outcome, Report, Step, StepReport};
pub use steps::steps;
