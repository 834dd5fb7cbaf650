//! Injected faults and latency: how a test breaks the server on purpose.
//!
//! A rule matches a method (or `*`) and a path pattern (`*` matches one segment) and either
//! answers a status with the profile's error body, waits before answering normally, or drops
//! the connection. Each has a probability, drawn from a generator seeded by `--seed` so that
//! a seeded run injects the same faults, and an optional count after which it expires.
//! This module only decides; `http` sleeps (holding no lock) or answers.

use crate::model::{Problem, describe};
use parking_lot::Mutex;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde::Serialize;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The longest delay a rule or `--latency` may ask for, in milliseconds (10 minutes).
pub const MAX_DELAY_MS: u64 = 600_000;

/// The most fault rules in force at once; a further rule is refused until some are removed.
/// Every API request is checked against them all.
pub const MAX_RULES: usize = 1_000;

/// The longest path pattern a rule may have, in bytes: far longer than any route.
pub const MAX_PATTERN_BYTES: usize = 1024;

/// What a firing rule does to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Answer this status with the profile's error body.
    Status(u16),
    /// Wait this many milliseconds, then answer normally.
    Delay(u64),
    /// Close the connection without a response.
    Drop,
}

/// A fault rule as the admin API shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rule {
    /// `fault_1`, `fault_2`, … in the order the rules were added.
    pub id: String,
    /// An upper-case method, or `*`.
    pub method: String,
    /// A path pattern; `*` matches one segment.
    pub path: String,
    /// The status to answer, for a status rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The delay, for a delay rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// `true`, for a drop rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drop: Option<bool>,
    /// The chance that a matching request is hit, 0 to 1.
    pub probability: f64,
    /// How many times it fires before it expires; `null` for no limit.
    pub count: Option<u64>,
    /// How many times it has fired.
    pub fired: u64,
}

impl Rule {
    fn action(&self) -> Action {
        match (self.status, self.delay_ms) {
            (Some(status), _) => Action::Status(status),
            (None, Some(ms)) => Action::Delay(ms),
            (None, None) => Action::Drop,
        }
    }

    /// A `GET` rule also matches `HEAD`, which is a GET without the body.
    fn matches(&self, method: &str, path: &str) -> bool {
        let method_fits = self.method == "*"
            || self.method == method
            || (self.method == "GET" && method == "HEAD");
        method_fits && path_matches(&self.path, path)
    }
}

/// Whether `path` fits `pattern`, segment by segment, `*` matching any one segment.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let mut p = pattern.split('/');
    let mut s = path.split('/');
    loop {
        match (p.next(), s.next()) {
            (None, None) => return true,
            (Some(want), Some(got)) if want == "*" || want == got => {}
            _ => return false,
        }
    }
}

/// Checks a path pattern sent by a client: it must start with `/`.
pub fn check_pattern(name: &str, pattern: &str) -> Result<(), Problem> {
    if pattern.starts_with('/') {
        Ok(())
    } else {
        Err(Problem::param(
            name,
            format!("Invalid '{name}': a path pattern starts with '/', like /v1/conversations/*."),
        ))
    }
}

/// The fault rules, the `--latency` range and their shared random generator.
#[derive(Debug)]
pub struct Faults {
    seed: u64,
    latency: Option<(u64, u64)>,
    /// Whether any rule is in force: without one, a request takes no lock here.
    armed: AtomicBool,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    rules: Vec<Arc<Rule>>,
    added: u64,
    rng: ChaCha8Rng,
}

impl Faults {
    /// No rules; `latency` (min, max milliseconds) delays every request outside the admin API.
    pub fn new(seed: u64, latency: Option<(u64, u64)>) -> Self {
        Faults {
            seed,
            latency,
            armed: AtomicBool::new(false),
            inner: Mutex::new(Inner::new(seed)),
        }
    }

