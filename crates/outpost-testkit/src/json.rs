//! A proptest strategy for arbitrary JSON values built from a domain's own words, shared by
//! the property tests that throw generated bodies and bundles at a parser or a handler.

use proptest::prelude::*;
use serde_json::{Map, Value};

/// What [`json_value`] draws from: besides null, booleans, integers and finite floats,
/// strings matching `text` or taken from `strings`, and objects whose keys are taken from
/// `keys` (or, when `key_pattern` is set, also generated from it), nested up to `depth`.
#[derive(Clone, Copy, Debug)]
pub struct JsonShape {
    /// Regex of free-text strings.
    pub text: &'static str,
    /// Strings of the domain (ids, states, addresses, times) that reach past the first check.
    pub strings: &'static [&'static str],
    /// Object keys of the domain.
    pub keys: &'static [&'static str],
    /// Regex of further, arbitrary object keys (none when `None`).
    pub key_pattern: Option<&'static str>,
    /// Nesting depth, desired total size and items per array or object (`prop_recursive`'s).
    pub depth: u32,
    pub size: u32,
    pub width: u32,
}

/// Arbitrary JSON values of the given shape.
pub fn json_value(shape: JsonShape) -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        shape.text.prop_map(Value::String),
        proptest::sample::select(shape.strings).prop_map(|s| Value::String(s.to_string())),
    ];
    let named = proptest::sample::select(shape.keys).prop_map(str::to_string);
    let key = match shape.key_pattern {
        Some(pattern) => prop_oneof![named, pattern.prop_map(|k| k)].boxed(),
        None => named.boxed(),
    };
    let width = shape.width as usize;
    leaf.prop_recursive(shape.depth, shape.size, shape.width, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..width).prop_map(Value::Array),
            proptest::collection::vec((key.clone(), inner), 0..width)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
    .boxed()
}
