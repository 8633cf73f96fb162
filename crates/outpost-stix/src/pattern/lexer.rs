//! Tokenizer for STIX 2.1 patterns.
//!
//! Keywords are upper case and case-sensitive, booleans are `true`/`false`, identifiers are
//! `[A-Za-z_][A-Za-z0-9_]*` (object types may also contain `-`), string literals use `'` with
//! the two escapes `\'` and `\\`, and the typed literals are `h'..'` (hex), `b'..'` (base64) and
//! `t'..'` (RFC 3339 UTC timestamp). Whitespace, `/* */` and `//` comments are skipped.

use super::PatternError;
use super::literal::{Timestamp, parse_timestamp_literal};

/// A keyword of the patterning language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kw {
    And,
    Or,
    Not,
    FollowedBy,
    Like,
    Matches,
    IsSubset,
    IsSuperset,
    Exists,
    In,
    Start,
    Stop,
    Seconds,
    Within,
    Repeats,
    Times,
}

impl Kw {
    fn from_ident(s: &str) -> Option<Kw> {
        Some(match s {
            "AND" => Kw::And,
            "OR" => Kw::Or,
            "NOT" => Kw::Not,
            "FOLLOWEDBY" => Kw::FollowedBy,
            "LIKE" => Kw::Like,
            "MATCHES" => Kw::Matches,
            "ISSUBSET" => Kw::IsSubset,
            "ISSUPERSET" => Kw::IsSuperset,
            "EXISTS" => Kw::Exists,
            "IN" => Kw::In,
            "START" => Kw::Start,
            "STOP" => Kw::Stop,
            "SECONDS" => Kw::Seconds,
            "WITHIN" => Kw::Within,
            "REPEATS" => Kw::Repeats,
            "TIMES" => Kw::Times,
            _ => return None,
        })
    }
}

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    LBrack,
    RBrack,
    LParen,
    RParen,
    Colon,
    Dot,
    Comma,
    Star,
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
    Kw(Kw),
    Bool(bool),
    /// An identifier; `true` when it contains a hyphen (allowed for object types only).
    Ident(String, bool),
    /// An integer literal; `true` when it had an explicit sign.
    Int(i64, bool),
    /// A float literal; `true` when it had an explicit sign.
    Float(f64, bool),
    Str(String),
    Bytes(Vec<u8>),
    Timestamp(Timestamp),
    Eof,
}

impl Tok {
    /// A short human description, for error messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::LBrack => "'['".into(),
            Tok::RBrack => "']'".into(),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::Colon => "':'".into(),
            Tok::Dot => "'.'".into(),
            Tok::Comma => "','".into(),
            Tok::Star => "'*'".into(),
            Tok::Eq => "'='".into(),
            Tok::Neq => "'!='".into(),
            Tok::Lt => "'<'".into(),
            Tok::Le => "'<='".into(),
            Tok::Gt => "'>'".into(),
            Tok::Ge => "'>='".into(),
            Tok::Kw(k) => format!("keyword {k:?}").to_uppercase(),
            Tok::Bool(b) => format!("boolean {b}"),
            Tok::Ident(s, _) => format!("identifier '{s}'"),
            Tok::Int(i, _) => format!("integer {i}"),
            Tok::Float(f, _) => format!("float {f}"),
            Tok::Str(s) => format!("string '{s}'"),
            Tok::Bytes(_) => "binary literal".into(),
            Tok::Timestamp(_) => "timestamp literal".into(),
            Tok::Eof => "end of pattern".into(),
        }
    }
}

/// A token and the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spanned {
    pub tok: Tok,
    pub pos: usize,
}

/// Splits a pattern into tokens.
pub(crate) fn tokenize(src: &str) -> Result<Vec<Spanned>, PatternError> {
    let mut lx = Lexer {
        src,
        bytes: src.as_bytes(),
        pos: 0,
        out: Vec::new(),
    };
    lx.run()?;
    Ok(lx.out)
}

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    out: Vec<Spanned>,
}

