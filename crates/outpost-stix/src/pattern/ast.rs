//! The parsed form of a pattern.

use super::literal::Timestamp;
use regex::Regex;
use unicode_normalization::UnicodeNormalization;

/// An observation expression: what must be observed, across observed-data objects.
#[derive(Debug, Clone)]
pub enum ObsExpr {
    /// `[comparison]`: one observed-data object satisfies the comparison.
    Simple(CompExpr),
    /// Both sides, bound to different observations.
    And(Box<ObsExpr>, Box<ObsExpr>),
    /// Any of the operands (two or more).
    Or(Vec<ObsExpr>),
    /// Left side observed no later than the right side.
    FollowedBy(Box<ObsExpr>, Box<ObsExpr>),
    /// All bound observations fit in a window of this many microseconds.
    Within(Box<ObsExpr>, i64),
    /// The expression matched this many times, by different observations.
    Repeats(Box<ObsExpr>, u32),
    /// All bound observations overlap `[start, stop)`.
    StartStop(Box<ObsExpr>, Timestamp, Timestamp),
}

/// A comparison expression, evaluated against the objects of one observation.
#[derive(Debug, Clone)]
pub enum CompExpr {
    /// All operands (two or more) hold for the same root object.
    And(Vec<CompExpr>),
    /// Any operand (two or more) holds.
    Or(Vec<CompExpr>),
    /// A single property test.
    Test(PropTest),
}

/// `object-type:path OP literal`, optionally negated with `NOT`.
#[derive(Debug, Clone)]
pub struct PropTest {
    pub path: ObjectPath,
    pub negated: bool,
    pub op: TestOp,
}

/// The ordering operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ordering {
    Lt,
    Le,
    Gt,
    Ge,
}

/// The test applied to the values an object path selects.
#[derive(Debug, Clone)]
pub enum TestOp {
    Eq(Literal),
    Neq(Literal),
    Order(Ordering, Literal),
    In(Vec<Literal>),
    /// `=` against any of several strings: what `path = 'a' OR path = 'b' OR …` and
    /// `path IN ('a', 'b', …)` compile to, looked up in a hash set.
    StrSet(StrSet),
    Like(LikeMatcher),
    Matches(RegexMatcher),
    IsSubset(String),
    IsSuperset(String),
    Exists,
}

/// A literal value in a pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    /// From `h'…'` or `b'…'`.
    Binary(Vec<u8>),
    /// From `t'…'`.
    Timestamp(Timestamp),
}

/// A set of strings for [`TestOp::StrSet`].
#[derive(Debug, Clone)]
pub struct StrSet {
    /// The strings in pattern order.
    pub values: Vec<String>,
    pub(crate) lookup: std::collections::HashSet<String>,
    /// `true` for merged `=` tests (a binary value equals a string when its bytes are the
    /// string's Latin-1 code points); `false` for `IN` (strings only).
    pub(crate) binary_equal: bool,
}

impl StrSet {
    pub(crate) fn new(values: Vec<String>, binary_equal: bool) -> Self {
        let lookup = values.iter().cloned().collect();
        StrSet {
            values,
            lookup,
            binary_equal,
        }
    }
}

/// `type:step.step[0].step[*]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectPath {
    pub object_type: String,
    /// The first step is always a [`PathStep::Key`].
    pub steps: Vec<PathStep>,
}

/// One step of an object path.
#[derive(Debug, Clone, PartialEq)]
pub enum PathStep {
    Key(String),
    Index(i64),
    Star,
}

/// A compiled `LIKE` operand (`%` any run, `_` one character; whole-string match).
#[derive(Debug, Clone)]
pub struct LikeMatcher {
    /// The operand as written.
    pub source: String,
    pub(crate) regex: Regex,
    /// Whether binary values may be matched (all operand characters < U+0100).
    pub(crate) binary_ok: bool,
}

impl LikeMatcher {
    pub(crate) fn new(source: &str) -> Result<Self, String> {
        let norm: String = source.nfc().collect();
        let mut re = String::from(r"\A");
        for c in norm.chars() {
            match c {
                '%' => re.push_str(".*"),
                '_' => re.push('.'),
                c => re.push_str(&regex::escape(c.encode_utf8(&mut [0u8; 4]))),
            }
        }
        re.push_str(r"\z");
        let regex =
            Regex::new(&re).map_err(|e| format!("cannot compile LIKE operand '{source}': {e}"))?;
        let binary_ok = norm.chars().all(|c| (c as u32) < 256);
        Ok(LikeMatcher {
            source: source.to_string(),
            regex,
            binary_ok,
        })
    }
}

/// A compiled `MATCHES` operand (a regular expression, searched anywhere in the value).
#[derive(Debug, Clone)]
pub struct RegexMatcher {
    /// The expression as written.
    pub source: String,
    pub(crate) regex: Regex,
    /// For binary values: the expression read as Latin-1 bytes, when all its characters are
    /// below U+0100 and it compiles in byte mode.
    pub(crate) bytes: Option<regex::bytes::Regex>,
}

impl RegexMatcher {
    pub(crate) fn new(source: &str) -> Result<Self, String> {
        let norm: String = source.nfc().collect();
        let regex =
            Regex::new(&norm).map_err(|e| format!("invalid regular expression '{source}': {e}"))?;
        let bytes = if norm.chars().all(|c| (c as u32) < 256) {
            let mut b = String::from("(?-u)");
            let chars: Vec<char> = norm.chars().collect();
            let mut i = 0;
            while i < chars.len() {
                let c = chars[i];
                if c == '\\' && chars.get(i + 1).is_some_and(|n| (*n as u32) >= 128) {
                    // An escaped non-ASCII character is just that character.
                    i += 1;
                    continue;
                }
                if (c as u32) >= 128 {
                    b.push_str(&format!("\\x{:02X}", c as u32));
                } else {
                    b.push(c);
                    if c == '\\'
                        && let Some(n) = chars.get(i + 1)
                    {
                        b.push(*n);
                        i += 1;
                    }
                }
                i += 1;
            }
            regex::bytes::Regex::new(&b).ok()
        } else {
            None
        };
        Ok(RegexMatcher {
            source: source.to_string(),
            regex,
            bytes,
        })
    }
}
