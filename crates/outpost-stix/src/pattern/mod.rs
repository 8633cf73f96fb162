//! The STIX 2.1 patterning language: parser, evaluator and IOC extraction.
//!
//! ```
//! use outpost_stix::pattern::Pattern;
//! use outpost_stix::observation::Observation;
//! use serde_json::json;
//!
//! let p = Pattern::parse("[ipv4-addr:value ISSUBSET '198.51.100.0/24']").unwrap();
//! let obs = Observation::at(
//!     "2026-01-01T00:00:00Z".parse().unwrap(),
//!     vec![("ipv4-addr--1".into(), json!({"type": "ipv4-addr", "value": "198.51.100.7"}))],
//! );
//! assert!(p.matches(&[obs]).unwrap().is_some());
//! ```

pub mod ast;
mod eval;
mod lexer;
pub mod literal;
mod parser;

pub use crate::observation::Observation;
use ast::{CompExpr, Literal, ObsExpr, PathStep, TestOp};
pub use eval::{MAX_BINDINGS, MAX_STEPS};
use std::fmt;

/// An invalid pattern, or a failure while evaluating one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct PatternError {
    /// Byte offset in the pattern text, for syntax errors.
    pub position: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl PatternError {
    pub(crate) fn new(position: usize, message: impl Into<String>) -> Self {
        PatternError {
            position: Some(position),
            message: message.into(),
        }
    }

    pub(crate) fn evaluation(message: impl Into<String>) -> Self {
        PatternError {
            position: None,
            message: message.into(),
        }
    }

    fn render(&self) -> String {
        match self.position {
            Some(p) => format!("invalid STIX pattern at position {p}: {}", self.message),
            None => format!("STIX pattern evaluation failed: {}", self.message),
        }
    }
}

/// A parsed STIX 2.1 pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    expr: ObsExpr,
}

/// A successful match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternMatch {
    /// Indices (into the slice given to [`Pattern::matches`]) of the observations bound by the
    /// first binding found, ascending and without duplicates.
    pub observations: Vec<usize>,
}

impl Pattern {
    /// Parses and validates a pattern. Errors carry the byte position and a message.
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        let expr = parser::parse(text)?;
        Ok(Pattern {
            source: text.to_string(),
            expr,
        })
    }

    /// The pattern text as given.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The parsed expression.
    pub fn expr(&self) -> &ObsExpr {
        &self.expr
    }

    /// Matches the pattern against observations. `Ok(None)` is no match; `Err` is an
    /// evaluation error (for instance an invalid timestamp in the data compared with a
    /// timestamp literal), which the reference matcher also reports as an error.
    pub fn matches(
        &self,
        observations: &[Observation],
    ) -> Result<Option<PatternMatch>, PatternError> {
        eval::evaluate(&self.expr, observations)
    }

    /// When the whole pattern is an `OR` of plain `=` / `IN` tests on well-known IOC paths,
    /// the IOCs; `None` otherwise (the pattern must then go through the pattern engine).
    pub fn simple_iocs(&self) -> Option<Vec<SimpleIoc>> {
        let mut out = Vec::new();
        collect_obs(&self.expr, &mut out)?;
        if out.is_empty() {
            return None;
        }
        Some(out)
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl std::str::FromStr for Pattern {
    type Err = PatternError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Pattern::parse(s)
    }
}

/// The kind of a simple indicator value.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum IocKind {
    /// `ipv4-addr:value`: an address or a CIDR range.
    Ipv4,
    /// `ipv6-addr:value`: an address or a CIDR range.
    Ipv6,
    /// `domain-name:value`.
    Domain,
    /// `url:value`.
    Url,
    /// `file:hashes.'SHA-256'`.
    Sha256,
    /// `file:hashes.'SHA-1'`.
    Sha1,
    /// `file:hashes.'MD5'`.
    Md5,
    /// `file:hashes.'SHA-512'`.
    Sha512,
    /// `file:name`.
    FileName,
    /// `process:name`, or the executable's name via `process:image_ref.name`.
    ProcessName,
    /// `email-addr:value`.
    EmailAddress,
}

