//! Issue 15 step 2: the vendor adapters against their emulators, through the binary and the
//! controller, and every request they sent checked against the vendor's description.

mod connecttoteams;
mod graph;
mod spec_check;
