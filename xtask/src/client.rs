//! Generates `crates/client/src/generated/operations.rs` for `openivs-client`: per operation, an error
//! enum listing the modeled errors it can return (plus `Unhandled`), a command type, the `Command`
//! impls that tie input, output and error together, the values of its URI/query-bound members, a
//! method on `Client`, and, for list operations, the paginator plumbing (`Paginated`).

use crate::model::Model;
use crate::names;
use std::fmt::Write;

struct Op<'a> {
    name: &'a str,
    snake: String,
    input: &'a str,
    output: String,
    errors: Vec<&'a str>,
    method: &'a str,
    uri: &'a str,
}

pub fn generate(m: &Model) -> String {
    let mut out = String::from(
        "use crate::error::{OperationError, ServiceError};\nuse crate::types::*;\nuse crate::{Client, Command, SdkError};\nuse std::fmt;\n\n",
    );
    let ops: Vec<Op> = m
        .operations
        .iter()
        .map(|(name, v)| Op {
            name,
            snake: names::snake(name),
            input: v["input"]["shape"].as_str().unwrap_or(""),
            output: v["output"]["shape"].as_str().unwrap_or("()").to_string(),
            errors: v["errors"]
                .as_array()
                .map(|a| a.iter().filter_map(|e| e["shape"].as_str()).collect())
                .unwrap_or_default(),
            method: v["http"]["method"].as_str().unwrap_or("POST"),
            uri: v["http"]["requestUri"].as_str().unwrap_or("/"),
        })
        .collect();
    let mut outputs = std::collections::BTreeSet::new();
    for op in &ops {
        error_enum(op, &mut out);
        command(m, op, &mut out);
        if op.output != "()" && outputs.insert(op.output.clone()) {
            output_headers(m, &op.output, &mut out);
        }
    }
    out.push_str("impl Client {\n");
    for op in &ops {
        let _ = writeln!(
            out,
            "    /// Calls `{name}` (`{method} {uri}`); the same as `send({name}Command::new(input))`.\n    pub async fn {snake}(&self, input: {input}) -> Result<{output}, SdkError<{name}Error>> {{\n        self.send(input).await\n    }}\n",
            name = op.name,
            method = op.method,
            uri = op.uri,
            snake = op.snake,
            input = op.input,
            output = op.output,
        );
    }
    for op in &ops {
        if let Some((_, item)) = paginated(m, op) {
            let _ = writeln!(
                out,
                "    /// A paginator over the pages (and, with `.items()`, the `{item}` items) of `{name}`.\n    pub fn {snake}_paginator(&self, input: {input}) -> crate::Paginator<{input}> {{\n        crate::Paginator::new(self.clone(), input)\n    }}\n",
                name = op.name,
                snake = op.snake,
                input = op.input,
            );
        }
    }
    out.push_str("}\n");
    out
}

fn error_enum(op: &Op, out: &mut String) {
    let name = format!("{}Error", op.name);
    let _ = writeln!(
        out,
        "/// The errors `{}` can return: the ones the model lists for it, and `Unhandled` for any other.",
        op.name
    );
    let _ = writeln!(out, "#[derive(Debug)]\n#[non_exhaustive]\npub enum {name} {{");
    for e in &op.errors {
        let _ = writeln!(out, "    /// `{e}`\n    {e}(ServiceError),");
    }
    out.push_str("    /// An error the model does not list for this operation (its code is in the metadata).\n    Unhandled(ServiceError),\n}\n\n");
    let _ = writeln!(out, "impl {name} {{");
    for e in &op.errors {
        let _ = writeln!(
            out,
            "    /// Whether the error is `{e}`.\n    pub fn is_{}(&self) -> bool {{\n        matches!(self, Self::{e}(_))\n    }}",
            names::snake(e)
        );
    }
    out.push_str("}\n\n");
    let arms = |body: &str| {
        let mut s = String::new();
        for e in &op.errors {
            let _ = write!(s, "Self::{e}(e) | ");
        }
        let _ = write!(s, "Self::Unhandled(e) => {body}");
        s
    };
    let _ = writeln!(out, "impl OperationError for {name} {{");
    out.push_str("    fn from_service_error(err: ServiceError) -> Self {\n        match err.code() {\n");
    for e in &op.errors {
        let _ = writeln!(out, "            \"{e}\" => Self::{e}(err),");
    }
    out.push_str("            _ => Self::Unhandled(err),\n        }\n    }\n");
    let _ = writeln!(
        out,
        "    fn service_error(&self) -> &ServiceError {{\n        match self {{\n            {}\n        }}\n    }}",
        arms("e,")
    );
    let _ = writeln!(
        out,
        "    fn into_service_error(self) -> ServiceError {{\n        match self {{\n            {}\n        }}\n    }}\n}}\n",
        arms("e,")
    );
    let _ = writeln!(
        out,
        "impl fmt::Display for {name} {{\n    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {{\n        fmt::Display::fmt(self.service_error(), f)\n    }}\n}}\n\nimpl std::error::Error for {name} {{}}\n"
    );
}

