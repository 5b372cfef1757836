//! The controller against a recording mock Kubernetes API (tower-test) and the real sandbox:
//! one scenario per expected sequence of API calls and portal writes.

mod connections;
mod destroy;
mod drift;
mod examples;
pub(crate) mod fixtures;
mod manual;
mod notifications;
mod oauth;
mod scenarios;
mod sharding;
mod uninstall;
mod wiring;
