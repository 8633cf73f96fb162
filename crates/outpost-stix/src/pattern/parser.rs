//! Recursive-descent parser for the STIX 2.1 patterning grammar.
//!
//! Precedence, loosest first: `FOLLOWEDBY`, `OR`, `AND` between observation expressions; the
//! qualifiers `WITHIN`, `REPEATS`, `START … STOP` are postfix and bind tightest, applied left to
//! right. Inside `[...]`, `OR` is looser than `AND`; parentheses group.

use super::ast::*;
use super::lexer::{Kw, Spanned, Tok, tokenize};
use super::{PatternError, literal};

/// Nesting limit, so hostile input cannot overflow the stack.
const MAX_DEPTH: usize = 100;

pub(crate) fn parse(src: &str) -> Result<ObsExpr, PatternError> {
    let toks = tokenize(src)?;
    let mut p = Parser {
        toks,
        i: 0,
        depth: 0,
    };
    let e = p.observation_expressions()?;
    if obs_depth(&e) > MAX_DEPTH {
        return Err(PatternError::new(
            0,
            format!(
                "pattern is nested too deeply (more than {MAX_DEPTH} levels of AND/FOLLOWEDBY/qualifiers)"
            ),
        ));
    }
    let t = p.peek();
    if t.tok != Tok::Eof {
        return Err(PatternError::new(
            t.pos,
            format!("unexpected {} after a complete pattern", t.tok.describe()),
        ));
    }
    Ok(e)
}

/// Depth of the evaluation recursion a pattern needs (n-ary OR/AND count once).
fn obs_depth(e: &ObsExpr) -> usize {
    match e {
        ObsExpr::Simple(_) => 1,
        ObsExpr::Or(v) => 1 + v.iter().map(obs_depth).max().unwrap_or(0),
        ObsExpr::And(l, r) | ObsExpr::FollowedBy(l, r) => 1 + obs_depth(l).max(obs_depth(r)),
        ObsExpr::Within(i, _) | ObsExpr::Repeats(i, _) | ObsExpr::StartStop(i, _, _) => {
            1 + obs_depth(i)
        }
    }
}

/// Folds `path = 'a' OR path = 'b' OR …` (same path, not negated) into one hashed test.
/// Equality on strings never fails, so this changes neither results nor errors.
fn merge_string_equalities(items: Vec<CompExpr>) -> Vec<CompExpr> {
    let mut out: Vec<CompExpr> = Vec::with_capacity(items.len());
    let mut groups: Vec<(ObjectPath, Vec<String>, usize)> = Vec::new();
    for item in items {
        match item {
            CompExpr::Test(PropTest {
                path,
                negated: false,
                op: TestOp::Eq(Literal::Str(s)),
            }) => {
                if let Some(g) = groups.iter_mut().find(|g| g.0 == path) {
                    g.1.push(s);
                } else {
                    // Keep the group's place among the other operands.
                    out.push(CompExpr::Or(Vec::new()));
                    groups.push((path, vec![s], out.len() - 1));
                }
            }
            other => out.push(other),
        }
    }
    for (path, values, slot) in groups {
        out[slot] = if values.len() == 1 {
            let v = values.into_iter().next().unwrap_or_default();
            CompExpr::Test(PropTest {
                path,
                negated: false,
                op: TestOp::Eq(Literal::Str(v)),
            })
        } else {
            CompExpr::Test(PropTest {
                path,
                negated: false,
                op: TestOp::StrSet(StrSet::new(values, true)),
            })
        };
    }
    out
}

/// The error of the unexpected token `tok` at `pos`: `{what}, found {tok}`.
fn unexpected(pos: usize, what: impl std::fmt::Display, tok: &Tok) -> PatternError {
    PatternError::new(pos, format!("{what}, found {}", tok.describe()))
}

/// The one item of `items`, or their `group`.
fn one_or<T>(mut items: Vec<T>, group: fn(Vec<T>) -> T) -> T {
    if items.len() == 1 {
        items.remove(0)
    } else {
        group(items)
    }
}

struct Parser {
    toks: Vec<Spanned>,
    i: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Spanned {
        // The token list always ends with Eof, and `bump` never moves past it.
        &self.toks[self.i.min(self.toks.len() - 1)]
    }

