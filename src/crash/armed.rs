//! The armed triggers: one from the environment (aborts the process) and any number armed by
//! in-process tests (panic with a [`Crash`]), each counting its own hits.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use super::trigger::{Trigger, TriggerError};

/// The panic payload of an in-process crash: which point fired, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crash {
    /// The point's name.
    pub point: String,
    /// Where it fired (the place passed to `point`).
    pub at: String,
    /// Which hit of the point it was.
    pub hit: u64,
}

impl fmt::Display for Crash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "crash point {} hit {} at {}",
            self.point, self.hit, self.at
        )
    }
}

/// How a fired trigger ends the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Print one line and `std::process::abort()`: a real process death.
    Abort,
    /// Panic with a [`Crash`], for a test that restarts in-process.
    Panic,
}

struct Live {
    trigger: Trigger,
    mode: Mode,
    hits: AtomicU64,
}

/// The trigger from `TENANTRY_CRASH` / `TENANTRY_CRASH_SEED`, read once.
static FROM_ENV: OnceLock<Option<Live>> = OnceLock::new();
/// Triggers armed in-process; several tests may arm their own at once (distinct filters).
static ARMED: Mutex<Vec<Arc<Live>>> = Mutex::new(Vec::new());

/// Keeps an in-process trigger armed until dropped.
#[must_use = "the trigger is disarmed when this is dropped"]
pub struct Armed(Arc<Live>);

impl Armed {
    /// How many times the point was passed at a matching place so far.
    pub fn hits(&self) -> u64 {
        self.0.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Armed {
    fn drop(&mut self) {
        ARMED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|live| !Arc::ptr_eq(live, &self.0));
    }
}

/// Arms `<point>[:<filter>][@<k>]` in this process: when it fires, the code passing the point
/// panics with a [`Crash`]. Give each test a filter only its objects match.
pub fn arm(spec: &str) -> Result<Armed, TriggerError> {
    let live = Arc::new(Live {
        trigger: Trigger::parse(spec)?,
        mode: Mode::Panic,
        hits: AtomicU64::new(0),
    });
    ARMED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Arc::clone(&live));
    Ok(Armed(live))
}

pub(super) fn point(name: &'static str, at: &dyn fmt::Display) {
    let from_env = FROM_ENV.get_or_init(from_env);
    let armed: Vec<Arc<Live>> = ARMED.lock().unwrap_or_else(PoisonError::into_inner).clone();
    if from_env.is_none() && armed.is_empty() {
        return;
    }
    let at = at.to_string();
    for live in from_env.iter().chain(armed.iter().map(Arc::as_ref)) {
        if live.trigger.matches(name, &at) {
            let hit = live.hits.fetch_add(1, Ordering::SeqCst) + 1;
            if hit == live.trigger.hit {
                fire(live, name, &at, hit);
            }
        }
    }
}

fn fire(live: &Live, name: &str, at: &str, hit: u64) {
    match live.mode {
        Mode::Abort => {
            // One line (stderr is unbuffered), then a death with no destructors and no flush.
            eprintln!(
                "tenantry: crash point {name} hit {hit} at {at}; replay with {}",
                live.trigger.replay()
            );
            std::process::abort();
        }
        Mode::Panic => std::panic::panic_any(Crash {
            point: name.to_owned(),
            at: at.to_owned(),
            hit,
        }),
    }
}

/// The environment's trigger; a bad setting panics rather than run without the crash asked for.
fn from_env() -> Option<Live> {
    let parsed = match (
        std::env::var("TENANTRY_CRASH_SEED"),
        std::env::var("TENANTRY_CRASH"),
    ) {
        (Ok(seed), _) => Trigger::parse_seed(&seed),
        (_, Ok(spec)) => Trigger::parse(&spec),
        _ => return None,
    };
    match parsed {
        Ok(trigger) => Some(Live {
            trigger,
            mode: Mode::Abort,
            hits: AtomicU64::new(0),
        }),
        Err(e) => panic!("tenantry: {e}"),
    }
}
