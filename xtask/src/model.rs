//! The botocore JSON model, loaded once, with the lookups the generators share.

use anyhow::{Context, Result};
use serde_json::{Map, Value};
use std::path::Path;

pub struct Model {
    pub shapes: Map<String, Value>,
    pub operations: Map<String, Value>,
}

/// One member of a structure, resolved.
pub struct Member<'a> {
    pub name: &'a str,
    pub shape: &'a str,
    pub required: bool,
    pub location: Option<&'a str>,
    pub location_name: Option<&'a str>,
}

impl Model {
    pub fn load(spec: &Path) -> Result<Self> {
        let path = spec.join("ivs-2020-07-14.botocore.json");
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let v: Value = serde_json::from_str(&text)?;
        let shapes = v["shapes"].as_object().context("model has no shapes")?.clone();
        let operations = v["operations"].as_object().context("model has no operations")?.clone();
        Ok(Self { shapes, operations })
    }

    pub fn shape(&self, name: &str) -> &Value {
        &self.shapes[name]
    }

    pub fn kind(&self, name: &str) -> &str {
        self.shape(name)["type"].as_str().unwrap_or("")
    }

    pub fn is_error(&self, name: &str) -> bool {
        self.shape(name)["exception"].as_bool().unwrap_or(false)
    }

    pub fn is_enum(&self, name: &str) -> bool {
        self.kind(name) == "string" && self.shape(name).get("enum").is_some()
    }

    pub fn is_sensitive(&self, name: &str) -> bool {
        self.shape(name)["sensitive"].as_bool().unwrap_or(false)
    }

    /// Structures that are wire types (errors are generated as error codes instead).
    pub fn structures(&self) -> impl Iterator<Item = &str> {
        self.shapes
            .iter()
            .filter(|(n, s)| s["type"] == "structure" && !self.is_error(n))
            .map(|(n, _)| n.as_str())
    }

    pub fn enums(&self) -> impl Iterator<Item = &str> {
        self.shapes.keys().map(String::as_str).filter(|n| self.is_enum(n))
    }

    pub fn errors(&self) -> impl Iterator<Item = &str> {
        self.shapes.keys().map(String::as_str).filter(|n| self.is_error(n))
    }

    pub fn members(&self, structure: &str) -> Vec<Member<'_>> {
        let s = self.shape(structure);
        let required: Vec<&str> = s["required"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let Some(members) = s["members"].as_object() else { return Vec::new() };
        members
            .iter()
            .map(|(name, m)| Member {
                name,
                shape: m["shape"].as_str().unwrap_or(""),
                required: required.contains(&name.as_str()),
                location: m["location"].as_str(),
                location_name: m["locationName"].as_str(),
            })
            .collect()
    }

    /// The Rust type of a shape, as written in generated code.
    pub fn rust_type(&self, name: &str) -> String {
        let s = self.shape(name);
        match self.kind(name) {
            "structure" => name.to_string(),
            "string" if self.is_enum(name) => name.to_string(),
            "string" => "String".into(),
            "integer" => "i32".into(),
            "long" => "i64".into(),
            "boolean" => "bool".into(),
            "timestamp" => "crate::Timestamp".into(),
            "list" => format!("Vec<{}>", self.rust_type(s["member"]["shape"].as_str().unwrap_or(""))),
            "map" => format!(
                "std::collections::BTreeMap<{}, {}>",
                self.rust_type(s["key"]["shape"].as_str().unwrap_or("")),
                self.rust_type(s["value"]["shape"].as_str().unwrap_or(""))
            ),
            other => panic!("unsupported shape type {other} for {name}"),
        }
    }

    pub fn min(&self, name: &str) -> Option<i64> {
        self.shape(name)["min"].as_i64()
    }

    pub fn max(&self, name: &str) -> Option<i64> {
        self.shape(name)["max"].as_i64()
    }
}