    fn bump(&mut self) -> Spanned {
        let t = self.peek().clone();
        if self.i < self.toks.len() - 1 {
            self.i += 1;
        }
        t
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if &self.peek().tok == tok {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, tok: &Tok, what: &str) -> Result<Spanned, PatternError> {
        let t = self.peek().clone();
        if &t.tok == tok {
            Ok(self.bump())
        } else {
            Err(unexpected(t.pos, format!("expected {what}"), &t.tok))
        }
    }

    fn enter(&mut self) -> Result<(), PatternError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(PatternError::new(
                self.peek().pos,
                "pattern is nested too deeply",
            ));
        }
        Ok(())
    }

    /// Binary operators and qualifiers nest the tree; cap their chains too.
    fn chain_limit(&self, n: usize) -> Result<(), PatternError> {
        if n > MAX_DEPTH {
            return Err(PatternError::new(
                self.peek().pos,
                format!(
                    "pattern is nested too deeply (more than {MAX_DEPTH} levels of AND/FOLLOWEDBY/qualifiers)"
                ),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn observation_expressions(&mut self) -> Result<ObsExpr, PatternError> {
        self.enter()?;
        let e = self.left_chain(Kw::FollowedBy, Self::observation_or, ObsExpr::FollowedBy)?;
        self.leave();
        Ok(e)
    }

    fn observation_or(&mut self) -> Result<ObsExpr, PatternError> {
        Ok(one_or(
            self.list(Kw::Or, Self::observation_and)?,
            ObsExpr::Or,
        ))
    }

    fn observation_and(&mut self) -> Result<ObsExpr, PatternError> {
        self.left_chain(Kw::And, Self::observation_qualified, ObsExpr::And)
    }

    /// One or more `operand`s joined by the keyword `kw`, nested to the left by `join` (at
    /// most [`MAX_DEPTH`] of them).
    fn left_chain(
        &mut self,
        kw: Kw,
        operand: fn(&mut Self) -> Result<ObsExpr, PatternError>,
        join: fn(Box<ObsExpr>, Box<ObsExpr>) -> ObsExpr,
    ) -> Result<ObsExpr, PatternError> {
        let mut left = operand(self)?;
        let mut n = 0;
        while self.eat(&Tok::Kw(kw)) {
            n += 1;
            self.chain_limit(n)?;
            let right = operand(self)?;
            left = join(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// One or more `operand`s separated by the keyword `kw`.
    fn list<T>(
        &mut self,
        kw: Kw,
        operand: fn(&mut Self) -> Result<T, PatternError>,
    ) -> Result<Vec<T>, PatternError> {
        let mut items = vec![operand(self)?];
        while self.eat(&Tok::Kw(kw)) {
            items.push(operand(self)?);
        }
        Ok(items)
    }

    fn observation_qualified(&mut self) -> Result<ObsExpr, PatternError> {
        let t = self.peek().clone();
        let mut e = match t.tok {
            Tok::LBrack => {
                self.bump();
                let c = self.comparison_or()?;
                self.expect(&Tok::RBrack, "']' closing the observation expression")?;
                ObsExpr::Simple(c)
            }
            Tok::LParen => {
                self.bump();
                let e = self.observation_expressions()?;
                self.expect(&Tok::RParen, "')'")?;
                e
            }
            other => {
                return Err(unexpected(
                    t.pos,
                    "expected '[' or '(' to start an observation expression",
                    &other,
                ));
            }
        };
        let mut n = 0;
        loop {
            n += 1;
            self.chain_limit(n)?;
            let q = self.peek().clone();
            match q.tok {
                Tok::Kw(Kw::Within) => {
                    self.bump();
                    let n = self.bump();
                    let secs = match n.tok {
                        Tok::Int(v, signed) if !(signed && v < 0) => v as f64,
                        Tok::Float(v, signed) if !(signed && v < 0.0) => v,
                        other => {
                            return Err(unexpected(
                                n.pos,
                                "WITHIN needs a positive number of seconds",
                                &other,
                            ));
                        }
                    };
                    if secs <= 0.0 || !secs.is_finite() {
                        return Err(PatternError::new(
                            n.pos,
                            format!("invalid WITHIN value (must be positive): {secs}"),
                        ));
                    }
                    self.expect(&Tok::Kw(Kw::Seconds), "SECONDS after the WITHIN value")?;
                    let micros = (secs * 1_000_000.0).round();
                    if micros > i64::MAX as f64 / 2.0 {
                        return Err(PatternError::new(n.pos, "WITHIN value is too large"));
                    }
                    e = ObsExpr::Within(Box::new(e), micros as i64);
                }
                Tok::Kw(Kw::Repeats) => {
                    self.bump();
                    let n = self.bump();
                    let count = match n.tok {
                        Tok::Int(v, signed) if !(signed && v < 0) => v,
                        other => {
                            return Err(unexpected(
                                n.pos,
                                "REPEATS needs a positive integer",
                                &other,
                            ));
                        }
                    };
                    if count < 1 || count > u32::MAX as i64 {
                        return Err(PatternError::new(
                            n.pos,
                            format!("invalid repetition count: {count}"),
                        ));
                    }
                    self.expect(&Tok::Kw(Kw::Times), "TIMES after the REPEATS count")?;
                    e = ObsExpr::Repeats(Box::new(e), count as u32);
                }
                Tok::Kw(Kw::Start) => {
                    self.bump();
                    let start = self.timestamp("START")?;
                    let stop_kw = self.peek().clone();
                    if stop_kw.tok != Tok::Kw(Kw::Stop) {
                        return Err(unexpected(
                            stop_kw.pos,
                            "START must be followed by STOP",
                            &stop_kw.tok,
                        ));
                    }
                    self.bump();
                    let stop = self.timestamp("STOP")?;
                    e = ObsExpr::StartStop(Box::new(e), start, stop);
                }
                _ => break,
            }
        }
        Ok(e)
    }

    fn timestamp(&mut self, what: &str) -> Result<literal::Timestamp, PatternError> {
        let t = self.bump();
        match t.tok {
            Tok::Timestamp(ts) => Ok(ts),
            other => Err(unexpected(
                t.pos,
                format!("{what} needs a timestamp literal t'YYYY-MM-DDTHH:MM:SSZ'"),
                &other,
            )),
        }
    }

    fn comparison_or(&mut self) -> Result<CompExpr, PatternError> {
        self.enter()?;
        let items = self.list(Kw::Or, Self::comparison_and)?;
        self.leave();
        Ok(one_or(merge_string_equalities(items), CompExpr::Or))
    }

    fn comparison_and(&mut self) -> Result<CompExpr, PatternError> {
        Ok(one_or(self.list(Kw::And, Self::prop_test)?, CompExpr::And))
    }

    fn prop_test(&mut self) -> Result<CompExpr, PatternError> {
        let t = self.peek().clone();
        match t.tok {
            Tok::LParen => {
                self.bump();
                let c = self.comparison_or()?;
                self.expect(&Tok::RParen, "')'")?;
                Ok(c)
            }
            Tok::Kw(Kw::Exists) => {
                self.bump();
                let path = self.object_path()?;
                Ok(CompExpr::Test(PropTest {
                    path,
                    negated: false,
                    op: TestOp::Exists,
                }))
            }
            _ => {
                let path = self.object_path()?;
                let negated = self.eat(&Tok::Kw(Kw::Not));
                let op_tok = self.bump();
                let op = match op_tok.tok {
                    Tok::Eq => TestOp::Eq(self.primitive_literal()?),
                    Tok::Neq => TestOp::Neq(self.primitive_literal()?),
                    Tok::Lt => TestOp::Order(Ordering::Lt, self.orderable_literal()?),
                    Tok::Le => TestOp::Order(Ordering::Le, self.orderable_literal()?),
                    Tok::Gt => TestOp::Order(Ordering::Gt, self.orderable_literal()?),
                    Tok::Ge => TestOp::Order(Ordering::Ge, self.orderable_literal()?),
                    Tok::Kw(Kw::In) => {
                        let set = self.set_literal()?;
                        if !set.is_empty() && set.iter().all(|l| matches!(l, Literal::Str(_))) {
                            let values = set
                                .into_iter()
                                .filter_map(|l| match l {
                                    Literal::Str(s) => Some(s),
                                    _ => None,
                                })
                                .collect();
                            TestOp::StrSet(StrSet::new(values, false))
                        } else {
                            TestOp::In(set)
                        }
                    }
                    Tok::Kw(Kw::Like) => {
                        let (s, pos) = self.string_literal("LIKE")?;
                        TestOp::Like(LikeMatcher::new(&s).map_err(|m| PatternError::new(pos, m))?)
                    }
                    Tok::Kw(Kw::Matches) => {
                        let (s, pos) = self.string_literal("MATCHES")?;
                        TestOp::Matches(
                            RegexMatcher::new(&s).map_err(|m| PatternError::new(pos, m))?,
                        )
                    }
                    Tok::Kw(Kw::IsSubset) => TestOp::IsSubset(self.string_literal("ISSUBSET")?.0),
                    Tok::Kw(Kw::IsSuperset) => {
                        TestOp::IsSuperset(self.string_literal("ISSUPERSET")?.0)
                    }
                    other => {
                        return Err(unexpected(
                            op_tok.pos,
                            "expected a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET) after the object path",
                            &other,
                        ));
                    }
                };
                Ok(CompExpr::Test(PropTest { path, negated, op }))
            }
        }
    }

    fn object_path(&mut self) -> Result<ObjectPath, PatternError> {
        let t = self.bump();
        let object_type = match t.tok {
            Tok::Ident(s, _) => s,
            other => {
                return Err(unexpected(
                    t.pos,
                    "expected an object type (e.g. file, ipv4-addr)",
                    &other,
                ));
            }
        };
        self.expect(&Tok::Colon, "':' after the object type")?;
        let mut steps = vec![PathStep::Key(self.property_name()?)];
        loop {
            match self.peek().tok {
                Tok::Dot => {
                    self.bump();
                    steps.push(PathStep::Key(self.property_name()?));
                }
                Tok::LBrack => {
                    self.bump();
                    let idx = self.bump();
                    let step = match idx.tok {
                        Tok::Star => PathStep::Star,
                        Tok::Int(i, _) => PathStep::Index(i),
                        other => {
                            return Err(unexpected(
                                idx.pos,
                                "expected a list index or '*'",
                                &other,
                            ));
                        }
                    };
                    self.expect(&Tok::RBrack, "']' closing the list index")?;
                    steps.push(step);
                }
                _ => break,
            }
        }
        Ok(ObjectPath { object_type, steps })
    }

    fn property_name(&mut self) -> Result<String, PatternError> {
        let t = self.bump();
        match t.tok {
            Tok::Ident(s, false) => Ok(s),
            Tok::Ident(s, true) => Err(PatternError::new(
                t.pos,
                format!("property name '{s}' contains '-' and must be quoted: '{s}'"),
            )),
            Tok::Str(s) => Ok(s),
            // Keywords and booleans are valid property names only when quoted.
            other => Err(unexpected(t.pos, "expected a property name", &other)),
        }
    }

    fn string_literal(&mut self, op: &str) -> Result<(String, usize), PatternError> {
        let t = self.bump();
        match t.tok {
            Tok::Str(s) => Ok((s, t.pos)),
            other => Err(unexpected(
                t.pos,
                format!("{op} needs a string literal"),
                &other,
            )),
        }
    }

    fn orderable_literal(&mut self) -> Result<Literal, PatternError> {
        let t = self.bump();
        Ok(match t.tok {
            Tok::Int(v, _) => Literal::Int(v),
            Tok::Float(v, _) => Literal::Float(v),
            Tok::Str(s) => Literal::Str(s),
            Tok::Bytes(b) => Literal::Binary(b),
            Tok::Timestamp(ts) => Literal::Timestamp(ts),
            other => {
                return Err(unexpected(
                    t.pos,
                    "expected an orderable literal (number, string, binary or timestamp)",
                    &other,
                ));
            }
        })
    }

    fn primitive_literal(&mut self) -> Result<Literal, PatternError> {
        if let Tok::Bool(b) = self.peek().tok {
            self.bump();
            return Ok(Literal::Bool(b));
        }
        self.orderable_literal()
    }

    fn set_literal(&mut self) -> Result<Vec<Literal>, PatternError> {
        let open = self.expect(&Tok::LParen, "'(' starting the IN set")?;
        let mut items = Vec::new();
        if !self.eat(&Tok::RParen) {
            loop {
                items.push(self.primitive_literal()?);
                if self.eat(&Tok::Comma) {
                    continue;
                }
                self.expect(&Tok::RParen, "',' or ')' in the IN set")?;
                break;
            }
        }
        // All members must be of one type; ints and floats may mix.
        let kind = |l: &Literal| match l {
            Literal::Int(_) | Literal::Float(_) => 0,
            Literal::Str(_) => 1,
            Literal::Bool(_) => 2,
            Literal::Binary(_) => 3,
            Literal::Timestamp(_) => 4,
        };
        if let Some(first) = items.first()
            && items.iter().any(|l| kind(l) != kind(first))
        {
            return Err(PatternError::new(
                open.pos,
                "nonhomogeneous IN set: all members must have the same type",
            ));
        }
        Ok(items)
    }
}
