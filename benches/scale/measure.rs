//! Repeated timings: median and spread of a few runs on a shared, noisy machine.

use std::fmt;
use std::time::{Duration, Instant};

/// The timings of one stage over several runs.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    runs: Vec<Duration>,
    /// Process CPU time (user + system, every thread) of each run: less sensitive than wall
    /// time to the other builds sharing the machine.
    cpu: Vec<Duration>,
}

impl Samples {
    /// Runs `work` `runs` times (after one untimed warm-up when `warm_up`) and keeps each time.
    ///
    /// The result of the last run is returned so later stages can use it; the others are
    /// dropped outside the timed region.
    pub fn collect<R>(runs: usize, warm_up: bool, mut work: impl FnMut() -> R) -> (Self, R) {
        if warm_up {
            drop(std::hint::black_box(work()));
        }
        let mut samples = Self::default();
        let mut last = None;
        for _ in 0..runs.max(1) {
            let cpu = cpu_time();
            let start = Instant::now();
            let out = std::hint::black_box(work());
            samples.runs.push(start.elapsed());
            samples.cpu.push(cpu_time().saturating_sub(cpu));
            // Dropping the previous result is not part of the timing.
            last = Some(out);
        }
        let last = last.unwrap_or_else(|| unreachable!("runs.max(1) ≥ 1 iteration"));
        (samples, last)
    }

    /// One sample measured elsewhere (e.g. an async stage), wall time only.
    pub fn push(&mut self, d: Duration) {
        self.runs.push(d);
    }

    /// Adds the runs of `other`.
    pub fn extend(&mut self, other: Samples) {
        self.runs.extend(other.runs);
        self.cpu.extend(other.cpu);
    }

    /// A single sample: the sum of the parts' medians (wall and CPU).
    pub fn sum(parts: &[&Samples]) -> Self {
        let wall = parts.iter().map(|p| p.median()).sum();
        let cpu = parts.iter().filter_map(|p| p.cpu_median()).sum();
        Self {
            runs: vec![wall],
            cpu: vec![cpu],
        }
    }

    /// The median run.
    pub fn median(&self) -> Duration {
        median(&self.runs)
    }

    /// The median CPU time, when measured.
    pub fn cpu_median(&self) -> Option<Duration> {
        (!self.cpu.is_empty()).then(|| median(&self.cpu))
    }

    /// The fastest run.
    pub fn min(&self) -> Duration {
        self.runs.iter().copied().min().unwrap_or_default()
    }

    /// The slowest run.
    pub fn max(&self) -> Duration {
        self.runs.iter().copied().max().unwrap_or_default()
    }

    /// Number of runs.
    pub fn len(&self) -> usize {
        self.runs.len()
    }
}

fn median(values: &[Duration]) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

/// CPU time of this process so far, every thread included (exited ones too).
pub fn cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a `rusage` into the pointer it is given and nothing else.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    if rc != 0 {
        return Duration::ZERO;
    }
    // SAFETY: getrusage succeeded, so the struct is initialised (and it was zeroed anyway).
    let usage = unsafe { usage.assume_init() };
    let tv = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Milliseconds with one decimal, for tables.
pub struct Ms(pub Duration);

impl fmt::Display for Ms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_secs_f64() * 1000.0;
        if ms >= 100.0 {
            write!(f, "{ms:.0}")
        } else {
            write!(f, "{ms:.1}")
        }
    }
}

/// One row of the stage table.
pub struct Row {
    /// Stage name.
    pub stage: String,
    /// Its timings.
    pub samples: Samples,
    /// The floor the stage is compared with, when there is one.
    pub floor: Option<Samples>,
    /// A note: what the stage covers, or a check it passed.
    pub note: String,
}

/// Prints rows as a Markdown table (pasted into BENCHMARKS.md as is).
pub fn print_table(title: &str, rows: &[Row]) {
    println!("\n### {title}\n");
    println!("| stage | median ms | min–max ms | CPU ms | runs | × F₂ wall | × F₂ CPU | note |");
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    for row in rows {
        let s = &row.samples;
        let ratio = |a: Option<Duration>, b: Option<Duration>| match (a, b) {
            (Some(a), Some(b)) if !b.is_zero() => {
                format!("{:.2}", a.as_secs_f64() / b.as_secs_f64())
            }
            _ => String::new(),
        };
        let floor = row.floor.as_ref();
        let wall_ratio = ratio(Some(s.median()), floor.map(Samples::median));
        let cpu_ratio = ratio(s.cpu_median(), floor.and_then(Samples::cpu_median));
        let cpu = s
            .cpu_median()
            .map(|c| Ms(c).to_string())
            .unwrap_or_default();
        println!(
            "| {} | {} | {}–{} | {cpu} | {} | {wall_ratio} | {cpu_ratio} | {} |",
            row.stage,
            Ms(s.median()),
            Ms(s.min()),
            Ms(s.max()),
            s.len(),
            row.note
        );
    }
}
