//! Turns an HTTP request into an operation's input: the JSON body (`{}` when empty), plus the members
//! bound to the URI label and query (`/tags/{resourceArn}`, `?tagKeys=a&tagKeys=b`), then a typed
//! value through serde, with errors that name the member at fault.

use super::error::ApiError;
use openivs_model::{Location, OperationInfo};
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Builds the JSON input of `op` from the body, the raw path label and the raw query.
pub fn input_json(
    op: &OperationInfo,
    body: &[u8],
    label: Option<&str>,
    query: &str,
) -> Result<Value, ApiError> {
    let mut obj = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => m,
            // IVS reports a body it cannot read as a ValidationException (ivs-api.md §1.4), which the
            // SDKs decode as a typed error of every operation.
            Ok(_) => return Err(ApiError::validation("The request body must be a JSON object")),
            Err(e) => return Err(ApiError::validation(format!("The request body is not valid JSON: {e}"))),
        }
    };
    for b in op.bindings {
        match b.location {
            Location::Uri => {
                let raw = label.unwrap_or_default();
                let value = percent_decode_str(raw).decode_utf8().map_err(|_| {
                    ApiError::validation(format!("The {} in the path is not valid UTF-8", b.member))
                })?;
                obj.insert(b.member.into(), Value::String(value.into_owned()));
            }
            Location::Query => {
                let values = query_values(query, b.name)?;
                if values.is_empty() {
                    continue;
                }
                let v = if b.list {
                    Value::Array(values.into_iter().map(Value::String).collect())
                } else {
                    Value::String(values.into_iter().next().unwrap_or_default())
                };
                obj.insert(b.member.into(), v);
            }
            Location::Header => {}
        }
    }
    Ok(Value::Object(obj))
}

/// All values of query parameter `name`, decoded (`+` is a space, as form encoding has it).
fn query_values(query: &str, name: &str) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_decode_str(&s.replace('+', " "))
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| ApiError::validation("The query string is not valid UTF-8"))
        };
        if decode(k)? == name {
            out.push(decode(v)?);
        }
    }
    Ok(out)
}

/// Deserializes an input, naming the member whose JSON type is wrong.
pub fn decode<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        ApiError::validation(format!(
            "1 validation error detected: Value at '{path}' failed to deserialize: {}",
            e.inner()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use openivs_model::Operation;

    #[test]
    fn label_and_repeated_query_are_bound() {
        let op = Operation::UntagResource.info();
        let v = input_json(
            op,
            b"",
            Some("arn%3Aaws%3Aivs%3Aus-west-2%3A1%3Achannel%2Fabc"),
            "tagKeys=a&tagKeys=b%20c&x=1",
        )
        .unwrap();
        assert_eq!(v["resourceArn"], "arn:aws:ivs:us-west-2:1:channel/abc");
        assert_eq!(v["tagKeys"], serde_json::json!(["a", "b c"]));
    }

    #[test]
    fn body_must_be_an_object() {
        let op = Operation::GetChannel.info();
        assert_eq!(input_json(op, b" ", None, "").unwrap(), serde_json::json!({}));
        let e = input_json(op, b"[1]", None, "").unwrap_err();
        assert_eq!((e.status, e.code), (400, "ValidationException"));
        assert!(input_json(op, b"{\"arn\":", None, "").unwrap_err().message.contains("not valid JSON"));
    }

    #[test]
    fn wrong_types_name_the_member() {
        let e = decode::<openivs_model::CreateChannelRequest>(serde_json::json!({"authorized": "yes"}))
            .unwrap_err();
        assert_eq!(e.code, "ValidationException");
        assert!(e.message.contains("'authorized'"), "{}", e.message);
    }
}
