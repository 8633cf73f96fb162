//! The `condition` expression: tokens, `1 of` / `all of` globs, the parser.

use super::*;

// ---- condition expressions ----

#[derive(Debug, Clone, PartialEq)]
pub(super) enum CTok<'a> {
    And,
    Or,
    Not,
    LParen,
    RParen,
    Of(Quant),
    Ident(&'a str),
    Pipe,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Quant {
    One,
    All,
}

pub(super) fn tokenize(s: &str) -> Result<Vec<CTok<'_>>, String> {
    let mut out = Vec::new();
    let mut words: Vec<&str> = Vec::new();
    // Split on whitespace, keeping parentheses and pipes as separate tokens.
    let mut start = None;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() || c == '(' || c == ')' || c == '|' {
            if let Some(st) = start.take() {
                words.push(&s[st..i]);
            }
            if !c.is_whitespace() {
                words.push(&s[i..i + c.len_utf8()]);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(st) = start {
        words.push(&s[st..]);
    }
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        let lw = w.to_ascii_lowercase();
        let t = match lw.as_str() {
            "and" => CTok::And,
            "or" => CTok::Or,
            "not" => CTok::Not,
            "(" => CTok::LParen,
            ")" => CTok::RParen,
            "|" => CTok::Pipe,
            "1" | "all" | "any"
                if words
                    .get(i + 1)
                    .is_some_and(|n| n.eq_ignore_ascii_case("of")) =>
            {
                i += 1;
                CTok::Of(if lw == "all" { Quant::All } else { Quant::One })
            }
            n if n.parse::<u32>().is_ok()
                && words
                    .get(i + 1)
                    .is_some_and(|x| x.eq_ignore_ascii_case("of")) =>
            {
                return Err(format!(
                    "'{w} of' is not supported (only '1 of' and 'all of')"
                ));
            }
            _ => CTok::Ident(w),
        };
        out.push(t);
        i += 1;
    }
    Ok(out)
}

pub(super) struct CParser<'a, 'b> {
    pub(super) toks: Vec<CTok<'a>>,
    pub(super) pos: usize,
    pub(super) idents: &'b BTreeMap<&'b str, Node>,
    pub(super) depth: usize,
}

pub(super) fn glob_match(pat: &str, s: &str) -> bool {
    // Only `*` is special in identifier patterns.
    let parts: Vec<&str> = pat.split('*').collect();
    if parts.len() == 1 {
        return pat == s;
    }
    let mut rest = s;
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(p) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(p);
        } else if let Some(pos) = rest.find(p) {
            rest = &rest[pos + p.len()..];
        } else {
            return false;
        }
    }
    true
}

impl<'a> CParser<'a, '_> {
    pub(super) fn peek(&self) -> Option<CTok<'a>> {
        self.toks.get(self.pos).cloned()
    }

    pub(super) fn or(&mut self) -> Result<Node, String> {
        self.chain(CTok::Or, Self::and, Node::Or)
    }

    pub(super) fn and(&mut self) -> Result<Node, String> {
        self.chain(CTok::And, Self::not, Node::And)
    }

    /// One or more `operand`s joined by `op`: the operand alone, or their `group`.
    fn chain(
        &mut self,
        op: CTok<'a>,
        operand: fn(&mut Self) -> Result<Node, String>,
        group: fn(Vec<Node>) -> Node,
    ) -> Result<Node, String> {
        let mut parts = vec![operand(self)?];
        while self.peek() == Some(op.clone()) {
            self.pos += 1;
            parts.push(operand(self)?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or(Node::False)
        } else {
            group(parts)
        })
    }

    pub(super) fn not(&mut self) -> Result<Node, String> {
        if self.peek() == Some(CTok::Not) {
            self.pos += 1;
            self.depth += 1;
            if self.depth > 64 {
                return Err("condition nested too deeply".into());
            }
            let n = self.not()?;
            self.depth -= 1;
            return Ok(Node::Not(Box::new(n)));
        }
        self.primary()
    }

    pub(super) fn primary(&mut self) -> Result<Node, String> {
        let t = self.peek().ok_or("unexpected end of condition")?;
        self.pos += 1;
        match t {
            CTok::LParen => {
                self.depth += 1;
                if self.depth > 64 {
                    return Err("condition nested too deeply".into());
                }
                let n = self.or()?;
                self.depth -= 1;
                if self.peek() != Some(CTok::RParen) {
                    return Err("missing ')'".into());
                }
                self.pos += 1;
                Ok(n)
            }
            CTok::Of(q) => {
                let Some(CTok::Ident(p)) = self.peek() else {
                    return Err("'of' needs an identifier pattern or 'them'".into());
                };
                self.pos += 1;
                let sel: Vec<Node> = self
                    .idents
                    .iter()
                    .filter(|(k, _)| {
                        if p == "them" {
                            !k.starts_with('_')
                        } else {
                            glob_match(p, k)
                        }
                    })
                    .map(|(_, n)| n.clone())
                    .collect();
                if sel.is_empty() {
                    return Err(format!("no detection identifier matches '{p}'"));
                }
                Ok(if q == Quant::All {
                    Node::And(sel)
                } else {
                    Node::Or(sel)
                })
            }
            CTok::Ident(name) => self
                .idents
                .get(name)
                .cloned()
                .ok_or_else(|| format!("unknown detection identifier '{name}'")),
            CTok::Pipe => Err("aggregation expressions ('| count() ...') are not supported".into()),
            other => Err(format!("unexpected {other:?}")),
        }
    }
}

pub(super) fn parse_condition(s: &str, idents: &BTreeMap<&str, Node>) -> Result<Node, String> {
    let toks = tokenize(s)?;
    if toks.contains(&CTok::Pipe) {
        return Err("aggregation expressions ('| count() ...') are not supported".into());
    }
    let mut p = CParser {
        toks,
        pos: 0,
        idents,
        depth: 0,
    };
    let n = p.or()?;
    if p.pos != p.toks.len() {
        return Err(format!("unexpected token {:?}", p.toks[p.pos]));
    }
    Ok(n)
}
