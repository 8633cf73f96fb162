//! A rule's `detection` section: selections, field maps, placeholders and field references.

use super::*;

pub(super) fn compile_detection(v: &J, src: &Src) -> Result<Node, String> {
    match v {
        J::Object(m) => compile_map(m, src),
        J::Array(a) => {
            if a.is_empty() {
                return Err("empty list".into());
            }
            if a.iter().all(|x| x.is_object()) {
                let mut alts = Vec::new();
                for x in a {
                    if let J::Object(m) = x {
                        alts.push(compile_map(m, src)?);
                    }
                }
                Ok(Node::Or(alts))
            } else if a.iter().all(|x| !x.is_object() && !x.is_array()) {
                field_values(&[Field::AnyString], &[], a, true)
            } else {
                Err("a list must hold only maps or only keywords".into())
            }
        }
        J::String(_) | J::Number(_) => {
            field_values(&[Field::AnyString], &[], std::slice::from_ref(v), true)
        }
        _ => Err("a detection must be a map, a list of maps or a list of keywords".into()),
    }
}

pub(super) fn compile_map(m: &serde_json::Map<String, J>, src: &Src) -> Result<Node, String> {
    if m.is_empty() {
        return Err("empty selection".into());
    }
    let mut parts = Vec::new();
    for (key, val) in m {
        let mut it = key.split('|');
        let fname = it.next().unwrap_or("");
        let mods: Vec<&str> = it.collect();
        let mut mods: Vec<&str> = mods;
        let fields = map_field(src, fname)?;
        let mut vals: Vec<J> = match val {
            J::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        if vals.is_empty() {
            return Err(format!("field '{fname}': empty value list"));
        }
        if let Some(i) = mods.iter().position(|m| *m == "expand") {
            mods.remove(i);
            vals = expand_placeholders(&vals, src.placeholders)
                .map_err(|e| format!("field '{key}': {e}"))?;
        }
        if let Some(i) = mods.iter().position(|m| *m == "fieldref") {
            mods.remove(i);
            parts.push(
                fieldref(src, &fields, &mods, &vals).map_err(|e| format!("field '{key}': {e}"))?,
            );
            continue;
        }
        let keyword = fname.is_empty();
        parts.push(
            field_values(&fields, &mods, &vals, keyword)
                .map_err(|e| format!("field '{key}': {e}"))?,
        );
    }
    Ok(Node::And(parts))
}

/// Parses a placeholder file for [`SigmaOptions::placeholders`]: a YAML map from placeholder
/// name (with or without the `%`) to a value or a list of values.
///
/// ```yaml
/// known_cdcs: [dc01.corp.example, 10.0.0.10]
/// admin_hosts: jump01
/// ```
pub fn parse_placeholders(text: &str) -> Result<BTreeMap<String, Vec<String>>, String> {
    let docs = serde_saphyr::from_multiple::<J>(text).map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    for d in docs {
        let J::Object(m) = d else {
            if d.is_null() {
                continue;
            }
            return Err("expected a map from placeholder names to values".into());
        };
        for (k, v) in m {
            let vals: Vec<String> = match v {
                J::Array(a) => a
                    .iter()
                    .map(|x| match x {
                        J::String(s) => Ok(s.clone()),
                        J::Number(n) => Ok(n.to_string()),
                        J::Bool(b) => Ok(b.to_string()),
                        _ => Err(format!("placeholder '{k}': values must be scalars")),
                    })
                    .collect::<Result<_, _>>()?,
                J::String(s) => vec![s],
                J::Number(n) => vec![n.to_string()],
                J::Bool(b) => vec![b.to_string()],
                _ => return Err(format!("placeholder '{k}': expected a value or a list")),
            };
            out.insert(k.trim_matches('%').to_string(), vals);
        }
    }
    Ok(out)
}

/// Values with `%name%` placeholders replaced by every value of the placeholder (Sigma
/// `expand`); an unknown placeholder is an error naming it.
pub(super) fn expand_placeholders(
    vals: &[J],
    placeholders: Option<&BTreeMap<String, Vec<String>>>,
) -> Result<Vec<J>, String> {
    let mut out: Vec<J> = Vec::new();
    for v in vals {
        let J::String(s) = v else {
            out.push(v.clone());
            continue;
        };
        // Split into literal parts and placeholder names.
        let mut acc: Vec<String> = vec![String::new()];
        let mut rest = s.as_str();
        while let Some(a) = rest.find('%') {
            let Some(b) = rest[a + 1..].find('%') else {
                break;
            };
            let name = &rest[a + 1..a + 1 + b];
            let lit = &rest[..a];
            for x in acc.iter_mut() {
                x.push_str(lit);
            }
            let Some(values) = placeholders.and_then(|p| p.get(name)) else {
                return Err(format!(
                    "placeholder '%{name}%' has no values (`expand` needs them: outpost hunt --placeholders FILE)"
                ));
            };
            if values.is_empty() {
                return Err(format!("placeholder '%{name}%' has an empty value list"));
            }
            let mut next = Vec::with_capacity(acc.len() * values.len());
            for x in &acc {
                for val in values {
                    next.push(format!("{x}{val}"));
                }
            }
            if next.len() > MAX_VALUES {
                return Err(format!(
                    "placeholders expand to more than {MAX_VALUES} values"
                ));
            }
            acc = next;
            rest = &rest[a + b + 2..];
        }
        for x in acc {
            out.push(J::String(x + rest));
        }
    }
    Ok(out)
}

/// `Field|fieldref: Other` (with `contains`, `startswith`, `endswith`, `cased`): the field's
/// value compared with another field of the same event; several names are any-of (all-of with
/// `all`).
pub(super) fn fieldref(
    src: &Src,
    fields: &[Field],
    mods: &[&str],
    vals: &[J],
) -> Result<Node, String> {
    let mut kind = StrKind::Eq;
    let (mut all, mut cased) = (false, false);
    for m in mods {
        match *m {
            "contains" => kind = StrKind::Contains,
            "startswith" => kind = StrKind::StartsWith,
            "endswith" => kind = StrKind::EndsWith,
            "all" => all = true,
            "cased" => cased = true,
            other => {
                return Err(format!(
                    "modifier '{other}' together with fieldref is not supported"
                ));
            }
        }
    }
    if fields.contains(&Field::AnyString) {
        return Err("fieldref needs a field name".into());
    }
    let mut alts = Vec::new();
    for v in vals {
        let J::String(name) = v else {
            return Err("fieldref values must be field names".into());
        };
        let other = map_field(src, name)?;
        alts.push(Node::leaf(
            fields.to_vec(),
            Matcher::FieldRef {
                other,
                kind,
                ci: !cased,
            },
        ));
    }
    Ok(if all { Node::And(alts) } else { Node::Or(alts) })
}
