//! Reliability (DESIGN.md §7, issue 8 items 2, 6 and 7), each proven from the sandbox's request
//! log: a 429 storm is waited out within the connection's budget; permanent refusals are
//! reported, never hammered; a controller restart goes through the budget; plans and resyncs
//! after convergence write nothing even while the portal answers with equivalent data; secrets
//! the portal echoes never reach any output.

mod busy_parent;
mod destroy;
mod echo;
mod failed;
mod permanent;
mod replacement;
mod restart;
mod steady;
mod storm;

pub use steady::equivalent_reads;

use std::path::Path;

use tenantry::sandbox::LoggedRequest;

/// A connection's budget, as declared in its PortalConnection.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub rps: u32,
    pub burst: u32,
    pub concurrency: u32,
}

impl Budget {
    /// The most requests a token bucket admits in any one second: the burst plus a second's
    /// worth of refill.
    pub fn per_second(self) -> usize {
        (self.rps + self.burst) as usize
    }
}

/// Writes the PortalConnection named `default` (and its token Secret) into `dir`, so that
/// `tenantry plan|apply -f dir` talks to `url` with this budget.
pub fn declare_connection(dir: &Path, url: &str, token: &str, budget: Budget) {
    let yaml = format!(
        "apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata:\n  name: default\n\
         spec:\n  url: {url}\n  timeoutSeconds: 10\n  credentialsSecretRef:\n    namespace: tenantry-system\n\
         \x20   name: portal-token\n    key: token\n  rateLimit:\n    requestsPerSecond: {}\n\
         \x20   burst: {}\n    maxConcurrency: {}\n---\napiVersion: v1\nkind: Secret\nmetadata:\n\
         \x20 name: portal-token\n  namespace: tenantry-system\nstringData:\n  token: {token}\n",
        budget.rps, budget.burst, budget.concurrency
    );
    std::fs::write(dir.join("connection.yaml"), yaml).unwrap_or_else(|e| panic!("write: {e}"));
}

/// The most requests that arrived within any window of 1000 ms.
pub fn peak_per_second(entries: &[LoggedRequest]) -> usize {
    let mut times: Vec<u64> = entries.iter().map(|e| e.received_ms).collect();
    times.sort_unstable();
    let mut peak = 0;
    let mut start = 0;
    for (end, t) in times.iter().enumerate() {
        while times[start] + 1000 <= *t {
            start += 1;
        }
        peak = peak.max(end + 1 - start);
    }
    peak
}

/// For every 429 answer: the other requests of the same caller that arrived before its
/// `Retry-After` had passed (counted from when the 429 was answered).
pub fn inside_retry_after(entries: &[LoggedRequest]) -> Vec<(u64, Vec<u64>)> {
    entries
        .iter()
        .filter(|e| e.status == Some(429))
        .map(|limited| {
            let until = limited.answered_ms + limited.retry_after.unwrap_or(0) * 1000;
            let early = entries
                .iter()
                .filter(|e| {
                    e.seq != limited.seq
                        && e.caller == limited.caller
                        && e.received_ms >= limited.answered_ms
                        && e.received_ms < until
                })
                .map(|e| e.seq)
                .collect();
            (limited.seq, early)
        })
        .collect()
}

/// Write requests (anything but GET) in `entries`.
pub fn writes(entries: &[LoggedRequest]) -> Vec<String> {
    entries
        .iter()
        .filter(|e| e.is_write())
        .map(|e| format!("{} {}", e.method, e.route))
        .collect()
}
