//! Named crash points (DESIGN.md §7, RELIABILITY.md "Crash points"): test builds can die at
//! the exact moments a crash hurts most, so tests can prove that a rerun converges with no
//! duplicate and no manual step.
//!
//! With the cargo feature `crash-points` off (the default, and every release build), [`point`]
//! is an empty inline function and nothing else here exists. With it on, a point fires when
//! `TENANTRY_CRASH=<point>[:<filter>][@<k>]` or `TENANTRY_CRASH_SEED=<u64>` selects it: the
//! process prints one line naming the point and how to replay it, then aborts (no destructors,
//! no flush). In-process tests [`arm`] a trigger that panics instead, so the test can drop all
//! in-memory state and start again.

use std::fmt;

#[cfg(feature = "crash-points")]
mod armed;
#[cfg(feature = "crash-points")]
mod trigger;

#[cfg(feature = "crash-points")]
pub use armed::{Armed, Crash, arm};
#[cfg(feature = "crash-points")]
pub use trigger::{Trigger, TriggerError};

/// The engine's points, shared by `tenantry apply` and the controller.
pub const ENGINE_POINTS: [&str; 4] = [
    // After a create request is sent, before its result is recorded or used.
    "create.sent",
    // After a 202 (create, update or delete), before the first poll of its operation.
    "operation.accepted",
    // After a portal delete, before its result is recorded.
    "delete.sent",
    // Before step k of n is sent (the hit number is k).
    "apply.step",
];

/// The controller's own points.
pub const CONTROLLER_POINTS: [&str; 3] = [
    // After the engine wrote to the portal, before events and status record it.
    "reconcile.applied",
    // After a status patch was accepted by the API server.
    "status.patched",
    // After a portal delete in cleanup, before the finalizer is dropped.
    "cleanup.deleted",
];

/// Marks the named point; `at` says where (an address, an object), and is matched by filters.
#[cfg(not(feature = "crash-points"))]
#[inline(always)]
pub fn point(_name: &'static str, _at: &dyn fmt::Display) {}

/// Marks the named point; `at` says where (an address, an object), and is matched by filters.
#[cfg(feature = "crash-points")]
pub fn point(name: &'static str, at: &dyn fmt::Display) {
    armed::point(name, at);
}

/// A failed task's error, re-raising the panic when it is an in-process crash so that the
/// crash takes the whole caller down (a crash is not a failed step). Identity without the
/// feature.
#[cfg(not(feature = "crash-points"))]
#[inline(always)]
pub fn resume_if_crash(err: tokio::task::JoinError) -> impl fmt::Display {
    err
}

/// A failed task's error, re-raising the panic when it is an in-process crash so that the
/// crash takes the whole caller down (a crash is not a failed step). Identity without the
/// feature.
#[cfg(feature = "crash-points")]
pub fn resume_if_crash(err: tokio::task::JoinError) -> impl fmt::Display {
    let text = err.to_string();
    if let Ok(payload) = err.try_into_panic()
        && payload.is::<Crash>()
    {
        std::panic::resume_unwind(payload);
    }
    text
}
