//! Integration tests: one binary, one module per area (see STYLE.md).
mod canary;
mod chaos;
mod cli_apply;
mod cli_import;
mod cli_logging;
mod cli_messages;
mod cli_outputs;
mod cli_scope;
mod cli_validate;
mod controller;
#[cfg(feature = "crash-points")]
mod crash_cli;
#[cfg(feature = "crash-points")]
mod crash_controller;
#[cfg(feature = "crash-points")]
mod crash_vendors;
mod crds;
mod drift;
mod e2e;
mod hostile;
mod manifest;
mod manual;
mod notify;
mod provider;
mod reliability;
mod sandbox;
mod seam;
mod support;
mod vendors;
