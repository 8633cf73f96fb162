//! The native rule format compiled: rule keys, counting windows, condition trees.

use super::*;

pub(super) struct Ctx<'a> {
    pub(super) file: &'a str,
    pub(super) id: String,
    pub(super) errors: Vec<RuleError>,
}

impl Ctx<'_> {
    pub(super) fn err(&mut self, field: impl Into<String>, msg: impl Into<String>) {
        self.errors.push(RuleError {
            file: self.file.to_string(),
            rule_id: self.id.clone(),
            field: field.into(),
            message: msg.into(),
        });
    }
}

pub(super) const RULE_KEYS: &[&str] = &[
    "id",
    "name",
    "description",
    "indicator_type",
    "score",
    "enabled",
    "kinds",
    "condition",
    "count",
    "actions",
    "tags",
];

pub(super) fn compile_native(
    v: &J,
    file: &Path,
    index: usize,
    rules: &mut Vec<CompiledRule>,
    errors: &mut Vec<RuleError>,
) {
    let fname = file.display().to_string();
    // A rule without an id is named by its position in the file.
    let unnamed = |field: &str, message: &str| RuleError {
        file: fname.clone(),
        rule_id: format!("#{index}"),
        field: field.into(),
        message: message.into(),
    };
    let Some(m) = v.as_object() else {
        errors.push(unnamed("(rule)", "a rule must be a map"));
        return;
    };
    let id = match m.get("id") {
        Some(J::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(J::Number(n)) => n.to_string(),
        _ => {
            errors.push(unnamed("id", "missing or empty rule id"));
            return;
        }
    };
    let mut cx = Ctx {
        file: &fname,
        id: id.clone(),
        errors: Vec::new(),
    };
    for k in m.keys() {
        if !RULE_KEYS.contains(&k.as_str()) {
            cx.err(
                k.clone(),
                format!(
                    "unknown rule key (expected one of {})",
                    RULE_KEYS.join(", ")
                ),
            );
        }
    }
    let get_str = |cx: &mut Ctx, k: &str, default: &str| -> String {
        match m.get(k) {
            None | Some(J::Null) => default.to_string(),
            Some(J::String(s)) => s.clone(),
            Some(_) => {
                cx.err(k, "must be a string");
                default.to_string()
            }
        }
    };
    let name = get_str(&mut cx, "name", &id);
    let description = get_str(&mut cx, "description", "");
    let indicator_type = get_str(&mut cx, "indicator_type", "custom");
    let score = match m.get("score") {
        None | Some(J::Null) => 0,
        Some(J::Number(n)) => match n.as_i64().and_then(|x| i32::try_from(x).ok()) {
            Some(s) => s,
            None => {
                cx.err("score", "must be an integer in i32 range");
                0
            }
        },
        Some(_) => {
            cx.err("score", "must be an integer");
            0
        }
    };
    let enabled = match m.get("enabled") {
        None | Some(J::Null) => true,
        Some(J::Bool(b)) => *b,
        Some(_) => {
            cx.err("enabled", "must be true or false");
            true
        }
    };
    let mut kinds = u16::MAX;
    match m.get("kinds") {
        None | Some(J::Null) => {}
        Some(J::Array(a)) => {
            kinds = 0;
            for (i, k) in a.iter().enumerate() {
                match k.as_str().and_then(parse_kind) {
                    Some(k) => kinds |= kind_bit(k),
                    None => cx.err(format!("kinds[{i}]"), format!("unknown event kind {k}")),
                }
            }
        }
        Some(_) => cx.err("kinds", "must be a list of event kinds"),
    }
    let cond = match m.get("condition") {
        Some(c) => compile_cond(c, "condition", &mut cx, 0),
        None => {
            cx.err("condition", "missing condition");
            Node::False
        }
    };
    let count = m.get("count").and_then(|c| compile_count(c, &mut cx));
    let actions = match m.get("actions") {
        None | Some(J::Null) => Vec::new(),
        Some(J::Array(a)) => a
            .iter()
            .enumerate()
            .filter_map(|(i, x)| {
                serde_json::from_value::<Action>(x.clone())
                    .map_err(|e| cx.err(format!("actions[{i}]"), format!("invalid action: {e} (expected alert, {{score: N}}, {{tag: T}}, {{ticket: {{summary: S}}}}, {{job: {{kind: K, args: {{..}}}}}})")))
                    .ok()
            })
            .collect(),
        Some(_) => {
            cx.err("actions", "must be a list");
            Vec::new()
        }
    };
    let tags = match m.get("tags") {
        Some(J::Array(a)) => a
            .iter()
            .filter_map(|t| t.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    };
    if !cx.errors.is_empty() {
        errors.append(&mut cx.errors);
        return;
    }
    if !enabled {
        return;
    }
    let cond = cond.simplify();
    let kinds = kinds & infer_kinds(&cond);
    rules.push(CompiledRule {
        id,
        name,
        engine: "rules",
        description,
        indicator_type,
        score,
        actions,
        kinds,
        cond,
        count,
        file: file.to_path_buf(),
        tags,
        level: None,
        sigma_name: None,
        logsource: None,
    });
}

/// Narrows the kind mask from a top-level `kind` test.
pub(super) fn infer_kinds(n: &Node) -> u16 {
    match n {
        Node::Leaf(l) if l.fields.len() == 1 && l.fields[0] == Field::Kind => match &l.matcher {
            Matcher::Str(m) if m.kind() == StrKind::Eq && !m.all() => m
                .patterns()
                .iter()
                .filter_map(|p| parse_kind(p))
                .fold(0, |acc, k| acc | kind_bit(k)),
            _ => u16::MAX,
        },
        Node::And(c) => c.iter().fold(u16::MAX, |acc, n| acc & infer_kinds(n)),
        Node::Or(c) => c.iter().fold(0, |acc, n| acc | infer_kinds(n)),
        _ => u16::MAX,
    }
}

pub(super) fn compile_count(c: &J, cx: &mut Ctx) -> Option<CountSpec> {
    let Some(m) = c.as_object() else {
        cx.err("count", "must be a map {window, group_by, threshold}");
        return None;
    };
    for k in m.keys() {
        if !["window", "group_by", "threshold"].contains(&k.as_str()) {
            cx.err(
                format!("count.{k}"),
                "unknown key (expected window, group_by, threshold)",
            );
        }
    }
    let window = match m.get("window") {
        Some(J::Number(n)) => n
            .as_u64()
            .map(|s| chrono::TimeDelta::seconds(s.min(86_400 * 365) as i64)),
        Some(J::String(s)) => parse_duration(s),
        _ => None,
    };
    let Some(window) = window else {
        cx.err(
            "count.window",
            "missing or invalid window (seconds, or like 30s, 5m, 1h)",
        );
        return None;
    };
    let group_by = match m.get("group_by") {
        None | Some(J::Null) => None,
        Some(J::String(s)) => match Field::parse(s) {
            Some(f) => Some(f),
            None => {
                cx.err("count.group_by", format!("unknown event field '{s}'"));
                return None;
            }
        },
        Some(_) => {
            cx.err("count.group_by", "must be a field path");
            return None;
        }
    };
    let threshold = match m.get("threshold").and_then(|t| t.as_u64()) {
        Some(t) if (1..=1_000_000).contains(&t) => t as u32,
        _ => {
            cx.err(
                "count.threshold",
                "must be an integer between 1 and 1000000",
            );
            return None;
        }
    };
    Some(CountSpec {
        window,
        group_by,
        threshold,
    })
}

/// Parses `30`, `30s`, `5m`, `2h`, `1d`.
pub fn parse_duration(s: &str) -> Option<chrono::TimeDelta> {
    let t = s.trim();
    let (num, mult) = match t.chars().last()? {
        's' => (&t[..t.len() - 1], 1),
        'm' => (&t[..t.len() - 1], 60),
        'h' => (&t[..t.len() - 1], 3600),
        'd' => (&t[..t.len() - 1], 86_400),
        c if c.is_ascii_digit() => (t, 1),
        _ => return None,
    };
    let n: i64 = num.trim().parse().ok()?;
    if !(0..=86_400 * 365).contains(&(n.checked_mul(mult)?)) {
        return None;
    }
    Some(chrono::TimeDelta::seconds(n * mult))
}

pub(super) const LEAF_OPS: &[&str] = &[
    "equals",
    "in",
    "contains",
    "startswith",
    "endswith",
    "regex",
    "cidr",
    "gt",
    "gte",
    "lt",
    "lte",
    "exists",
];

pub(super) fn scalar_strings(v: &J) -> Option<Vec<String>> {
    match v {
        J::String(s) => Some(vec![s.clone()]),
        J::Number(n) => Some(vec![n.to_string()]),
        J::Bool(b) => Some(vec![b.to_string()]),
        J::Array(a) if !a.is_empty() => a
            .iter()
            .map(|x| match x {
                J::String(s) => Some(s.clone()),
                J::Number(n) => Some(n.to_string()),
                J::Bool(b) => Some(b.to_string()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

pub(super) const MAX_DEPTH: usize = 64;

pub(super) fn compile_cond(v: &J, at: &str, cx: &mut Ctx, depth: usize) -> Node {
    if depth > MAX_DEPTH {
        cx.err(at, "condition nested too deeply");
        return Node::False;
    }
    let Some(m) = v.as_object() else {
        cx.err(at, "a condition must be a map (all / any / not / field)");
        return Node::False;
    };
    let has = |k: &str| m.contains_key(k);
    let n_comb =
        ["all", "any", "not"].iter().filter(|k| has(k)).count() + usize::from(has("field"));
    if n_comb != 1 {
        cx.err(at, "a condition needs exactly one of all, any, not, field");
        return Node::False;
    }
    for key in ["all", "any"] {
        if let Some(x) = m.get(key) {
            if m.len() != 1 {
                cx.err(at, format!("`{key}` cannot be combined with other keys"));
            }
            let Some(list) = x.as_array() else {
                cx.err(format!("{at}.{key}"), "must be a list of conditions");
                return Node::False;
            };
            let kids: Vec<Node> = list
                .iter()
                .enumerate()
                .map(|(i, c)| compile_cond(c, &format!("{at}.{key}[{i}]"), cx, depth + 1))
                .collect();
            return if key == "all" {
                Node::And(kids)
            } else {
                Node::Or(kids)
            };
        }
    }
    if let Some(x) = m.get("not") {
        if m.len() != 1 {
            cx.err(at, "`not` cannot be combined with other keys");
        }
        return Node::Not(Box::new(compile_cond(
            x,
            &format!("{at}.not"),
            cx,
            depth + 1,
        )));
    }
    compile_leaf(m, at, cx)
}

/// A leaf `{field: …, <operator>: …, nocase, all}`.
fn compile_leaf(m: &serde_json::Map<String, J>, at: &str, cx: &mut Ctx) -> Node {
    let Some(field) = leaf_field(m, at, cx) else {
        return Node::False;
    };
    let (nocase, all) = leaf_flags(m, at, cx);
    let has = |k: &str| m.contains_key(k);
    let ops: Vec<&str> = LEAF_OPS.iter().copied().filter(|k| has(k)).collect();
    if ops.len() != 1 {
        cx.err(
            at,
            format!(
                "a field test needs exactly one operator ({})",
                LEAF_OPS.join(", ")
            ),
        );
        return Node::False;
    }
    let op = ops[0];
    let test = LeafTest {
        op,
        at: format!("{at}.{op}"),
        fname: field.path(),
        nocase,
        all,
    };
    match leaf_matcher(&test, &m[op], cx) {
        Some(matcher) => Node::leaf(vec![field], matcher),
        None => Node::False,
    }
}

/// The leaf's `field`, a known event field path.
fn leaf_field(m: &serde_json::Map<String, J>, at: &str, cx: &mut Ctx) -> Option<Field> {
    let fat = format!("{at}.field");
    match m.get("field") {
        Some(J::String(s)) => match Field::parse(s) {
            Some(f) => Some(f),
            None => {
                cx.err(
                    fat,
                    format!("unknown event field '{s}' (see outpost_detect::field::KNOWN_FIELDS)"),
                );
                None
            }
        },
        _ => {
            cx.err(fat, "must be a field path string");
            None
        }
    }
}

/// The leaf's `nocase` and `all` flags; unknown keys are reported.
fn leaf_flags(m: &serde_json::Map<String, J>, at: &str, cx: &mut Ctx) -> (bool, bool) {
    let mut nocase = false;
    for (k, val) in m {
        match k.as_str() {
            "field" => {}
            "nocase" => match val.as_bool() {
                Some(b) => nocase = b,
                None => cx.err(format!("{at}.nocase"), "must be true or false"),
            },
            "all" => {}
            k if LEAF_OPS.contains(&k) => {}
            other => cx.err(
                format!("{at}.{other}"),
                format!(
                    "unknown operator (expected one of {}, nocase, all)",
                    LEAF_OPS.join(", ")
                ),
            ),
        }
    }
    let all = matches!(m.get("all"), Some(J::Bool(true)));
    (nocase, all)
}

/// One leaf's operator and options, with the place errors are reported at.
struct LeafTest<'a> {
    pub(super) op: &'a str,
    /// `{at}.{op}`.
    pub(super) at: String,
    pub(super) fname: String,
    pub(super) nocase: bool,
    pub(super) all: bool,
}

/// The matcher of a leaf's operator and value (`None` after reporting an error).
fn leaf_matcher(t: &LeafTest, val: &J, cx: &mut Ctx) -> Option<Matcher> {
    let (op, fname, nocase, all) = (t.op, t.fname.as_str(), t.nocase, t.all);
    let oat = t.at.clone();
    Some(match op {
        "equals" | "in" | "contains" | "startswith" | "endswith" => {
            let Some(ps) = scalar_strings(val) else {
                cx.err(
                    oat,
                    format!(
                        "value for field '{fname}' must be a scalar or a non-empty list of scalars"
                    ),
                );
                return None;
            };
            let kind = match op {
                "contains" => StrKind::Contains,
                "startswith" => StrKind::StartsWith,
                "endswith" => StrKind::EndsWith,
                _ => StrKind::Eq,
            };
            match StrMatch::new(kind, ps, nocase, all) {
                Ok(s) => Matcher::Str(s),
                Err(e) => {
                    cx.err(oat, format!("field '{fname}': {e}"));
                    return None;
                }
            }
        }
        "regex" => Matcher::Regex {
            res: each_value(t, val, "regex", cx, |p| {
                compile_regex(p, nocase, false, false)
            })?,
            all,
        },
        "cidr" => Matcher::Cidr(each_value(t, val, "cidr", cx, parse_cidr)?),
        "gt" | "gte" | "lt" | "lte" => {
            let Some(n) = val.as_f64() else {
                cx.err(oat, format!("field '{fname}': comparison needs a number"));
                return None;
            };
            let cop = match op {
                "gt" => CmpOp::Gt,
                "gte" => CmpOp::Gte,
                "lt" => CmpOp::Lt,
                _ => CmpOp::Lte,
            };
            Matcher::Cmp(cop, n)
        }
        "exists" => match val.as_bool() {
            Some(b) => Matcher::Exists(b),
            None => {
                cx.err(
                    oat,
                    format!("field '{fname}': exists must be true or false"),
                );
                return None;
            }
        },
        _ => return None,
    })
}

/// Each of a leaf's values (a string or a list) through `parse`; an error is reported, naming
/// the field.
fn each_value<T, E: std::fmt::Display>(
    t: &LeafTest,
    val: &J,
    what: &str,
    cx: &mut Ctx,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Option<Vec<T>> {
    let Some(ps) = scalar_strings(val) else {
        cx.err(
            t.at.clone(),
            format!("{what} for field '{}' must be a string or list", t.fname),
        );
        return None;
    };
    let mut out = Vec::new();
    for p in ps {
        match parse(&p) {
            Ok(x) => out.push(x),
            Err(e) => {
                cx.err(t.at.clone(), format!("field '{}': {e}", t.fname));
                return None;
            }
        }
    }
    Some(out)
}