impl Lexer<'_> {
    fn err(&self, pos: usize, msg: impl Into<String>) -> PatternError {
        PatternError::new(pos, msg)
    }

    fn peek(&self, off: usize) -> Option<u8> {
        self.bytes.get(self.pos + off).copied()
    }

    fn push(&mut self, tok: Tok, pos: usize) {
        self.out.push(Spanned { tok, pos });
    }

    fn run(&mut self) -> Result<(), PatternError> {
        loop {
            self.skip_trivia()?;
            let start = self.pos;
            let Some(c) = self.peek(0) else {
                self.push(Tok::Eof, start);
                return Ok(());
            };
            match c {
                b'[' => self.single(Tok::LBrack),
                b']' => self.single(Tok::RBrack),
                b'(' => self.single(Tok::LParen),
                b')' => self.single(Tok::RParen),
                b':' => self.single(Tok::Colon),
                b',' => self.single(Tok::Comma),
                b'*' => self.single(Tok::Star),
                b'=' => {
                    // `==` is accepted as a synonym of `=`.
                    let n = if self.peek(1) == Some(b'=') { 2 } else { 1 };
                    self.pos += n;
                    self.push(Tok::Eq, start);
                }
                b'!' => {
                    if self.peek(1) == Some(b'=') {
                        self.pos += 2;
                        self.push(Tok::Neq, start);
                    } else {
                        return Err(self.err(start, "unexpected '!' (did you mean '!=')"));
                    }
                }
                b'<' => match self.peek(1) {
                    Some(b'=') => {
                        self.pos += 2;
                        self.push(Tok::Le, start);
                    }
                    Some(b'>') => {
                        self.pos += 2;
                        self.push(Tok::Neq, start);
                    }
                    _ => self.single(Tok::Lt),
                },
                b'>' => {
                    if self.peek(1) == Some(b'=') {
                        self.pos += 2;
                        self.push(Tok::Ge, start);
                    } else {
                        self.single(Tok::Gt);
                    }
                }
                b'\'' => {
                    let s = self.string_body()?;
                    self.push(Tok::Str(s), start);
                }
                b'.' => {
                    if self.peek(1).is_some_and(|d| d.is_ascii_digit()) {
                        self.number()?;
                    } else {
                        self.single(Tok::Dot);
                    }
                }
                b'+' | b'-' | b'0'..=b'9' => self.number()?,
                b'h' | b'b' | b't' if self.peek(1) == Some(b'\'') => self.typed_literal(c)?,
                c if c.is_ascii_alphabetic() || c == b'_' => self.ident(),
                _ => {
                    let ch = self.src[start..].chars().next().unwrap_or('?');
                    return Err(self.err(start, format!("unexpected character {ch:?}")));
                }
            }
        }
    }

    fn single(&mut self, tok: Tok) {
        let p = self.pos;
        self.pos += 1;
        self.push(tok, p);
    }

    fn skip_trivia(&mut self) -> Result<(), PatternError> {
        loop {
            let rest = &self.src[self.pos..];
            let Some(ch) = rest.chars().next() else {
                return Ok(());
            };
            if ch.is_whitespace() {
                self.pos += ch.len_utf8();
            } else if let Some(body) = rest.strip_prefix("/*") {
                match body.find("*/") {
                    Some(end) => self.pos += 2 + end + 2,
                    None => return Err(self.err(self.pos, "unterminated comment")),
                }
            } else if rest.starts_with("//") {
                let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
                self.pos += end;
            } else {
                return Ok(());
            }
        }
    }

    /// Reads `'...'` starting at the opening quote; returns the unescaped content.
    fn string_body(&mut self) -> Result<String, PatternError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.src[self.pos..];
            let Some(ch) = rest.chars().next() else {
                return Err(self.err(open, "unterminated string literal"));
            };
            match ch {
                '\'' => {
                    self.pos += 1;
                    return Ok(out);
                }
                '\\' => match rest[1..].chars().next() {
                    Some('\'') => {
                        out.push('\'');
                        self.pos += 2;
                    }
                    Some('\\') => {
                        out.push('\\');
                        self.pos += 2;
                    }
                    _ => {
                        return Err(self.err(
                            self.pos,
                            "invalid escape in string literal (only \\' and \\\\ are allowed)",
                        ));
                    }
                },
                c => {
                    out.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    fn typed_literal(&mut self, kind: u8) -> Result<(), PatternError> {
        let start = self.pos;
        self.pos += 1; // the prefix letter; string_body consumes the quotes
        let body = self.string_body()?;
        let tok = match kind {
            b'h' => {
                let bytes = super::literal::decode_hex(&body).ok_or_else(|| {
                    self.err(
                        start,
                        format!("invalid hex literal h'{body}' (need pairs of hex digits)"),
                    )
                })?;
                Tok::Bytes(bytes)
            }
            b'b' => {
                let bytes = super::literal::decode_base64(&body).ok_or_else(|| {
                    self.err(start, format!("invalid base64 binary literal b'{body}'"))
                })?;
                Tok::Bytes(bytes)
            }
            _ => {
                let ts = parse_timestamp_literal(&body).map_err(|m| {
                    self.err(start, format!("invalid timestamp literal t'{body}': {m}"))
                })?;
                Tok::Timestamp(ts)
            }
        };
        self.push(tok, start);
        Ok(())
    }

    fn number(&mut self) -> Result<(), PatternError> {
        let start = self.pos;
        let mut signed = false;
        if matches!(self.peek(0), Some(b'+') | Some(b'-')) {
            signed = true;
            self.pos += 1;
        }
        let int_start = self.pos;
        while self.peek(0).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let int_digits = &self.src[int_start..self.pos];
        if self.peek(0) == Some(b'.') && self.peek(1).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
            while self.peek(0).is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
            let text = &self.src[start..self.pos];
            let v: f64 = text
                .parse()
                .map_err(|_| self.err(start, format!("invalid float literal {text}")))?;
            self.push(Tok::Float(v, signed), start);
            return Ok(());
        }
        if int_digits.is_empty() {
            return Err(self.err(start, "a sign must be followed by a number"));
        }
        if int_digits.len() > 1 && int_digits.starts_with('0') {
            return Err(self.err(
                start,
                format!("integer literal {int_digits} has a leading zero"),
            ));
        }
        let text = &self.src[start..self.pos];
        let v: i64 = text
            .parse()
            .map_err(|_| self.err(start, format!("integer literal {text} is out of range")))?;
        self.push(Tok::Int(v, signed), start);
        Ok(())
    }

    fn ident(&mut self) {
        let start = self.pos;
        let mut hyphen = false;
        while let Some(c) = self.peek(0) {
            if c.is_ascii_alphanumeric() || c == b'_' {
                self.pos += 1;
            } else if c == b'-' {
                hyphen = true;
                self.pos += 1;
            } else {
                break;
            }
        }
        let text = &self.src[start..self.pos];
        let tok = if hyphen {
            Tok::Ident(text.to_string(), true)
        } else if let Some(kw) = Kw::from_ident(text) {
            Tok::Kw(kw)
        } else if text == "true" {
            Tok::Bool(true)
        } else if text == "false" {
            Tok::Bool(false)
        } else {
            Tok::Ident(text.to_string(), false)
        };
        self.push(tok, start);
    }
}
