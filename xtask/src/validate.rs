//! Generates `validate.rs`: an implementation of `Validate` for every wire structure that checks the
//! model's constraints (required members, string lengths in characters, patterns, numeric ranges,
//! collection sizes and enum values), recursing into nested structures, lists and maps.
//!
//! Patterns are matched whole (`^(?:…)$`): the Smithy model anchors them and botocore strips the anchors.
//! The `ResourceArn` pattern of the model is broken (`[a-z-]` where `[a-z-]+` is meant, so no real ARN
//! matches); it is replaced by the intended one, as `ivs-api.md` §0.2 describes.

use crate::model::Model;
use std::fmt::Write;

/// The pattern used instead of the model's for `ResourceArn`.
const RESOURCE_ARN_PATTERN: &str = "arn:aws:ivs:[a-z0-9-]+:[0-9]+:[a-z-]+/[a-zA-Z0-9-]+";

struct Gen<'a> {
    model: &'a Model,
    patterns: Vec<String>,
}

pub fn generate(m: &Model) -> String {
    let mut g = Gen { model: m, patterns: Vec::new() };
    let mut body = String::new();
    for name in m.structures() {
        g.structure(name, &mut body);
    }
    let mut out = String::from(
        "use crate::types::*;\nuse crate::validate::{Validate, Validator};\nuse regex::Regex;\nuse std::sync::LazyLock;\n\n",
    );
    for (i, p) in g.patterns.iter().enumerate() {
        let _ = writeln!(
            out,
            "static RE_{i}: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#\"^(?:{p})$\"#).expect(\"model pattern compiles\"));"
        );
    }
    let _ =
        writeln!(out, "\n/// Every pattern of the model, compiled (used by a test that forces them all).");
    let _ = writeln!(
        out,
        "pub fn all_patterns() -> Vec<&'static Regex> {{\n    vec![{}]\n}}\n",
        (0..g.patterns.len()).map(|i| format!("&*RE_{i}")).collect::<Vec<_>>().join(", ")
    );
    out.push_str(&body);
    out
}

impl Gen<'_> {
    fn structure(&mut self, name: &str, out: &mut String) {
        let members = self.model.members(name);
        let _ = writeln!(out, "impl Validate for {name} {{");
        let v = if members.is_empty() { "_v" } else { "v" };
        let _ = writeln!(out, "    fn validate_into(&self, {v}: &mut Validator) {{");
        for mem in &members {
            let field = crate::names::field(mem.name);
            let checks = self.checks(mem.shape, "e0", 0);
            let _ = writeln!(
                out,
                "        v.field(\"{}\", self.{field}.as_ref(), {}, |_v, _e0| {{ {checks} }});",
                mem.name, mem.required
            );
        }
        out.push_str("    }\n}\n\n");
    }

    fn pattern_index(&mut self, shape: &str, pattern: &str) -> usize {
        let p = if shape == "ResourceArn" { RESOURCE_ARN_PATTERN } else { pattern };
        if let Some(i) = self.patterns.iter().position(|x| x == p) {
            return i;
        }
        self.patterns.push(p.to_string());
        self.patterns.len() - 1
    }

    /// Statements checking the value `_{e}` of shape `shape` with validator `_v`.
    fn checks(&mut self, shape: &str, e: &str, depth: usize) -> String {
        let m = self.model;
        let (min, max) = (opt(m.min(shape)), opt(m.max(shape)));
        match m.kind(shape) {
            "string" if m.is_enum(shape) => {
                format!("_v.enumeration(_{e}.is_known(), _{e}.as_str(), {shape}::VALUES);")
            }
            "string" => {
                let pat = match m.shape(shape)["pattern"].as_str() {
                    Some(p) => {
                        let i = self.pattern_index(shape, p);
                        format!("Some((&*RE_{i}, {:?}))", self.patterns[i])
                    }
                    None => "None".into(),
                };
                format!("_v.string(_{e}, {min}, {max}, {pat}, {});", m.is_sensitive(shape))
            }
            "integer" | "long" => format!("_v.range(i64::from(*_{e}), {min}, {max});"),
            "list" => {
                let member = m.shape(shape)["member"]["shape"].as_str().unwrap_or("").to_string();
                let x = format!("e{}", depth + 1);
                let inner = self.checks(&member, &x, depth + 1);
                let mut s = format!("_v.count(_{e}.len(), {min}, {max});");
                if !inner.is_empty() {
                    let _ = write!(
                        s,
                        " for (i, _{x}) in _{e}.iter().enumerate() {{ _v.index(i, |_v| {{ {inner} }}); }}"
                    );
                }
                s
            }
            "map" => {
                let key = m.shape(shape)["key"]["shape"].as_str().unwrap_or("").to_string();
                let val = m.shape(shape)["value"]["shape"].as_str().unwrap_or("").to_string();
                let (k, x) = (format!("k{}", depth + 1), format!("e{}", depth + 1));
                let kc = self.checks(&key, &k, depth + 1);
                let vc = self.checks(&val, &x, depth + 1);
                format!(
                    "_v.count(_{e}.len(), {min}, {max}); for (_{k}, _{x}) in _{e} {{ _v.key(_{k}, |_v| {{ {kc} {vc} }}); }}"
                )
            }
            "structure" => format!("_{e}.validate_into(_v);"),
            _ => String::new(),
        }
    }
}

fn opt(v: Option<i64>) -> String {
    match v {
        Some(n) => format!("Some({n})"),
        None => "None".into(),
    }
}
