//! Integration tests: one binary, one module per area (see STYLE.md).
mod controller;
mod crds;
mod e2e;
mod sandbox;