/// One IOC from a simple pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SimpleIoc {
    pub kind: IocKind,
    /// The value as written in the pattern (hashes lower-cased).
    pub value: String,
}

fn collect_obs(e: &ObsExpr, out: &mut Vec<SimpleIoc>) -> Option<()> {
    match e {
        ObsExpr::Simple(c) => collect_comp(c, out),
        ObsExpr::Or(items) => items.iter().try_for_each(|i| collect_obs(i, out)),
        _ => None,
    }
}

fn collect_comp(c: &CompExpr, out: &mut Vec<SimpleIoc>) -> Option<()> {
    match c {
        CompExpr::Or(items) => items.iter().try_for_each(|i| collect_comp(i, out)),
        CompExpr::And(..) => None,
        CompExpr::Test(t) => {
            if t.negated {
                return None;
            }
            let kind = ioc_kind(&t.path.object_type, &t.path.steps)?;
            let lits: Vec<&str> = match &t.op {
                TestOp::Eq(Literal::Str(s)) => vec![s.as_str()],
                TestOp::StrSet(set) => set.values.iter().map(String::as_str).collect(),
                _ => return None,
            };
            for s in lits {
                let value = match kind {
                    IocKind::Sha256 | IocKind::Sha1 | IocKind::Md5 | IocKind::Sha512 => {
                        s.to_ascii_lowercase()
                    }
                    _ => s.to_string(),
                };
                out.push(SimpleIoc { kind, value });
            }
            Some(())
        }
    }
}

