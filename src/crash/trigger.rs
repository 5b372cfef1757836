//! `Trigger`: which crash point fires, where, and at which hit; parsed from
//! `<point>[:<filter>][@<k>]` or derived from a seed.

use super::{CONTROLLER_POINTS, ENGINE_POINTS};

/// A crash point to fire: the `hit`-th time `point` is passed at a place containing `filter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    /// The point's name, e.g. `create.sent`.
    pub point: String,
    /// Only places whose description contains this (e.g. `daas/admins/`).
    pub filter: Option<String>,
    /// Fires on this hit of the point (1 = the first).
    pub hit: u64,
    /// The seed it was derived from, if any (printed so a failing run can be replayed).
    pub seed: Option<u64>,
}

/// A crash specification that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    /// The point is not one of the named points.
    #[error("unknown crash point {0:?}; the points are {1}")]
    UnknownPoint(String, String),
    /// The hit number is not a positive integer.
    #[error("crash hit {0:?} is not a positive integer")]
    BadHit(String),
    /// `TENANTRY_CRASH_SEED` is not an unsigned integer.
    #[error("crash seed {0:?} is not an unsigned 64-bit integer")]
    BadSeed(String),
}

/// Largest hit number a seed picks, per engine point: at most the hits one `tenantry apply` of
/// the examples makes, so a seeded run of them always reaches its point (deletes need --prune).
const SEED_HITS: [(&str, u64); 4] = [
    ("create.sent", 24),
    ("operation.accepted", 2),
    ("delete.sent", 2),
    ("apply.step", 24),
];

impl Trigger {
    /// Parses `<point>[:<filter>][@<k>]`, e.g. `create.sent:daas/admins/@2`.
    pub fn parse(spec: &str) -> Result<Self, TriggerError> {
        let spec = spec.trim();
        // A trailing `@digits` is the hit; an `@` inside a filter (an e-mail) is not.
        let (rest, hit) = match spec.rsplit_once('@') {
            Some((rest, k)) if !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()) => {
                let hit: u64 = k.parse().map_err(|_| TriggerError::BadHit(k.to_owned()))?;
                if hit == 0 {
                    return Err(TriggerError::BadHit(k.to_owned()));
                }
                (rest, hit)
            }
            _ => (spec, 1),
        };
        let (point, filter) = match rest.split_once(':') {
            Some((point, filter)) if !filter.is_empty() => (point, Some(filter.to_owned())),
            Some((point, _)) => (point, None),
            None => (rest, None),
        };
        if !ENGINE_POINTS.contains(&point) && !CONTROLLER_POINTS.contains(&point) {
            let all: Vec<&str> = ENGINE_POINTS.into_iter().chain(CONTROLLER_POINTS).collect();
            return Err(TriggerError::UnknownPoint(point.to_owned(), all.join(", ")));
        }
        Ok(Self {
            point: point.to_owned(),
            filter,
            hit,
            seed: None,
        })
    }

    /// Parses `TENANTRY_CRASH_SEED`'s value.
    pub fn parse_seed(text: &str) -> Result<Self, TriggerError> {
        text.trim()
            .parse::<u64>()
            .map(Self::from_seed)
            .map_err(|_| TriggerError::BadSeed(text.to_owned()))
    }

    /// The engine point and hit number a seed picks; the same seed always picks the same.
    pub fn from_seed(seed: u64) -> Self {
        let first = splitmix64(seed);
        let (point, most) = SEED_HITS[(first % SEED_HITS.len() as u64) as usize];
        Self {
            point: point.to_owned(),
            filter: None,
            hit: 1 + splitmix64(first) % most,
            seed: Some(seed),
        }
    }

    /// True when passing `point` at `at` counts towards this trigger.
    pub fn matches(&self, point: &str, at: &str) -> bool {
        self.point == point && self.filter.as_deref().is_none_or(|f| at.contains(f))
    }

    /// The environment setting that replays this trigger.
    pub fn replay(&self) -> String {
        match self.seed {
            Some(seed) => format!("TENANTRY_CRASH_SEED={seed}"),
            None => {
                let filter = self
                    .filter
                    .as_deref()
                    .map(|f| format!(":{f}"))
                    .unwrap_or_default();
                format!("TENANTRY_CRASH={}{filter}@{}", self.point, self.hit)
            }
        }
    }
}

/// SplitMix64: a fixed, well-mixed step, so seeds map to points the same way everywhere.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_into_point_filter_and_hit() {
        for (spec, point, filter, hit) in [
            ("create.sent", "create.sent", None, 1),
            ("apply.step@7", "apply.step", None, 7),
            (
                "delete.sent:daas/admins/",
                "delete.sent",
                Some("daas/admins/"),
                1,
            ),
            (
                "create.sent:daas/admins/@2",
                "create.sent",
                Some("daas/admins/"),
                2,
            ),
            // An e-mail in the filter is not a hit number.
            (
                "create.sent:meet/ann@kenton.com",
                "create.sent",
                Some("meet/ann@kenton.com"),
                1,
            ),
            ("status.patched:", "status.patched", None, 1),
        ] {
            let t = Trigger::parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            assert_eq!(t.point, point, "{spec}");
            assert_eq!(t.filter.as_deref(), filter, "{spec}");
            assert_eq!(t.hit, hit, "{spec}");
            assert_eq!(
                Trigger::parse(&t.replay()["TENANTRY_CRASH=".len()..]),
                Ok(t)
            );
        }
        for bad in ["create.snt", "apply.step@0", "", "@3"] {
            assert!(Trigger::parse(bad).is_err(), "{bad}");
        }
        assert!(Trigger::parse_seed("x").is_err());
    }

    #[test]
    fn a_seed_always_picks_the_same_engine_point_and_hit() {
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..200u64 {
            let t = Trigger::from_seed(seed);
            assert_eq!(t, Trigger::from_seed(seed));
            assert_eq!(Trigger::parse_seed(&seed.to_string()), Ok(t.clone()));
            assert!(ENGINE_POINTS.contains(&t.point.as_str()));
            let most = SEED_HITS.iter().find(|(p, _)| *p == t.point).map(|p| p.1);
            assert!(t.hit >= 1 && Some(t.hit) <= most, "{t:?}");
            assert_eq!(t.replay(), format!("TENANTRY_CRASH_SEED={seed}"));
            seen.insert(t.point);
        }
        assert_eq!(seen.len(), ENGINE_POINTS.len(), "every point is reachable");
    }

    #[test]
    fn filters_match_by_substring() {
        let t = Trigger::parse("create.sent:daas/admins/").unwrap_or_else(|e| panic!("{e}"));
        assert!(t.matches("create.sent", "daas/admins/customers/jroe"));
        assert!(!t.matches("create.sent", "daas/customers/customers/kenton"));
        assert!(!t.matches("delete.sent", "daas/admins/customers/jroe"));
    }
}
