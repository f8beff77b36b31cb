//! Generates `operations.rs`: the error codes with their HTTP status, the `Operation` enum with its
//! HTTP binding table (method, URI, success status, non-body members, modeled errors, pagination),
//! `OperationInput` for each request type, and `for_each_operation!`, which hands the list of
//! operations to a macro of the caller's (the server's dispatcher and the client's commands use it).

use crate::model::Model;
use crate::names;
use serde_json::Value;
use std::fmt::Write;

pub fn generate(m: &Model) -> String {
    let mut out = String::from(
        "use crate::types::*;\nuse crate::{HttpBinding, Location, OperationInfo, Pagination};\n\n",
    );
    errors(m, &mut out);
    operations(m, &mut out);
    out
}

fn errors(m: &Model, out: &mut String) {
    let errs: Vec<&str> = m.errors().collect();
    out.push_str("/// Every error the model defines (the `x-amzn-ErrorType` values).\n");
    out.push_str("#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]\npub enum ErrorCode {\n");
    for e in &errs {
        let _ = writeln!(out, "    /// `{e}`\n    {e},");
    }
    out.push_str(
        "}\n\nimpl ErrorCode {\n    /// All modeled errors.\n    pub const ALL: &'static [ErrorCode] = &[",
    );
    out.push_str(&errs.iter().map(|e| format!("Self::{e}")).collect::<Vec<_>>().join(", "));
    out.push_str("];\n    /// The code on the wire.\n    pub fn as_str(self) -> &'static str {\n        match self {\n");
    for e in &errs {
        let _ = writeln!(out, "            Self::{e} => \"{e}\",");
    }
    out.push_str("        }\n    }\n    /// The HTTP status the model gives this error.\n    pub fn status(self) -> u16 {\n        match self {\n");
    for e in &errs {
        let status = m.shape(e)["error"]["httpStatusCode"].as_u64().unwrap_or(400);
        let _ = writeln!(out, "            Self::{e} => {status},");
    }
    out.push_str("        }\n    }\n    /// Whether the model calls this a server fault (retryable by clients).\n    pub fn is_server_fault(self) -> bool {\n        match self {\n");
    for e in &errs {
        let server = m.shape(e)["fault"].as_bool().unwrap_or(false)
            || m.shape(e)["error"]["senderFault"] != Value::Bool(true);
        let _ = writeln!(out, "            Self::{e} => {server},");
    }
    out.push_str("        }\n    }\n    /// The error with this wire code, if the model defines it.\n    pub fn from_code(code: &str) -> Option<Self> {\n        match code {\n");
    for e in &errs {
        let _ = writeln!(out, "            \"{e}\" => Some(Self::{e}),");
    }
    out.push_str("            _ => None,\n        }\n    }\n}\n\n");
}

struct Op<'a> {
    name: &'a str,
    input: &'a str,
    output: Option<&'a str>,
    v: &'a Value,
}

fn operations(m: &Model, out: &mut String) {
    let ops: Vec<Op> = m
        .operations
        .iter()
        .map(|(name, v)| Op {
            name,
            input: v["input"]["shape"].as_str().unwrap_or(""),
            output: v["output"]["shape"].as_str(),
            v,
        })
        .collect();
    out.push_str("/// Every operation of the IVS API (2020-07-14).\n#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]\npub enum Operation {\n");
    for op in &ops {
        let _ = writeln!(out, "    /// `{}`\n    {},", op.name, op.name);
    }
    out.push_str("}\n\nimpl Operation {\n    /// All operations, in model order.\n    pub const ALL: &'static [Operation] = &[");
    out.push_str(&ops.iter().map(|o| format!("Self::{}", o.name)).collect::<Vec<_>>().join(", "));
    out.push_str("];\n\n    /// The HTTP binding and metadata of this operation.\n    pub fn info(self) -> &'static OperationInfo {\n        &OPERATIONS[self as usize]\n    }\n}\n\n");
    let _ = writeln!(
        out,
        "/// The operation table, indexed by `Operation as usize`.\npub static OPERATIONS: [OperationInfo; {}] = [",
        ops.len()
    );
    for op in &ops {
        info(m, op, out);
    }
    out.push_str("];\n\n");
    for op in &ops {
        let output = op.output.unwrap_or("()");
        let _ = writeln!(
            out,
            "impl crate::OperationInput for {} {{\n    type Output = {output};\n    const OPERATION: Operation = Operation::{};\n}}\n",
            op.input, op.name
        );
    }
    out.push_str("/// Calls `$m! {{ (Operation, snake_name, Input, Output), ... }}` with every operation.\n#[macro_export]\nmacro_rules! for_each_operation {\n    ($m:ident) => {\n        $m! {\n");
    for op in &ops {
        let _ = writeln!(
            out,
            "            ({}, {}, {}, {}),",
            op.name,
            names::snake(op.name),
            op.input,
            op.output.unwrap_or("()")
        );
    }
    out.push_str("        }\n    };\n}\n");
}

fn info(m: &Model, op: &Op, out: &mut String) {
    let http = &op.v["http"];
    let errors: Vec<String> = op.v["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["shape"].as_str()).map(|e| format!("ErrorCode::{e}")).collect())
        .unwrap_or_default();
    let bindings: Vec<String> = m
        .members(op.input)
        .iter()
        .filter_map(|mem| {
            let loc = match mem.location? {
                "uri" => "Uri",
                "querystring" => "Query",
                "header" => "Header",
                _ => return None,
            };
            let list = m.kind(mem.shape) == "list";
            Some(format!(
                "HttpBinding {{ member: \"{}\", location: Location::{loc}, name: \"{}\", list: {list} }}",
                mem.name,
                mem.location_name.unwrap_or(mem.name)
            ))
        })
        .collect();
    let _ = writeln!(
        out,
        "    OperationInfo {{ operation: Operation::{name}, name: \"{name}\", method: \"{}\", uri: \"{}\", success_status: {}, input: \"{}\", output: {}, readonly: {}, errors: &[{}], bindings: &[{}], pagination: {} }},",
        http["method"].as_str().unwrap_or("POST"),
        http["requestUri"].as_str().unwrap_or("/"),
        http["responseCode"].as_u64().unwrap_or(200),
        op.input,
        op.output.map(|o| format!("Some(\"{o}\")")).unwrap_or("None".into()),
        op.v["readonly"].as_bool().unwrap_or(false),
        errors.join(", "),
        bindings.join(", "),
        pagination(m, op),
        name = op.name,
    );
}

/// An operation is paginated when both its input and output carry `nextToken`; the page's items are
/// the output's list member (the Smithy model marks the same nine operations `@paginated`).
fn pagination(m: &Model, op: &Op) -> String {
    let Some(output) = op.output else { return "None".into() };
    let has_token = |s: &str| m.members(s).iter().any(|x| x.name == "nextToken");
    if !has_token(op.input) || !has_token(output) {
        return "None".into();
    }
    let items =
        m.members(output).into_iter().find(|x| m.kind(x.shape) == "list").map(|x| x.name).unwrap_or("");
    let max = m.members(op.input).into_iter().find(|x| x.name == "maxResults").map(|x| x.shape).unwrap_or("");
    format!(
        "Some(Pagination {{ items: \"{items}\", max_results_min: {}, max_results_max: {} }})",
        m.min(max).unwrap_or(1),
        m.max(max).unwrap_or(100)
    )
}
