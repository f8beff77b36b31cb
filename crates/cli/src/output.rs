//! Output formats of the client commands, after the AWS CLI's (`--output json|text|table`):
//!
//! - `json`: the output structure, indented by four spaces; nothing for an empty output.
//! - `text`: tab-separated values, one line per object, by the AWS CLI's rules: an object's scalar
//!   members on one line in key order (prefixed by the upper-cased member name below the top), then
//!   its lists and objects; the objects of a list share the columns of all their scalar keys.
//! - `table`: boxed sections titled by the operation and member names; an object's scalars as one
//!   header row and one value row, or as key/value rows when that is wider than the terminal.

use serde_json::Value;

use crate::output_table::table;

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// JSON (the default).
    Json,
    /// Tab-separated values, for scripts.
    Text,
    /// A table, for people.
    Table,
}

/// Prints `value`, the output of `title` (an operation name), on stdout.
pub fn print(value: &Value, format: Format, title: &str) {
    emit(&render(value, format, title));
}

/// Writes `text` on stdout. A reader that went away (`| head`) is not an error worth a panic.
pub fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// `value` in `format`; empty when there is nothing to show.
pub fn render(value: &Value, format: Format, title: &str) -> String {
    if is_empty(value) {
        return String::new();
    }
    match format {
        Format::Json => json(value),
        Format::Text => {
            let mut out = String::new();
            text(value, None, None, &mut out);
            out
        }
        Format::Table => table(value, title),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// JSON indented by four spaces, as the AWS CLI prints it, with a final newline.
pub fn json(value: &Value) -> String {
    use serde::Serialize;
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut buf,
        serde_json::ser::PrettyFormatter::with_indent(b"    "),
    );
    // Writing a `Value` into a Vec cannot fail.
    let _ = value.serialize(&mut ser);
    let mut s = String::from_utf8(buf).unwrap_or_default();
    s.push('\n');
    s
}

/// A scalar as the AWS CLI writes it (Python's `str`): `True`, `False`, `None`, numbers, raw text.
pub fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

fn text(v: &Value, ident: Option<&str>, keys: Option<&[String]>, out: &mut String) {
    match v {
        Value::Object(map) => {
            let (mut scalars, mut rest) = (Vec::new(), Vec::new());
            match keys {
                // Objects of a list: the columns of all of them, blank where one has no value.
                Some(keys) => {
                    scalars = keys.iter().map(|k| map.get(k).map(scalar).unwrap_or_default()).collect();
                    rest = map.iter().filter(|(k, _)| !keys.contains(k)).collect();
                }
                None => {
                    for (k, v) in map {
                        if is_scalar(v) { scalars.push(scalar(v)) } else { rest.push((k, v)) }
                    }
                }
            }
            if !scalars.is_empty() {
                if let Some(id) = ident {
                    scalars.insert(0, id.to_uppercase());
                }
                out.push_str(&scalars.join("\t"));
                out.push('\n');
            }
            for (k, v) in rest {
                text(v, Some(k), None, out);
            }
        }
        Value::Array(items) if items.is_empty() => {}
        Value::Array(items) if items.iter().any(Value::is_object) => {
            let mut keys: Vec<String> = items
                .iter()
                .filter_map(Value::as_object)
                .flat_map(|m| m.iter().filter(|(_, v)| is_scalar(v)).map(|(k, _)| k.clone()))
                .collect();
            keys.sort();
            keys.dedup();
            for item in items {
                text(item, ident, Some(&keys), out);
            }
        }
        Value::Array(items) => {
            let (scalars, nested): (Vec<&Value>, Vec<&Value>) = items.iter().partition(|v| is_scalar(v));
            if !scalars.is_empty() {
                match ident {
                    Some(id) => {
                        for s in &scalars {
                            out.push_str(&format!("{}\t{}\n", id.to_uppercase(), scalar(s)));
                        }
                    }
                    None => {
                        out.push_str(&scalars.iter().map(|s| scalar(s)).collect::<Vec<_>>().join("\t"));
                        out.push('\n');
                    }
                }
            }
            for n in nested {
                text(n, ident, None, out);
            }
        }
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_follows_the_aws_cli() {
        let v = json!({
            "channels": [
                {"arn": "a1", "name": "one", "tags": {"k": "v"}, "authorized": false},
                {"arn": "a2", "name": "two"}
            ],
            "nextToken": "t"
        });
        let out = render(&v, Format::Text, "ListChannels");
        assert_eq!(out, "t\nCHANNELS\ta1\tFalse\tone\nTAGS\tv\nCHANNELS\ta2\t\ttwo\n");
        assert_eq!(render(&json!({"arns": ["x", "y"]}), Format::Text, "X"), "ARNS\tx\nARNS\ty\n");
        assert_eq!(render(&json!({}), Format::Text, "X"), "");
        assert_eq!(render(&Value::Null, Format::Json, "X"), "");
    }

    #[test]
    fn json_is_indented_by_four() {
        assert_eq!(json(&json!({"a": {"b": 1}})), "{\n    \"a\": {\n        \"b\": 1\n    }\n}\n");
    }
}
