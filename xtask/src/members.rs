//! Generates `crates/model/src/generated/members.rs`: for every operation its command-line name
//! (`create-channel`, the AWS CLI's) and its input members, each with its wire name, its flag
//! (`--recording-configuration-arn`), its shape and kind (string, integer, enum values, list of…,
//! map of…, structure members…) and whether it is required. Tools that build an input from text
//! rather than Rust (the `openivs ivs` command line) read these tables instead of the model.

use crate::model::Model;
use crate::names;
use std::collections::BTreeSet;
use std::fmt::Write;

pub fn generate(m: &Model) -> String {
    let mut out =
        String::from("use crate::members::{Kind, Member};\nuse crate::types::*;\nuse crate::Operation;\n\n");
    // Every structure reachable from an input, each emitted once as a constant member table.
    let mut structures = BTreeSet::new();
    for op in m.operations.values() {
        collect(m, op["input"]["shape"].as_str().unwrap_or(""), &mut structures);
    }
    for s in &structures {
        let members: Vec<String> = m.members(s).iter().map(|mem| member(m, mem)).collect();
        let _ = writeln!(out, "const {}: &[Member] = &[{}];\n", constant(s), members.join(", "));
    }
    out.push_str("impl Operation {\n");
    out.push_str(
        "    /// The operation's name on the command line (`create-channel`), as the AWS CLI has it.\n",
    );
    out.push_str("    pub fn cli_name(self) -> &'static str {\n        match self {\n");
    for name in m.operations.keys() {
        let _ = writeln!(out, "            Self::{name} => \"{}\",", kebab(name));
    }
    out.push_str("        }\n    }\n\n");
    out.push_str("    /// The members of the operation's input structure, in model order.\n");
    out.push_str("    pub fn input_members(self) -> &'static [Member] {\n        match self {\n");
    for (name, op) in &m.operations {
        let input = op["input"]["shape"].as_str().unwrap_or("");
        let _ = writeln!(out, "            Self::{name} => {},", constant(input));
    }
    out.push_str("        }\n    }\n}\n");
    out
}

fn collect<'a>(m: &'a Model, shape: &'a str, seen: &mut BTreeSet<&'a str>) {
    match m.kind(shape) {
        "structure" if seen.insert(shape) => {
            for mem in m.members(shape) {
                collect(m, mem.shape, seen);
            }
        }
        "list" => collect(m, m.shape(shape)["member"]["shape"].as_str().unwrap_or(""), seen),
        "map" => collect(m, m.shape(shape)["value"]["shape"].as_str().unwrap_or(""), seen),
        _ => {}
    }
}

fn member(m: &Model, mem: &crate::model::Member) -> String {
    format!(
        "Member {{ name: \"{}\", flag: \"{}\", shape: \"{}\", kind: {}, required: {} }}",
        mem.name,
        kebab(mem.name),
        mem.shape,
        kind(m, mem.shape),
        mem.required
    )
}

/// The `Kind` expression of a shape.
fn kind(m: &Model, shape: &str) -> String {
    let s = m.shape(shape);
    match m.kind(shape) {
        "string" if m.is_enum(shape) => format!("Kind::Enum({shape}::VALUES)"),
        "string" => "Kind::String".into(),
        "integer" => "Kind::Integer".into(),
        "long" => "Kind::Long".into(),
        "boolean" => "Kind::Boolean".into(),
        "timestamp" => "Kind::Timestamp".into(),
        "list" => format!("Kind::List(&{})", kind(m, s["member"]["shape"].as_str().unwrap_or(""))),
        "map" => format!("Kind::Map(&{})", kind(m, s["value"]["shape"].as_str().unwrap_or(""))),
        "structure" => format!("Kind::Structure(\"{shape}\", {})", constant(shape)),
        other => panic!("unsupported shape type {other} for {shape}"),
    }
}

/// `CreateChannelRequest` → `CREATE_CHANNEL_REQUEST`.
fn constant(structure: &str) -> String {
    names::snake(structure).to_ascii_uppercase()
}

/// `recordingConfigurationArn` → `recording-configuration-arn`; `ListTagsForResource` →
/// `list-tags-for-resource`.
fn kebab(name: &str) -> String {
    names::snake(name).replace('_', "-")
}

#[cfg(test)]
mod tests {
    #[test]
    fn kebab_names() {
        assert_eq!(super::kebab("ListTagsForResource"), "list-tags-for-resource");
        assert_eq!(
            super::kebab("filterByRecordingConfigurationArn"),
            "filter-by-recording-configuration-arn"
        );
        assert_eq!(super::constant("S3DestinationConfiguration"), "S3_DESTINATION_CONFIGURATION");
    }
}
