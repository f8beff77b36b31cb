//! Member values from the command line, checked against the model's kinds (`openivs_model::members`):
//! the AWS CLI's shorthand syntax (`key=value,key2=value2`, nested `key={a=b}`, lists `key=[a,b]` or
//! `key=a,b`, quoting with `"…"` or `'…'`) turned into typed JSON, the check of JSON input (types,
//! enum values, unknown and missing members, with the member's path in the message), and the input
//! skeleton that `--generate-cli-skeleton` prints.

use openivs_model::members::{Kind, Member};
use serde_json::{Map, Value, json};

/// A parsed shorthand value, not yet typed.
#[derive(Clone, Debug, PartialEq)]
pub enum Sh {
    Text(String),
    Pairs(Vec<(String, Sh)>),
    List(Vec<Sh>),
}

/// Parses `key=value,key2=value2` (the shorthand of a structure or map).
pub fn parse_pairs(text: &str) -> Result<Vec<(String, Sh)>, String> {
    let mut p = Parser { s: text.chars().collect(), i: 0 };
    let pairs = p.pairs(None)?;
    Ok(pairs)
}

struct Parser {
    s: Vec<char>,
    i: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.i += 1;
        }
    }

    fn error(&self, what: &str) -> String {
        let at: String = self.s[..self.i.min(self.s.len())].iter().collect();
        format!("{what} after `{at}` (shorthand is key=value,key2=value2; or give JSON)")
    }

    fn pairs(&mut self, close: Option<char>) -> Result<Vec<(String, Sh)>, String> {
        let mut out = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == close {
                break;
            }
            let start = self.i;
            while self.peek().is_some_and(|c| !matches!(c, '=' | ',' | '{' | '}' | '[' | ']')) {
                self.i += 1;
            }
            let key: String = self.s[start..self.i].iter().collect::<String>().trim().to_string();
            if key.is_empty() || self.peek() != Some('=') {
                return Err(self.error("expected key="));
            }
            self.i += 1;
            // `a=b,c,d`: parts after the value that are not pairs make the value a list.
            let mut values = vec![self.value(close)?];
            while self.peek() == Some(',') && !self.pair_follows() {
                self.i += 1;
                values.push(self.value(close)?);
            }
            let value = if values.len() == 1 { values.remove(0) } else { Sh::List(values) };
            out.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(',') => self.i += 1,
                c if c == close => break,
                _ => return Err(self.error("expected `,`")),
            }
        }
        if close.is_some() {
            self.i += 1;
        }
        Ok(out)
    }

    /// Whether the text after the `,` at the cursor is `key=…`.
    fn pair_follows(&self) -> bool {
        for &c in &self.s[self.i + 1..] {
            match c {
                '=' => return true,
                ',' | '{' | '}' | '[' | ']' | '"' | '\'' => return false,
                _ => {}
            }
        }
        false
    }

    fn value(&mut self, close: Option<char>) -> Result<Sh, String> {
        self.skip_ws();
        match self.peek() {
            Some('{') => {
                self.i += 1;
                Ok(Sh::Pairs(self.pairs(Some('}'))?))
            }
            Some('[') => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    if self.peek() == Some(']') {
                        self.i += 1;
                        break;
                    }
                    items.push(self.value(Some(']'))?);
                    self.skip_ws();
                    match self.peek() {
                        Some(',') => self.i += 1,
                        Some(']') => {}
                        _ => return Err(self.error("expected `,` or `]`")),
                    }
                }
                Ok(Sh::List(items))
            }
            Some(q @ ('"' | '\'')) => {
                self.i += 1;
                let mut text = String::new();
                loop {
                    match self.peek() {
                        None => return Err(self.error("unterminated quote")),
                        Some('\\') if self.s.get(self.i + 1).is_some() => {
                            text.push(self.s[self.i + 1]);
                            self.i += 2;
                        }
                        Some(c) if c == q => {
                            self.i += 1;
                            break;
                        }
                        Some(c) => {
                            text.push(c);
                            self.i += 1;
                        }
                    }
                }
                Ok(Sh::Text(text))
            }
            _ => {
                let start = self.i;
                while self.peek().is_some_and(|c| c != ',' && Some(c) != close && c != ']' && c != '}') {
                    self.i += 1;
                }
                Ok(Sh::Text(self.s[start..self.i].iter().collect::<String>().trim().to_string()))
            }
        }
    }
}

