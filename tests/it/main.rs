//! Integration tests: one binary, one module per area (see STYLE.md).
mod chaos;
mod cli_apply;
mod cli_import;
mod cli_validate;
mod controller;
mod crds;
mod e2e;
mod manifest;
mod sandbox;