    /// Adds a rule from its JSON form; the rule as stored, with its ID. Refused when
    /// [`MAX_RULES`] are in force already.
    pub fn add(&self, spec: &Value) -> Result<Rule, Vec<Problem>> {
        let mut rule = parse_rule(spec)?;
        let mut inner = self.inner.lock();
        if inner.rules.len() >= MAX_RULES {
            return Err(vec![Problem::general(format!(
                "There are {MAX_RULES} fault rules already, the most the server keeps: remove \
                 one (DELETE /__admin/faults/{{id}}) or all (DELETE /__admin/faults) first."
            ))]);
        }
        inner.added += 1;
        rule.id = format!("fault_{}", inner.added);
        inner.rules.push(Arc::new(rule.clone()));
        self.armed.store(true, Ordering::Release);
        Ok(rule)
    }

    /// The rules in force, in the order they were added: shared, so that a reader copies
    /// pointers, not patterns (a rule that fires meanwhile is copied then, on write).
    pub fn rules(&self) -> Vec<Arc<Rule>> {
        self.inner.lock().rules.clone()
    }

    /// Removes one rule; `false` if there was none with that ID.
    pub fn remove(&self, id: &str) -> bool {
        let mut inner = self.inner.lock();
        let before = inner.rules.len();
        inner.rules.retain(|r| r.id != id);
        self.armed.store(!inner.rules.is_empty(), Ordering::Release);
        inner.rules.len() != before
    }

    /// Removes every rule and restarts the generator, as at start-up.
    pub fn reset(&self) {
        let mut inner = self.inner.lock();
        *inner = Inner::new(self.seed);
        // Under the lock, so that a rule added meanwhile cannot be left disarmed.
        self.armed.store(false, Ordering::Release);
    }

    /// Removes every rule.
    pub fn clear(&self) {
        let mut inner = self.inner.lock();
        inner.rules.clear();
        self.armed.store(false, Ordering::Release);
    }

    /// What happens to this request: the first matching rule that fires (by its
    /// probability), counted, and removed once its count is used up.
    pub fn check(&self, method: &str, path: &str) -> Option<Action> {
        if !self.armed.load(Ordering::Acquire) {
            return None;
        }
        let mut inner = self.inner.lock();
        let Inner { rules, rng, .. } = &mut *inner;
        let index = rules.iter().position(|r| {
            // Only a rule short of certainty draws, so certain rules leave the stream alone.
            r.matches(method, path) && (r.probability >= 1.0 || rng.random::<f64>() < r.probability)
        })?;
        let rule = Arc::make_mut(&mut rules[index]);
        rule.fired += 1;
        let action = rule.action();
        if rule.count.is_some_and(|n| rule.fired >= n) {
            rules.remove(index);
            if rules.is_empty() {
                self.armed.store(false, Ordering::Release);
            }
        }
        Some(action)
    }

    /// The `--latency` delay for one request, in milliseconds, if any.
    pub fn latency_ms(&self) -> Option<u64> {
        let (min, max) = self.latency?;
        if min == max {
            return Some(min);
        }
        Some(self.inner.lock().rng.random_range(min..=max))
    }
}

impl Inner {
    fn new(seed: u64) -> Self {
        Inner {
            rules: Vec::new(),
            added: 0,
            // Its own stream, apart from the IDs', so faults never shift generated IDs.
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x6661_756c_7473),
        }
    }
}

const RULE_KEYS: [&str; 7] = [
    "method",
    "path",
    "status",
    "delay_ms",
    "drop",
    "probability",
    "count",
];

