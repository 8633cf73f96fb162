//! Field values with their modifiers (`contains`, `re`, `cidr`, `base64`, `windash`, …) as
//! condition leaves.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tok {
    Lit(char),
    Star,
    Q,
}

pub(super) fn wildcard_tokens(s: &str) -> Vec<Tok> {
    let mut out = Vec::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    out.push(Tok::Lit(n));
                    chars.next();
                }
                _ => out.push(Tok::Lit('\\')),
            },
            '*' => out.push(Tok::Star),
            '?' => out.push(Tok::Q),
            c => out.push(Tok::Lit(c)),
        }
    }
    out
}

pub(super) enum Pat {
    Str(StrKind, String),
    Regex(String),
}

/// Turns a wildcard value into a plain comparison or an anchored regex.
pub(super) fn wildcard_pattern(toks: &[Tok]) -> Pat {
    let lead = toks.first() == Some(&Tok::Star);
    let trail = toks.len() > 1 && toks.last() == Some(&Tok::Star);
    let inner = &toks[usize::from(lead)..toks.len() - usize::from(trail)];
    if inner.iter().all(|t| matches!(t, Tok::Lit(_))) {
        let s: String = inner
            .iter()
            .filter_map(|t| if let Tok::Lit(c) = t { Some(*c) } else { None })
            .collect();
        let kind = match (lead, trail) {
            (true, true) => StrKind::Contains,
            (true, false) => StrKind::EndsWith,
            (false, true) => StrKind::StartsWith,
            (false, false) => StrKind::Eq,
        };
        if toks.len() == 1 && lead {
            // A lone `*`: anything (but the field must exist).
            return Pat::Regex("^(?s:.*)$".into());
        }
        return Pat::Str(kind, s);
    }
    let mut re = String::from("^");
    for t in toks {
        match t {
            Tok::Star => re.push_str("(?s:.*)"),
            Tok::Q => re.push_str("(?s:.)"),
            Tok::Lit(c) => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    Pat::Regex(re)
}

pub(super) fn b64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for ch in bytes.chunks(3) {
        let b = [ch[0], *ch.get(1).unwrap_or(&0), *ch.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let idx = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for (i, x) in idx.iter().enumerate() {
            if i <= ch.len() {
                out.push(T[*x as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The three base64 encodings of `v` at offsets 0, 1, 2 of a stream, trimmed to the characters
/// that depend only on `v`.
pub(super) fn b64_offsets(v: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..3usize {
        let mut buf = vec![b' '; i];
        buf.extend_from_slice(v);
        let enc = b64(&buf);
        let start = [0usize, 2, 3][i];
        let end_trim = [0usize, 3, 2][(v.len() + i) % 3];
        if enc.len() >= start + end_trim && enc.len() - end_trim > start {
            out.push(enc[start..enc.len() - end_trim].to_string());
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Enc {
    Utf8,
    Utf16Le,
    Utf16Be,
    Utf16Bom,
}

pub(super) fn encode(s: &str, enc: Enc) -> Vec<u8> {
    match enc {
        Enc::Utf8 => s.as_bytes().to_vec(),
        Enc::Utf16Le => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        Enc::Utf16Be => s.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        Enc::Utf16Bom => {
            let mut v = vec![0xFF, 0xFE];
            v.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
            v
        }
    }
}

pub(super) const MAX_VALUES: usize = 10_000;

/// The regex flags of a field's `i`, `m` and `s` modifiers.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ReFlags {
    /// `i`: ignore case.
    pub(super) ignore_case: bool,
    /// `m`: `^`/`$` match at line breaks.
    pub(super) multi_line: bool,
    /// `s`: `.` matches a line break.
    pub(super) dot_all: bool,
}

/// The modifiers of a field name (`CommandLine|contains|all`), parsed.
#[derive(Debug, Clone, Copy)]
pub(super) struct Modifiers {
    /// `contains`, `startswith`, `endswith` (else a whole value).
    pub(super) kind: Option<StrKind>,
    /// `all`: every value must match (else any).
    pub(super) all: bool,
    /// `re`: the values are regular expressions, with these flags.
    pub(super) re: bool,
    pub(super) re_flags: ReFlags,
    /// `cidr`: the values are networks.
    pub(super) cidr: bool,
    /// `base64`: the values are matched base64-encoded.
    pub(super) base64: bool,
    /// `base64offset`: the values are matched base64-encoded at any of the three offsets.
    pub(super) base64offset: bool,
    /// `windash`: a leading `-` also matches `/` and the dashes.
    pub(super) windash: bool,
    /// `cased`: case-sensitive (else ASCII case is ignored).
    pub(super) cased: bool,
    /// `exists`: the value is whether the field is present.
    pub(super) exists: bool,
    /// `gt`, `gte`, `lt`, `lte`: numeric comparison.
    pub(super) cmp: Option<CmpOp>,
    /// `wide`/`utf16le`, `utf16be`, `utf16` (with base64 only).
    pub(super) enc: Enc,
}

impl Modifiers {
    /// Parses the modifiers and checks that they go together (`keyword`: a keyword search,
    /// which takes only string modifiers).
    pub(super) fn parse(mods: &[&str], keyword: bool) -> Result<Modifiers, String> {
        let mut m = Modifiers {
            kind: None,
            all: false,
            re: false,
            re_flags: ReFlags::default(),
            cidr: false,
            base64: false,
            base64offset: false,
            windash: false,
            cased: false,
            exists: false,
            cmp: None,
            enc: Enc::Utf8,
        };
        for name in mods {
            match *name {
                "contains" => m.kind = Some(StrKind::Contains),
                "startswith" => m.kind = Some(StrKind::StartsWith),
                "endswith" => m.kind = Some(StrKind::EndsWith),
                "all" => m.all = true,
                "re" => m.re = true,
                "i" => m.re_flags.ignore_case = true,
                "m" => m.re_flags.multi_line = true,
                "s" => m.re_flags.dot_all = true,
                "cidr" => m.cidr = true,
                "base64" => m.base64 = true,
                "base64offset" => m.base64offset = true,
                "windash" => m.windash = true,
                "cased" => m.cased = true,
                "exists" => m.exists = true,
                "wide" | "utf16le" => m.enc = Enc::Utf16Le,
                "utf16be" => m.enc = Enc::Utf16Be,
                "utf16" => m.enc = Enc::Utf16Bom,
                "gt" => m.cmp = Some(CmpOp::Gt),
                "gte" => m.cmp = Some(CmpOp::Gte),
                "lt" => m.cmp = Some(CmpOp::Lt),
                "lte" => m.cmp = Some(CmpOp::Lte),
                other => return Err(format!("modifier '{other}' is not supported")),
            }
        }
        if m.enc != Enc::Utf8 && !(m.base64 || m.base64offset) {
            return Err(
                "utf16/wide modifiers are only supported together with base64/base64offset".into(),
            );
        }
        if keyword && (m.cidr || m.cmp.is_some() || m.exists) {
            return Err("keyword searches support only string modifiers".into());
        }
        Ok(m)
    }
}

/// The condition on `fields` of a field's values with their modifiers (`keyword`: a keyword
/// search, a substring of any string field).
pub(super) fn field_values(
    fields: &[Field],
    mods: &[&str],
    vals: &[J],
    keyword: bool,
) -> Result<Node, String> {
    let m = Modifiers::parse(mods, keyword)?;
    if vals.len() > MAX_VALUES {
        return Err(format!("more than {MAX_VALUES} values"));
    }
    if m.exists {
        let [J::Bool(b)] = vals else {
            return Err("`exists` needs a single true/false value".into());
        };
        return Ok(Node::leaf(fields.to_vec(), Matcher::Exists(*b)));
    }
    if let Some(op) = m.cmp {
        return comparisons(fields, op, vals);
    }
    let (mut strs, null) = scalar_strings(vals)?;
    let mut alts: Vec<Node> = Vec::new();
    if null {
        alts.push(Node::leaf(fields.to_vec(), Matcher::Null));
    }
    if strs.is_empty() {
        return Ok(Node::Or(alts));
    }
    if m.cidr {
        return networks(fields, &strs, m.all, alts);
    }
    if m.re {
        let mut res = Vec::new();
        for s in &strs {
            let f = m.re_flags;
            res.push(
                compile_regex(s, f.ignore_case, f.multi_line, f.dot_all)
                    .map_err(|e| e.to_string())?,
            );
        }
        alts.push(Node::leaf(
            fields.to_vec(),
            Matcher::Regex { res, all: m.all },
        ));
        return Ok(Node::Or(alts));
    }
    if m.windash {
        if m.all {
            return Err("windash together with all is not supported".into());
        }
        strs = windash_variants(&strs);
    }
    if m.base64 || m.base64offset {
        return encoded(fields, &strs, &m, alts);
    }
    wildcards(fields, &strs, &m, keyword, alts)
}

/// `gt`/`gte`/`lt`/`lte`: any of the numbers.
fn comparisons(fields: &[Field], op: CmpOp, vals: &[J]) -> Result<Node, String> {
    let mut alts = Vec::new();
    for v in vals {
        let n = match v {
            J::Number(n) => n.as_f64(),
            J::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
        .ok_or("comparison modifiers need numbers")?;
        alts.push(Node::leaf(fields.to_vec(), Matcher::Cmp(op, n)));
    }
    Ok(Node::Or(alts))
}

/// Scalars as strings, and whether a `null` (missing or empty) was among them.
fn scalar_strings(vals: &[J]) -> Result<(Vec<String>, bool), String> {
    let mut strs: Vec<String> = Vec::new();
    let mut null = false;
    for v in vals {
        match v {
            J::Null => null = true,
            J::String(s) => strs.push(s.clone()),
            J::Number(n) => strs.push(n.to_string()),
            J::Bool(b) => strs.push(b.to_string()),
            _ => return Err("values must be scalars".into()),
        }
    }
    Ok((strs, null))
}

/// `cidr`: any (or, with `all`, every) of the networks.
fn networks(
    fields: &[Field],
    strs: &[String],
    all: bool,
    mut alts: Vec<Node>,
) -> Result<Node, String> {
    let nets = strs
        .iter()
        .map(|s| parse_cidr(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    if all {
        alts.extend(
            nets.into_iter()
                .map(|n| Node::leaf(fields.to_vec(), Matcher::Cidr(vec![n]))),
        );
        return Ok(Node::And(alts));
    }
    alts.push(Node::leaf(fields.to_vec(), Matcher::Cidr(nets)));
    Ok(Node::Or(alts))
}

/// `windash`: each value with its `-` replaced by `/` and the dashes (distinct values).
fn windash_variants(strs: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for s in strs {
        for d in ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'] {
            let v: String = s.chars().map(|c| if c == '-' { d } else { c }).collect();
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

/// `base64`/`base64offset`: the encoded values, matched literally (wildcards are not
/// meaningful after encoding).
fn encoded(
    fields: &[Field],
    strs: &[String],
    m: &Modifiers,
    mut alts: Vec<Node>,
) -> Result<Node, String> {
    let mut enc_vals: Vec<Vec<String>> = Vec::new();
    for s in strs {
        let bytes = encode(s, m.enc);
        enc_vals.push(if m.base64offset {
            b64_offsets(&bytes)
        } else {
            vec![b64(&bytes)]
        });
    }
    let k = m.kind.unwrap_or(StrKind::Eq);
    if m.base64offset && k != StrKind::Contains {
        return Err("base64offset needs contains".into());
    }
    let mk = |ps: Vec<String>| -> Result<Node, String> {
        Ok(Node::leaf(
            fields.to_vec(),
            Matcher::Str(StrMatch::new(k, ps, false, false).map_err(|e| e.to_string())?),
        ))
    };
    if m.all {
        for ps in enc_vals {
            alts.push(mk(ps)?);
        }
        return Ok(Node::And(alts));
    }
    alts.push(mk(enc_vals.into_iter().flatten().collect())?);
    Ok(Node::Or(alts))
}

/// Plain strings with wildcards (`*`, `?`); keywords are substring searches. Values of one
/// kind share one string matcher, the others one regex set.
fn wildcards(
    fields: &[Field],
    strs: &[String],
    m: &Modifiers,
    keyword: bool,
    mut alts: Vec<Node>,
) -> Result<Node, String> {
    let ci = !m.cased;
    let mut groups: BTreeMap<u8, Vec<String>> = BTreeMap::new();
    let mut regexes = Vec::new();
    let mut each = Vec::new();
    for s in strs {
        let mut toks = Vec::new();
        let base_kind = m.kind.or(if keyword {
            Some(StrKind::Contains)
        } else {
            None
        });
        if matches!(base_kind, Some(StrKind::Contains | StrKind::EndsWith)) {
            toks.push(Tok::Star);
        }
        toks.extend(wildcard_tokens(s));
        if matches!(base_kind, Some(StrKind::Contains | StrKind::StartsWith)) {
            toks.push(Tok::Star);
        }
        // Collapse consecutive stars.
        toks.dedup_by(|a, b| *a == Tok::Star && *b == Tok::Star);
        let pat = wildcard_pattern(&toks);
        if m.all {
            each.push(pat);
            continue;
        }
        match pat {
            Pat::Str(k, p) => groups.entry(k as u8).or_default().push(p),
            Pat::Regex(r) => regexes.push(r),
        }
    }
    let to_kind = |k: u8| match k {
        x if x == StrKind::Contains as u8 => StrKind::Contains,
        x if x == StrKind::StartsWith as u8 => StrKind::StartsWith,
        x if x == StrKind::EndsWith as u8 => StrKind::EndsWith,
        _ => StrKind::Eq,
    };
    let build = |pat: Pat| -> Result<Node, String> {
        Ok(match pat {
            Pat::Str(k, p) => Node::leaf(
                fields.to_vec(),
                Matcher::Str(StrMatch::new(k, vec![p], ci, false).map_err(|e| e.to_string())?),
            ),
            Pat::Regex(r) => Node::leaf(
                fields.to_vec(),
                Matcher::Regex {
                    res: vec![compile_regex(&r, ci, false, false).map_err(|e| e.to_string())?],
                    all: false,
                },
            ),
        })
    };
    if m.all {
        let mut conj = Vec::new();
        for p in each {
            conj.push(build(p)?);
        }
        alts.push(Node::And(conj));
        return Ok(Node::Or(alts));
    }
    for (k, ps) in groups {
        alts.push(Node::leaf(
            fields.to_vec(),
            Matcher::Str(StrMatch::new(to_kind(k), ps, ci, false).map_err(|e| e.to_string())?),
        ));
    }
    if !regexes.is_empty() {
        let mut res = Vec::new();
        for r in regexes {
            res.push(compile_regex(&r, ci, false, false).map_err(|e| e.to_string())?);
        }
        alts.push(Node::leaf(
            fields.to_vec(),
            Matcher::Regex { res, all: false },
        ));
    }
    Ok(Node::Or(alts))
}
