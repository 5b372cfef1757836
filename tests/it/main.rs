//! Integration tests: one binary, one module per area (see STYLE.md).
mod crds;
mod sandbox;
mod controller;