fn parse_rule(spec: &Value) -> Result<Rule, Vec<Problem>> {
    let Value::Object(map) = spec else {
        return Err(vec![Problem::general(format!(
            "A fault rule is a JSON object, got {}.",
            describe(spec)
        ))]);
    };
    let mut problems = Vec::new();
    for key in map.keys().filter(|k| !RULE_KEYS.contains(&k.as_str())) {
        problems.push(Problem::param(
            key,
            format!(
                "Unknown key '{key}' in a fault rule: it takes {}.",
                RULE_KEYS.join(", ")
            ),
        ));
    }
    let method = match map.get("method") {
        None => "*".to_owned(),
        Some(Value::String(m)) if m == "*" || is_method(m) => m.to_ascii_uppercase(),
        Some(other) => {
            problems.push(Problem::param(
                "method",
                format!(
                    "Invalid 'method': expected an HTTP method such as GET, or '*', got {}.",
                    describe(other)
                ),
            ));
            String::new()
        }
    };
    let path = match map.get("path") {
        Some(Value::String(p)) if p.len() > MAX_PATTERN_BYTES => {
            problems.push(Problem::param(
                "path",
                format!(
                    "Invalid 'path': a pattern is at most {MAX_PATTERN_BYTES} bytes, got {}.",
                    p.len()
                ),
            ));
            String::new()
        }
        Some(Value::String(p)) => {
            if let Err(p) = check_pattern("path", p) {
                problems.push(p);
            }
            p.clone()
        }
        Some(other) => {
            problems.push(Problem::param(
                "path",
                format!(
                    "Invalid 'path': expected a path pattern, got {}.",
                    describe(other)
                ),
            ));
            String::new()
        }
        None => {
            problems.push(Problem::param(
                "path",
                "Missing 'path': a fault rule needs a path pattern, like /v1/conversations/*.",
            ));
            String::new()
        }
    };
    let status = integer(map, "status", 400, 599, &mut problems);
    let delay_ms = integer(map, "delay_ms", 0, MAX_DELAY_MS, &mut problems);
    let drop = match map.get("drop") {
        None => None,
        Some(Value::Bool(true)) => Some(true),
        Some(other) => {
            problems.push(Problem::param(
                "drop",
                format!(
                    "Invalid 'drop': only true makes sense, got {}.",
                    describe(other)
                ),
            ));
            None
        }
    };
    let actions = ["status", "delay_ms", "drop"]
        .iter()
        .filter(|k| map.contains_key(**k))
        .count();
    if actions != 1 {
        problems.push(Problem::general(format!(
            "A fault rule needs exactly one of 'status', 'delay_ms' and 'drop', got {actions}."
        )));
    }
    let probability = match map.get("probability") {
        None => 1.0,
        Some(Value::Number(n)) if n.as_f64().is_some_and(|p| (0.0..=1.0).contains(&p)) => {
            n.as_f64().unwrap_or(1.0)
        }
        Some(other) => {
            problems.push(Problem::param(
                "probability",
                format!(
                    "Invalid 'probability': expected a number from 0 to 1, got {}.",
                    describe(other)
                ),
            ));
            1.0
        }
    };
    let count = match map.get("count") {
        None | Some(Value::Null) => None,
        Some(_) => integer(map, "count", 1, u64::MAX, &mut problems),
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Rule {
        id: String::new(),
        method,
        path,
        status: status.and_then(|s| u16::try_from(s).ok()),
        delay_ms,
        drop,
        probability,
        count,
        fired: 0,
    })
}

fn is_method(m: &str) -> bool {
    !m.is_empty() && m.len() <= 16 && m.bytes().all(|b| b.is_ascii_alphabetic())
}

fn integer(
    map: &Map<String, Value>,
    key: &str,
    min: u64,
    max: u64,
    problems: &mut Vec<Problem>,
) -> Option<u64> {
    let value = map.get(key)?;
    // An integral float counts, as in the API's bodies.
    let whole = match value {
        Value::Number(n) => crate::model::json_integer(n).and_then(|n| u64::try_from(n).ok()),
        _ => None,
    };
    match whole.filter(|n| (min..=max).contains(n)) {
        Some(n) => Some(n),
        None => {
            problems.push(Problem::param(
                key,
                format!(
                    "Invalid '{key}': expected an integer from {min} to {max}, got {}.",
                    describe(value)
                ),
            ));
            None
        }
    }
}