fn command(m: &Model, op: &Op, out: &mut String) {
    let cmd = format!("{}Command", op.name);
    let _ = writeln!(
        out,
        "/// The `{name}` command (`{method} {uri}`): its input, sent with [`Client::send`].\n#[derive(Clone, Debug, Default, PartialEq)]\npub struct {cmd}(pub {input});\n",
        name = op.name,
        method = op.method,
        uri = op.uri,
        input = op.input,
    );
    let _ = writeln!(
        out,
        "impl {cmd} {{\n    /// A command with this input.\n    pub fn new(input: {input}) -> Self {{\n        Self(input)\n    }}\n}}\n\nimpl From<{input}> for {cmd} {{\n    fn from(input: {input}) -> Self {{\n        Self(input)\n    }}\n}}\n",
        input = op.input
    );
    for (ty, into) in [(cmd.as_str(), "self.0"), (op.input, "self")] {
        let _ = writeln!(
            out,
            "impl Command for {ty} {{\n    type Input = {input};\n    type Output = {output};\n    type Error = {name}Error;\n    fn into_input(self) -> {input} {{\n        {into}\n    }}\n}}\n",
            input = op.input,
            output = op.output,
            name = op.name,
        );
    }
    bindings(m, op, out);
    if let Some((items, item)) = paginated(m, op) {
        let field = names::field(items);
        let _ = writeln!(
            out,
            "impl crate::Paginated for {input} {{\n    type Item = {item};\n    fn set_next_token(&mut self, token: Option<String>) {{\n        self.next_token = token;\n    }}\n    fn input_token(&self) -> Option<&str> {{\n        self.next_token.as_deref()\n    }}\n    fn next_token(output: &{output}) -> Option<&str> {{\n        output.next_token.as_deref()\n    }}\n    fn into_items(output: {output}) -> Vec<{item}> {{\n        output.{field}.unwrap_or_default()\n    }}\n}}\n",
            input = op.input,
            output = op.output,
        );
    }
}

/// `HttpBound` for the input: the values of the members that travel in the URI, query or headers.
fn bindings(m: &Model, op: &Op, out: &mut String) {
    let bound: Vec<_> = m.members(op.input).into_iter().filter(|x| x.location.is_some()).collect();
    if bound.is_empty() {
        let _ = writeln!(out, "impl crate::request::HttpBound for {} {{}}\n", op.input);
        return;
    }
    let _ = writeln!(
        out,
        "impl crate::request::HttpBound for {} {{\n    fn bound_values(&self, member: &str) -> Vec<String> {{\n        match member {{",
        op.input
    );
    for mem in bound {
        let field = names::field(mem.name);
        let values = if m.kind(mem.shape) == "list" {
            format!("self.{field}.iter().flatten().map(ToString::to_string).collect()")
        } else {
            format!("self.{field}.iter().map(ToString::to_string).collect()")
        };
        let _ = writeln!(out, "            \"{}\" => {values},", mem.name);
    }
    out.push_str("            _ => Vec::new(),\n        }\n    }\n}\n\n");
}

/// `HttpBoundOutput` for an output: its members that travel in response headers (restJson1
/// `httpHeader` bindings of outputs) are read from them.
fn output_headers(m: &Model, output: &str, out: &mut String) {
    let bound: Vec<_> = m.members(output).into_iter().filter(|x| x.location == Some("header")).collect();
    if bound.is_empty() {
        let _ = writeln!(out, "impl crate::request::HttpBoundOutput for {output} {{}}\n");
        return;
    }
    let _ = writeln!(
        out,
        "impl crate::request::HttpBoundOutput for {output} {{\n    fn read_headers(&mut self, headers: &http::HeaderMap) {{"
    );
    for mem in bound {
        let _ = writeln!(
            out,
            "        self.{} = crate::request::header_text(headers, \"{}\");",
            names::field(mem.name),
            mem.location_name.unwrap_or(mem.name)
        );
    }
    out.push_str("    }\n}\n\n");
}

/// The output member holding a list operation's items and the item type, for operations whose input
/// and output both carry `nextToken`.
fn paginated<'a>(m: &'a Model, op: &Op) -> Option<(&'a str, String)> {
    let has_token = |s: &str| m.members(s).iter().any(|x| x.name == "nextToken");
    if op.output == "()" || !has_token(op.input) || !has_token(&op.output) {
        return None;
    }
    let output = m.shapes.get_key_value(op.output.as_str())?.0.as_str();
    let items = m.members(output).into_iter().find(|x| m.kind(x.shape) == "list")?;
    let item = m.rust_type(m.shape(items.shape)["member"]["shape"].as_str().unwrap_or(""));
    Some((items.name, item))
}
