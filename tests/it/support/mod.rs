//! What many test modules share: running the binary, the in-process sandbox, the examples.

mod binary;
mod examples;
mod receiver;

pub(crate) use binary::{Run, run_binary, sandbox, tenantry, tenantry_in};
pub(crate) use examples::{action_lines, edit, example_secrets, examples_copy};
pub(crate) use receiver::{Receiver, receiver};
