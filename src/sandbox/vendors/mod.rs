//! Emulators of the vendors' own wire APIs (issue 15), served on the sandbox's port beside
//! the contract, each under its own prefix.

pub mod connecttoteams;
