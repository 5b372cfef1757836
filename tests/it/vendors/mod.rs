//! Issue 15 step 2: the vendor adapters against their emulators, through the binary and the
//! controller, and every request they sent checked against the vendor's description.

mod campaignregistry;
mod cloudlink;
mod connecttoteams;
mod emulators;
mod graph;
pub(crate) mod partnercenter;
mod partnercenter_emulator;
mod spec_check;
