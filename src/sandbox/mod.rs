//! The embedded portal emulator (see docs/portal-contract.md).
