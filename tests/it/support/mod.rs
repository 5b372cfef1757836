//! What many test modules share: running the binary, the in-process sandbox, the examples.

mod binary;
mod examples;

#[cfg(feature = "crash-points")]
pub(crate) use binary::run_binary;
pub(crate) use binary::{Run, sandbox, tenantry, tenantry_in};
pub(crate) use examples::{action_lines, edit, example_secrets, examples_copy};