/// Parses `--latency`: `MS`, or `MIN..MAX` milliseconds.
pub fn parse_latency(text: &str) -> Result<(u64, u64), String> {
    let number = |s: &str| {
        s.trim()
            .parse::<u64>()
            .ok()
            .filter(|n| *n <= MAX_DELAY_MS)
            .ok_or_else(|| {
                format!("'{s}' is not a number of milliseconds from 0 to {MAX_DELAY_MS}")
            })
    };
    match text.split_once("..") {
        None => number(text).map(|n| (n, n)),
        Some((min, max)) => {
            let (min, max) = (number(min)?, number(max)?);
            if min <= max {
                Ok((min, max))
            } else {
                Err(format!("the range {min}..{max} runs backwards"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn patterns_match_segment_by_segment() {
        assert!(path_matches("/v1/conversations/*", "/v1/conversations/abc"));
        assert!(path_matches("/*/conversations", "/external/conversations"));
        assert!(!path_matches("/v1/conversations/*", "/v1/conversations"));
        assert!(!path_matches(
            "/v1/conversations/*",
            "/v1/conversations/a/b"
        ));
        assert!(path_matches("/v1/conversations", "/v1/conversations"));
        assert!(!path_matches("/v1/conversations", "/v1/conversations/"));
    }

    #[test]
    fn a_counted_rule_fires_that_many_times_then_expires() {
        let f = Faults::new(1, None);
        let rule = f
            .add(&json!({"method": "GET", "path": "/v1/*", "status": 503, "count": 2}))
            .unwrap();
        assert_eq!(rule.id, "fault_1");
        assert_eq!(f.check("POST", "/v1/conversations"), None);
        assert_eq!(
            f.check("GET", "/v1/conversations"),
            Some(Action::Status(503))
        );
        assert_eq!(f.rules()[0].fired, 1);
        assert_eq!(
            f.check("GET", "/v1/conversations"),
            Some(Action::Status(503))
        );
        assert_eq!(f.check("GET", "/v1/conversations"), None);
        assert!(f.rules().is_empty());
    }

    #[test]
    fn probabilities_are_reproducible_for_a_seed() {
        let draws = |seed| {
            let f = Faults::new(seed, None);
            f.add(&json!({"path": "/x", "drop": true, "probability": 0.5}))
                .unwrap();
            (0..64)
                .map(|_| f.check("GET", "/x").is_some())
                .collect::<Vec<_>>()
        };
        let a = draws(9);
        assert_eq!(a, draws(9));
        let hits = a.iter().filter(|h| **h).count();
        assert!((10..=54).contains(&hits), "{hits} of 64");
        let never = Faults::new(1, None);
        never
            .add(&json!({"path": "/x", "delay_ms": 5, "probability": 0}))
            .unwrap();
        assert!((0..100).all(|_| never.check("GET", "/x").is_none()));
    }

    #[test]
    fn bad_rules_name_what_is_wrong() {
        let f = Faults::new(1, None);
        let params = |spec: Value| -> Vec<Option<String>> {
            f.add(&spec)
                .unwrap_err()
                .into_iter()
                .map(|p| p.param)
                .collect()
        };
        assert_eq!(
            params(json!({"path": "/x", "status": 200})),
            [Some("status".into())]
        );
        assert_eq!(
            params(json!({"path": "x", "drop": true})),
            [Some("path".into())]
        );
        assert_eq!(params(json!({"drop": true})), [Some("path".into())]);
        assert_eq!(params(json!({"path": "/x"})), [None]);
        assert_eq!(
            params(json!({"path": "/x", "drop": true, "status": 500})),
            [None]
        );
        assert_eq!(
            params(json!({"path": "/x", "drop": true, "probability": 2})),
            [Some("probability".into())]
        );
        assert_eq!(
            params(json!({"path": "/x", "drop": true, "count": 0})),
            [Some("count".into())]
        );
        assert_eq!(
            params(json!({"path": "/x", "drop": true, "colour": 1})),
            [Some("colour".into())]
        );
        assert_eq!(
            params(json!({"path": "/x", "drop": true, "method": "GE T"})),
            [Some("method".into())]
        );
        assert!(f.rules().is_empty());
    }

    #[test]
    fn latency_takes_a_number_or_a_range() {
        assert_eq!(parse_latency("25"), Ok((25, 25)));
        assert_eq!(parse_latency("5..50"), Ok((5, 50)));
        assert!(parse_latency("50..5").is_err());
        assert!(parse_latency("fast").is_err());
        assert!(parse_latency("99999999").is_err());
        let f = Faults::new(3, Some((5, 50)));
        assert!((0..100).all(|_| f.latency_ms().is_some_and(|ms| (5..=50).contains(&ms))));
    }
}