fn ioc_kind(object_type: &str, steps: &[PathStep]) -> Option<IocKind> {
    let keys: Vec<&str> = steps
        .iter()
        .map(|s| match s {
            PathStep::Key(k) => Some(k.as_str()),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some(match (object_type, keys.as_slice()) {
        ("ipv4-addr", ["value"]) => IocKind::Ipv4,
        ("ipv6-addr", ["value"]) => IocKind::Ipv6,
        ("domain-name", ["value"]) => IocKind::Domain,
        ("url", ["value"]) => IocKind::Url,
        ("email-addr", ["value"]) => IocKind::EmailAddress,
        ("file", ["name"]) => IocKind::FileName,
        ("process", ["name"]) | ("process", ["image_ref", "name"]) => IocKind::ProcessName,
        ("file", ["hashes", h]) => match h.to_ascii_uppercase().replace('-', "").as_str() {
            "SHA256" => IocKind::Sha256,
            "SHA1" => IocKind::Sha1,
            "MD5" => IocKind::Md5,
            "SHA512" => IocKind::Sha512,
            _ => return None,
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_and_qualifiers() {
        let p = Pattern::parse("[a:x = 1] OR [a:x = 2] AND [a:x = 3] WITHIN 5 SECONDS").unwrap();
        match p.expr() {
            ObsExpr::Or(items) => match &items[1] {
                ObsExpr::And(_, rr) => assert!(matches!(&**rr, ObsExpr::Within(_, 5_000_000))),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_have_positions() {
        let e = Pattern::parse("[file:name = 'a'] AND").unwrap_err();
        assert_eq!(e.position, Some(21));
        assert!(e.to_string().contains("position 21"), "{e}");
        let e = Pattern::parse("[some-type:needs-quotes = 1]").unwrap_err();
        assert!(e.message.contains("must be quoted"), "{e}");
        assert!(Pattern::parse("[a:b = 1] WITHIN 0 SECONDS").is_err());
        assert!(Pattern::parse("[a:b IN (1, true)]").is_err());
        assert!(Pattern::parse("[a:b = null]").is_err());
    }

    #[test]
    fn large_patterns_do_not_overflow() {
        // Feeds ship indicators with thousands of OR-ed values.
        let terms: Vec<String> = (0..5000)
            .map(|i| format!("ipv4-addr:value = '10.0.{}.{}'", i / 256, i % 256))
            .collect();
        let p = Pattern::parse(&format!("[{}]", terms.join(" OR "))).unwrap();
        assert_eq!(p.simple_iocs().unwrap().len(), 5000);
        let obs = Observation::at(
            "2026-01-01T00:00:00Z".parse().unwrap(),
            vec![(
                "i".into(),
                serde_json::json!({"type": "ipv4-addr", "value": "10.0.19.135"}),
            )],
        );
        assert!(p.matches(&[obs]).unwrap().is_some());
        let chain: Vec<&str> = vec!["[a:b = 1]"; 100_000];
        let e = Pattern::parse(&chain.join(" AND ")).unwrap_err();
        assert!(e.message.contains("nested too deeply"), "{e}");
        let obs_or: Vec<&str> = vec!["[a:b = 1]"; 5000];
        assert!(Pattern::parse(&obs_or.join(" OR ")).is_ok());
    }

    #[test]
    fn merged_string_equalities_keep_semantics() {
        let obs = Observation::at(
            "2026-01-01T00:00:00Z".parse().unwrap(),
            vec![(
                "b".into(),
                serde_json::json!({"type": "t", "x": "q", "y": 2, "name_hex": "616c696365", "l": ["m", "n"]}),
            )],
        );
        let m = |p: &str| {
            Pattern::parse(p)
                .unwrap()
                .matches(std::slice::from_ref(&obs))
                .unwrap()
                .is_some()
        };
        assert!(m("[t:x = 'p' OR t:y = 1 OR t:x = 'q']"));
        assert!(!m("[t:x = 'p' OR t:y = 1 OR t:x = 'r']"));
        assert!(m("[t:name_hex = 'bob' OR t:name_hex = 'alice']"));
        assert!(!m("[t:name_hex IN ('bob', 'alice')]"));
        assert!(m("[t:l[*] IN ('z', 'n')]"));
        assert!(m("[t:x IN ('q') AND t:y = 2]"));
        assert!(!m("[t:x NOT IN ('q', 'r')]"));
    }

    #[test]
    fn repeats_search_is_pruned() {
        let t0: chrono::DateTime<chrono::Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let obs: Vec<Observation> = (0..100)
            .map(|i| {
                Observation::at(
                    t0 + chrono::Duration::seconds(i),
                    vec![("x".into(), serde_json::json!({"type": "t", "n": i}))],
                )
            })
            .collect();
        let m = |p: &str| Pattern::parse(p).unwrap().matches(&obs).unwrap();
        // C(100, 10) candidate sets: only the window pruning makes these tractable.
        assert!(m("[t:n >= 0] REPEATS 10 TIMES WITHIN 5 SECONDS").is_none());
        assert_eq!(
            m("[t:n >= 0] REPEATS 6 TIMES WITHIN 5 SECONDS")
                .unwrap()
                .observations
                .len(),
            6
        );
        // More repetitions than instances: refused by the capacity bound.
        assert!(m("[t:n >= 0] REPEATS 200 TIMES").is_none());
        let found = m("[t:n >= 40] REPEATS 3 TIMES WITHIN 2 SECONDS AND [t:n < 1]").unwrap();
        assert_eq!(found.observations, vec![0, 40, 41, 42]);
    }

    #[test]
    fn simple_iocs_extracted() {
        let p = Pattern::parse(
            "[ipv4-addr:value = '198.51.100.0/24' OR domain-name:value IN ('evil.example', 'bad.example')] OR [file:hashes.'SHA-256' = 'ABCD']",
        )
        .unwrap();
        let iocs = p.simple_iocs().unwrap();
        assert_eq!(iocs.len(), 4);
        assert_eq!(
            iocs[0],
            SimpleIoc {
                kind: IocKind::Ipv4,
                value: "198.51.100.0/24".into()
            }
        );
        assert_eq!(
            iocs[3],
            SimpleIoc {
                kind: IocKind::Sha256,
                value: "abcd".into()
            }
        );
        for complex in [
            "[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = '1.2.3.5']",
            "[ipv4-addr:value != '1.2.3.4']",
            "[ipv4-addr:value = '1.2.3.4'] REPEATS 2 TIMES",
            "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [domain-name:value = 'x']",
            "[file:size = 5]",
            "[ipv4-addr:value NOT = '1.2.3.4']",
        ] {
            assert!(
                Pattern::parse(complex).unwrap().simple_iocs().is_none(),
                "{complex}"
            );
        }
    }
}
