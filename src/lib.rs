//! tenantry: declarative customer onboarding for reseller and MSP portals.
//!
//! Layers (DESIGN.md §3), each importing only those above it in this list:
//! `api` → `validate` → `manifest` → (model → plan → portal → engine) → `controller`;
//! `sandbox` stands on the side and implements the portal contract. The command line is the
//! binary's (`src/main.rs`, `src/cli/`), so the library has no argument parsing.

pub mod api;
#[cfg(unix)]
pub mod chaos;
pub mod controller;
pub mod crash;
pub mod engine;
pub mod generate;
pub mod import;
pub mod manifest;
pub mod model;
pub mod notify;
pub mod plan;
pub mod portal;
pub mod sandbox;
pub mod validate;