/// A shorthand value as JSON of `kind`; `path` names it in errors.
pub fn coerce(sh: &Sh, kind: &Kind, path: &str) -> Result<Value, String> {
    match (sh, kind) {
        (Sh::Text(t), _) if is_scalar_kind(kind) => scalar(t, kind, path),
        (Sh::Text(_), Kind::List(inner)) => Ok(Value::Array(vec![coerce(sh, inner, path)?])),
        (Sh::List(items), Kind::List(inner)) => {
            items.iter().map(|i| coerce(i, inner, path)).collect::<Result<Vec<_>, _>>().map(Value::Array)
        }
        (Sh::Pairs(pairs), Kind::Map(inner)) => {
            let mut map = Map::new();
            for (k, v) in pairs {
                map.insert(k.clone(), coerce(v, inner, &format!("{path}.{k}"))?);
            }
            Ok(Value::Object(map))
        }
        (Sh::Pairs(pairs), Kind::Structure(_, members)) => {
            let mut map = Map::new();
            for (k, v) in pairs {
                let m = members.iter().find(|m| m.name == k).ok_or_else(|| unknown(path, k, members))?;
                map.insert(k.clone(), coerce(v, &m.kind, &join(path, k))?);
            }
            Ok(Value::Object(map))
        }
        _ => Err(format!("Invalid value for parameter {path}: expected {}", describe(kind))),
    }
}

/// A scalar of `kind` from its text: numbers parsed, booleans `true`/`false`, enum values checked.
pub fn scalar(text: &str, kind: &Kind, path: &str) -> Result<Value, String> {
    let bad = || format!("Invalid value for parameter {path}: {text:?} is not {}", a(kind));
    match kind {
        Kind::String => Ok(Value::String(text.to_string())),
        Kind::Integer => text.trim().parse::<i32>().map(Value::from).map_err(|_| bad()),
        Kind::Long => text.trim().parse::<i64>().map(Value::from).map_err(|_| bad()),
        Kind::Boolean => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(bad()),
        },
        Kind::Timestamp => Ok(text.trim().parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(text))),
        Kind::Enum(values) if values.contains(&text) => Ok(Value::String(text.to_string())),
        Kind::Enum(values) => Err(format!(
            "Invalid value for parameter {path}: {text:?}, must be one of: {}",
            values.join(", ")
        )),
        _ => Err(bad()),
    }
}

pub fn is_scalar_kind(kind: &Kind) -> bool {
    !matches!(kind, Kind::List(_) | Kind::Map(_) | Kind::Structure(..))
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_string() } else { format!("{path}.{name}") }
}

fn unknown(path: &str, key: &str, members: &[Member]) -> String {
    let names: Vec<&str> = members.iter().map(|m| m.name).collect();
    format!("Unknown parameter in input: {:?}, must be one of: {}", join(path, key), names.join(", "))
}

/// Checks JSON against the members of a structure: unknown members, missing required ones (when
/// `required` is set; the top level reports them as flags instead), and each value's type.
pub fn check_members(obj: &Value, members: &[Member], path: &str, required: bool) -> Result<(), String> {
    let Some(map) = obj.as_object() else {
        return Err(format!("Invalid type for parameter {}: expected an object", display(path)));
    };
    for (k, v) in map {
        let m = members.iter().find(|m| m.name == k).ok_or_else(|| unknown(path, k, members))?;
        check(v, &m.kind, &join(path, k))?;
    }
    if required && let Some(m) = members.iter().find(|m| m.required && !map.contains_key(m.name)) {
        return Err(format!("Missing required parameter in input: {:?}", join(path, m.name)));
    }
    Ok(())
}

fn display(path: &str) -> &str {
    if path.is_empty() { "input" } else { path }
}

/// Checks a JSON value against a kind.
pub fn check(v: &Value, kind: &Kind, path: &str) -> Result<(), String> {
    let ok = match (kind, v) {
        (Kind::String, Value::String(_)) | (Kind::Boolean, Value::Bool(_)) => true,
        (Kind::Integer, Value::Number(n)) => n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        (Kind::Long, Value::Number(n)) => n.as_i64().is_some(),
        (Kind::Timestamp, Value::String(_) | Value::Number(_)) => true,
        (Kind::Enum(_), Value::String(s)) => return scalar(s, kind, path).map(|_| ()),
        (Kind::List(inner), Value::Array(items)) => {
            return items.iter().try_for_each(|i| check(i, inner, path));
        }
        (Kind::Map(inner), Value::Object(map)) => {
            return map.iter().try_for_each(|(k, v)| check(v, inner, &format!("{path}.{k}")));
        }
        (Kind::Structure(_, members), Value::Object(_)) => return check_members(v, members, path, true),
        _ => false,
    };
    if ok { Ok(()) } else { Err(format!("Invalid type for parameter {path}: {v} is not {}", a(kind))) }
}

/// `a string`, `an integer`, … for messages.
fn a(kind: &Kind) -> String {
    let d = describe(kind);
    if matches!(kind, Kind::Integer | Kind::Enum(_)) { format!("an {d}") } else { format!("a {d}") }
}

/// What a kind is called in messages and help.
pub fn describe(kind: &Kind) -> String {
    match kind {
        Kind::String => "string".into(),
        Kind::Integer => "integer".into(),
        Kind::Long => "long integer".into(),
        Kind::Boolean => "boolean".into(),
        Kind::Timestamp => "timestamp".into(),
        Kind::Enum(v) => format!("enum value ({})", v.join("|")),
        Kind::List(inner) => format!("list of {}", describe(inner)),
        Kind::Map(inner) => format!("map of {}", describe(inner)),
        Kind::Structure(name, _) => format!("{name} structure"),
    }
}

