//! Loading rule files: a directory walked, YAML documents split into native and Sigma rules.

use super::*;

pub(super) fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let rd = std::fs::read_dir(dir).map_err(|e| LoadError::Io {
        path: dir.display().to_string(),
        source: e,
    })?;
    for ent in rd {
        let ent = ent.map_err(|e| LoadError::Io {
            path: dir.display().to_string(),
            source: e,
        })?;
        let p = ent.path();
        let name = ent.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if p.is_dir() {
            collect_files(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
            out.push(p);
        }
    }
    Ok(())
}

/// Compiles the rules of one file's text without indexing them: the native and Sigma rules
/// that compiled, and the Sigma rules that cannot be evaluated (with reasons). Invalid YAML is
/// [`LoadError::Yaml`]; native rules failing validation are [`LoadError::Invalid`]. For tools
/// that load many files and report a bad one without giving up on the others (`outpost hunt`).
pub fn compile_file_text(
    text: &str,
    file: &Path,
    opts: &SigmaOptions,
) -> Result<CompiledFile, LoadError> {
    let mut out = CompiledFile::default();
    let mut errors = Vec::new();
    load_text(text, file, opts, &mut out, &mut errors)?;
    if !errors.is_empty() {
        return Err(LoadError::Invalid(errors));
    }
    Ok(out)
}

/// The rules of one file, compiled but not indexed (see [`compile_file_text`]).
#[derive(Debug, Default)]
pub struct CompiledFile {
    /// Native and Sigma rules.
    pub rules: Vec<CompiledRule>,
    /// Sigma correlation rules (resolved against the rules when the rule set is built).
    pub correlations: Vec<CorrelationDef>,
    /// Sigma rules that cannot be evaluated, with the reason.
    pub unsupported: Vec<Unsupported>,
}

/// Parses YAML documents into JSON values (bounded, panic-free parser).
pub(crate) fn parse_yaml_docs(text: &str, file: &Path) -> Result<Vec<J>, LoadError> {
    serde_saphyr::from_multiple::<J>(text).map_err(|e| LoadError::Yaml {
        file: file.display().to_string(),
        message: e.to_string(),
    })
}

pub(super) fn load_text(
    text: &str,
    file: &Path,
    opts: &SigmaOptions,
    out: &mut CompiledFile,
    errors: &mut Vec<RuleError>,
) -> Result<(), LoadError> {
    let docs = parse_yaml_docs(text, file)?;
    let fname = file.display().to_string();
    let CompiledFile {
        rules,
        correlations,
        unsupported,
    } = out;
    for doc in docs {
        match &doc {
            J::Object(m) if m.contains_key("correlation") => {
                match correlation::parse(&doc, file, opts) {
                    Ok(d) => correlations.push(d),
                    Err(u) => unsupported.push(u),
                }
            }
            J::Object(m) if m.contains_key("detection") || m.contains_key("logsource") => {
                match sigma::compile(&doc, file, opts) {
                    Ok(r) => rules.push(r),
                    Err(u) => unsupported.push(u),
                }
            }
            J::Object(m) if m.contains_key("rules") => match m.get("rules") {
                Some(J::Array(list)) => {
                    for (i, r) in list.iter().enumerate() {
                        compile_native(r, file, i, rules, errors);
                    }
                }
                _ => errors.push(RuleError {
                    file: fname.clone(),
                    rule_id: "?".into(),
                    field: "rules".into(),
                    message: "must be a list of rules".into(),
                }),
            },
            J::Array(list) => {
                for (i, r) in list.iter().enumerate() {
                    compile_native(r, file, i, rules, errors);
                }
            }
            J::Object(_) => compile_native(&doc, file, 0, rules, errors),
            J::Null => {}
            _ => errors.push(RuleError {
                file: fname.clone(),
                rule_id: "?".into(),
                field: "(document)".into(),
                message: "expected a rule, a list of rules, a `rules:` map or a Sigma rule".into(),
            }),
        }
    }
    Ok(())
}
