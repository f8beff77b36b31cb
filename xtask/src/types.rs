//! Generates `types.rs`: one struct per wire structure and one enum per string enum.
//!
//! Every member is an `Option` (clients send only what was set; servers fill what IVS returns), with
//! the model's camelCase name on the wire. Enums keep unknown values (`Unrecognized(String)`) so that a
//! server can reject them with a `ValidationException` naming the field, and a client survives values
//! added to the service later. `Debug` redacts members whose shape is `sensitive` (stream keys,
//! metadata, SRT passphrases), so secrets never reach logs through `{:?}`.

use crate::model::Model;
use crate::names;
use std::fmt::Write;

/// openivs's members beside the model's: (structure, wire name, Rust type, doc). Output only; see
/// `crates/model/src/ext.rs` for why they are safe for the AWS clients.
const EXTENSIONS: &[(&str, &str, &str, &str)] = &[
    (
        "StreamSession",
        "openivsViewers",
        "crate::ext::SessionViewers",
        "openivs: the session's viewers (peak concurrent, playback sessions); not in the IVS model.",
    ),
    (
        "StreamSession",
        "openivsIngest",
        "crate::ext::SessionIngest",
        "openivs: how the encoder publishes (protocol; SRT's link figures); not in the IVS model.",
    ),
];

pub fn generate(m: &Model) -> String {
    let mut out = String::from("use serde::{Deserialize, Serialize};\nuse std::fmt;\n\n");
    for name in m.structures() {
        structure(m, name, &mut out);
    }
    for name in m.enums() {
        enumeration(m, name, &mut out);
    }
    out
}

fn structure(m: &Model, name: &str, out: &mut String) {
    let members = m.members(name);
    let _ = writeln!(out, "/// The `{name}` structure of the IVS API.");
    out.push_str("#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]\n");
    let _ = writeln!(out, "pub struct {name} {{");
    for mem in &members {
        let req = if mem.required { ", required" } else { "" };
        let _ = writeln!(out, "    /// `{}` (shape `{}`{req}).", mem.name, mem.shape);
        // Members bound to the URI, query or headers are not part of the JSON body: they are read from
        // JSON (the server merges them in) but never written to it.
        let skip = if mem.location.is_some() {
            "skip_serializing"
        } else {
            "skip_serializing_if = \"Option::is_none\""
        };
        let _ = writeln!(out, "    #[serde(rename = \"{}\", default, {skip})]", mem.name);
        let _ = writeln!(out, "    pub {}: Option<{}>,", names::field(mem.name), m.rust_type(mem.shape));
    }
    let extensions: Vec<_> = EXTENSIONS.iter().filter(|e| e.0 == name).collect();
    for (_, wire, ty, doc) in &extensions {
        let _ = writeln!(out, "    /// {doc}");
        let _ = writeln!(
            out,
            "    #[serde(rename = \"{wire}\", default, skip_serializing_if = \"Option::is_none\")]"
        );
        let _ = writeln!(out, "    pub {}: Option<{ty}>,", names::field(wire));
    }
    out.push_str("}\n\n");
    let _ = writeln!(out, "impl fmt::Debug for {name} {{");
    out.push_str("    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {\n");
    let _ = write!(out, "        f.debug_struct(\"{name}\")");
    for mem in &members {
        let field = names::field(mem.name);
        if m.is_sensitive(mem.shape) {
            let _ = write!(out, ".field(\"{field}\", &self.{field}.as_ref().map(|_| crate::REDACTED))");
        } else {
            let _ = write!(out, ".field(\"{field}\", &self.{field})");
        }
    }
    for (_, wire, _, _) in &extensions {
        let field = names::field(wire);
        let _ = write!(out, ".field(\"{field}\", &self.{field})");
    }
    out.push_str(".finish()\n    }\n}\n\n");
}

fn enumeration(m: &Model, name: &str, out: &mut String) {
    let values: Vec<&str> = m.shape(name)["enum"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    let _ = writeln!(out, "/// The `{name}` enumeration of the IVS API.");
    out.push_str("#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]\n");
    let _ = writeln!(out, "pub enum {name} {{");
    for v in &values {
        let _ = writeln!(out, "    /// `{v}`\n    {},", names::variant(v));
    }
    out.push_str(
        "    /// A value this version of the model does not know.\n    Unrecognized(String),\n}\n\n",
    );
    let _ = writeln!(out, "impl {name} {{");
    let list = values.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>().join(", ");
    let _ = writeln!(
        out,
        "    /// Every value the model defines, in model order.\n    pub const VALUES: &'static [&'static str] = &[{list}];"
    );
    out.push_str("    /// The wire value.\n    pub fn as_str(&self) -> &str {\n        match self {\n");
    for v in &values {
        let _ = writeln!(out, "            Self::{} => \"{v}\",", names::variant(v));
    }
    out.push_str("            Self::Unrecognized(s) => s,\n        }\n    }\n");
    out.push_str("    /// Whether the value is one the model defines.\n    pub fn is_known(&self) -> bool {\n        !matches!(self, Self::Unrecognized(_))\n    }\n}\n\n");
    let _ = writeln!(out, "impl From<&str> for {name} {{");
    out.push_str("    fn from(s: &str) -> Self {\n        match s {\n");
    for v in &values {
        let _ = writeln!(out, "            \"{v}\" => Self::{},", names::variant(v));
    }
    out.push_str("            other => Self::Unrecognized(other.to_owned()),\n        }\n    }\n}\n\n");
    let _ = writeln!(out, "crate::string_enum!({name});\n");
}
