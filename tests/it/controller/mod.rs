//! The controller against a recording mock Kubernetes API (tower-test) and the real sandbox:
//! one scenario per expected sequence of API calls and portal writes.

mod connections;
mod destroy;
mod examples;
mod manual;
pub(crate) mod fixtures;
mod oauth;
mod scenarios;
mod uninstall;
mod wiring;