/// The shorthand syntax of a structure's members, for help: `bucketName=string`.
pub fn syntax(members: &[Member]) -> String {
    let one = |m: &Member| {
        let v = match m.kind {
            Kind::Enum(values) => values.join("|"),
            Kind::List(inner) if is_scalar_kind(inner) => format!("{0},{0}", short(inner)),
            Kind::Structure(_, inner) => format!("{{{}}}", syntax(inner)),
            ref k => short(k),
        };
        format!("{}={v}", m.name)
    };
    members.iter().map(one).collect::<Vec<_>>().join(",")
}

fn short(kind: &Kind) -> String {
    match kind {
        Kind::String | Kind::Timestamp => "string".into(),
        Kind::Integer | Kind::Long => "integer".into(),
        Kind::Boolean => "boolean".into(),
        Kind::Enum(v) => v.join("|"),
        _ => "JSON".into(),
    }
}

/// A JSON skeleton of a value of `kind`, as `--generate-cli-skeleton` prints it.
pub fn skeleton(kind: &Kind) -> Value {
    match kind {
        Kind::String | Kind::Timestamp => json!(""),
        Kind::Integer | Kind::Long => json!(0),
        Kind::Boolean => json!(true),
        Kind::Enum(values) => json!(values.first().copied().unwrap_or("")),
        Kind::List(inner) => json!([skeleton(inner)]),
        Kind::Map(inner) => json!({ "KeyName": skeleton(inner) }),
        Kind::Structure(_, members) => skeleton_of(members),
    }
}

/// The skeleton of a structure's members.
pub fn skeleton_of(members: &[Member]) -> Value {
    Value::Object(members.iter().map(|m| (m.name.to_string(), skeleton(&m.kind))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use openivs_model::Operation;

    fn kind_of(op: Operation, name: &str) -> Kind {
        op.input_members().iter().find(|m| m.name == name).map(|m| m.kind).unwrap()
    }

    #[test]
    fn shorthand_nests_quotes_and_makes_lists() {
        let p = parse_pairs("a=1, b={c=d,e=[f,g]},h='x,y',i=j,k,l").unwrap();
        assert_eq!(p[0], ("a".into(), Sh::Text("1".into())));
        let Sh::Pairs(inner) = &p[1].1 else { panic!("{p:?}") };
        assert_eq!(inner[1].1, Sh::List(vec![Sh::Text("f".into()), Sh::Text("g".into())]));
        assert_eq!(p[2].1, Sh::Text("x,y".into()));
        assert_eq!(p[3].1, Sh::List(["j", "k", "l"].iter().map(|s| Sh::Text(s.to_string())).collect()));
        assert!(parse_pairs("novalue").is_err());
        assert!(parse_pairs("a={b=c").is_err());
    }

    #[test]
    fn shorthand_is_typed_by_the_model() {
        let kind = kind_of(Operation::CreateChannel, "multitrackInputConfiguration");
        let sh = Sh::Pairs(parse_pairs("enabled=true,policy=ALLOW,maximumResolution=HD").unwrap());
        let v = coerce(&sh, &kind, "multitrackInputConfiguration").unwrap();
        assert_eq!(v, json!({"enabled": true, "policy": "ALLOW", "maximumResolution": "HD"}));
        let bad = Sh::Pairs(parse_pairs("policy=NOPE").unwrap());
        assert!(coerce(&bad, &kind, "m").unwrap_err().contains("must be one of: ALLOW, REQUIRE"));
        let typo = Sh::Pairs(parse_pairs("enabld=true").unwrap());
        assert!(coerce(&typo, &kind, "m").unwrap_err().contains("Unknown parameter in input: \"m.enabld\""));
        let dest = kind_of(Operation::CreateRecordingConfiguration, "destinationConfiguration");
        let sh = Sh::Pairs(parse_pairs("s3={bucketName=b}").unwrap());
        assert_eq!(coerce(&sh, &dest, "d").unwrap(), json!({"s3": {"bucketName": "b"}}));
    }

    #[test]
    fn json_is_checked_with_paths() {
        let members = Operation::CreateRecordingConfiguration.input_members();
        let ok = json!({"destinationConfiguration": {"s3": {"bucketName": "b"}}, "tags": {"a": "1"}});
        assert!(check_members(&ok, members, "", false).is_ok());
        let missing = json!({"destinationConfiguration": {"s3": {}}});
        let e = check_members(&missing, members, "", false).unwrap_err();
        assert_eq!(e, "Missing required parameter in input: \"destinationConfiguration.s3.bucketName\"");
        let e = check_members(&json!({"recordingReconnectWindowSeconds": "x"}), members, "", false);
        assert!(e.unwrap_err().contains("recordingReconnectWindowSeconds"));
        assert!(check_members(&json!({"nope": 1}), members, "", false).is_err());
        assert_eq!(skeleton_of(Operation::GetChannel.input_members()), json!({"arn": ""}));
    }
}
