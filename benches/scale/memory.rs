//! Memory instruments of the controller probe: live heap bytes (a counting global allocator,
//! on only in the probe process) and resident memory (`/proc/self/status`).

use std::alloc::{GlobalAlloc, Layout};

use mimalloc::MiMalloc;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

/// Counts live heap bytes and their peak; forwards to the system allocator.
pub struct Counting;

/// Off outside the probe: a counter shared by every thread would slow the timed stages.
static ENABLED: AtomicBool = AtomicBool::new(false);
// Signed: blocks allocated before counting started may be freed while it runs.
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded unchanged to `MiMalloc` (the allocator of the `tenantry`
// binary); the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { MiMalloc.alloc(layout) };
        if !p.is_null() && ENABLED.load(Ordering::Relaxed) {
            grow(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { MiMalloc.dealloc(ptr, layout) };
        if ENABLED.load(Ordering::Relaxed) {
            LIVE.fetch_sub(signed(layout.size()), Ordering::Relaxed);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { MiMalloc.realloc(ptr, layout, new_size) };
        if !p.is_null() && ENABLED.load(Ordering::Relaxed) {
            LIVE.fetch_sub(signed(layout.size()), Ordering::Relaxed);
            grow(new_size);
        }
        p
    }
}

fn signed(size: usize) -> isize {
    isize::try_from(size).unwrap_or(isize::MAX)
}

fn grow(size: usize) {
    let size = signed(size);
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

/// Starts counting; call first thing in the probe process.
pub fn start_counting() {
    ENABLED.store(true, Ordering::Relaxed);
}

/// Live heap bytes counted so far (may start below zero, see `LIVE`); only deltas matter.
pub fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// Bytes between two readings.
pub fn delta(after: isize, before: isize) -> usize {
    usize::try_from(after - before).unwrap_or(0)
}

/// Starts a new peak window at the current live size.
pub fn reset_peak() {
    PEAK.store(live(), Ordering::Relaxed);
}

/// The largest live size since the last `reset_peak`.
pub fn peak() -> isize {
    PEAK.load(Ordering::Relaxed)
}

/// Starts a new `VmHWM` window at the current resident size (Linux ≥ 4.0).
pub fn reset_hwm() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// `VmRSS` and `VmHWM` of this process in bytes (0 when /proc is not there).
pub fn resident() -> (usize, usize) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<usize>()
                    .ok()
            })
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Megabytes with one decimal.
pub fn mb(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / 1e6)
}
