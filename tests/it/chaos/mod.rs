//! Reliability under faults and kills (issue 8, item 3; DESIGN.md §7): the chaos run at CI
//! size, and two `tenantry apply` processes on one repository at once. Both drive the real
//! binary against the in-process sandbox; the runner is `tenantry::chaos`, which
//! `benches/chaos` runs at any size.

mod concurrent;
mod run;
