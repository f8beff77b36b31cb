//! The flags of `openivs ivs <operation>`, built from the model's member tables: `--` and the
//! member's name in kebab case, as the AWS CLI names them. Scalars take one value, parsed by type
//! (booleans are `--flag` / `--no-flag`, enum values are checked); lists take several values
//! (`--arns a b c`, or `a,b,c`) or a JSON list; maps take `key=value` pairs or a JSON object;
//! structures take the shorthand `key=value,key2=value2` or JSON. Any value may be `file://path`.
//! `--cli-input-json` gives the whole input as JSON; flags override its members.

use clap::builder::PossibleValuesParser;
use clap::error::ErrorKind;
use clap::{Arg, ArgAction, ArgMatches, Command};
use openivs_model::Operation;
use openivs_model::members::{Kind, Member};
use serde_json::{Map, Value};

use crate::error::Failure;
use crate::values::{self, Sh};

pub const CLI_INPUT_JSON: &str = "cli-input-json";
pub const SKELETON: &str = "generate-cli-skeleton";
pub const NO_PAGINATE: &str = "no-paginate";
pub const MAX_ITEMS: &str = "max-items";
pub const PAGE_SIZE: &str = "page-size";
pub const STARTING_TOKEN: &str = "starting-token";

/// The subcommand of one operation, with a flag per input member.
pub fn command(op: Operation) -> Command {
    let info = op.info();
    let mut cmd = Command::new(op.cli_name())
        .about(format!("{} {}", info.method, info.uri))
        .after_help("Members marked [required] must be given, by flag or in --cli-input-json.");
    for m in op.input_members() {
        cmd = cmd.arg(member_arg(m));
        if m.kind == Kind::Boolean {
            let no = format!("no-{}", m.flag);
            let arg = Arg::new(no.clone()).long(no).action(ArgAction::SetTrue).overrides_with(m.flag);
            cmd = cmd.arg(arg.help(format!("Sets {} to false", m.name)));
        }
    }
    cmd = cmd
        .arg(
            Arg::new(CLI_INPUT_JSON)
                .long(CLI_INPUT_JSON)
                .value_name("JSON")
                .help("The input as JSON, or file://path of a JSON file; flags override its members"),
        )
        .arg(
            Arg::new(SKELETON)
                .long(SKELETON)
                .num_args(0..=1)
                .value_name("input")
                .default_missing_value("input")
                .value_parser(["input"])
                .help("Print a JSON skeleton of the input (for --cli-input-json) and exit"),
        );
    if let Some(p) = info.pagination {
        let heading = "Pagination (all pages are fetched unless --max-results or --next-token is given)";
        cmd = cmd
            .next_help_heading(heading)
            .arg(
                Arg::new(NO_PAGINATE)
                    .long(NO_PAGINATE)
                    .action(ArgAction::SetTrue)
                    .help("Fetch only the first page"),
            )
            .arg(
                Arg::new(MAX_ITEMS)
                    .long(MAX_ITEMS)
                    .value_name("N")
                    .value_parser(clap::value_parser!(u64).range(1..))
                    .help(format!("Stop after N {}; prints a NextToken for --starting-token", p.items)),
            )
            .arg(
                Arg::new(PAGE_SIZE)
                    .long(PAGE_SIZE)
                    .value_name("N")
                    .value_parser(clap::value_parser!(i64))
                    .help(format!("maxResults of each call ({}-{})", p.max_results_min, p.max_results_max)),
            )
            .arg(
                Arg::new(STARTING_TOKEN)
                    .long(STARTING_TOKEN)
                    .value_name("TOKEN")
                    .help("Resume from the NextToken of an earlier --max-items call"),
            );
    }
    cmd
}

fn member_arg(m: &Member) -> Arg {
    let required = if m.required { " [required]" } else { "" };
    let arg = Arg::new(m.flag).long(m.flag);
    match m.kind {
        Kind::Boolean => arg
            .action(ArgAction::SetTrue)
            .overrides_with(format!("no-{}", m.flag))
            .help(format!("Sets {} to true{required}", m.name)),
        Kind::Enum(values) => arg
            .value_name(m.shape)
            .value_parser(PossibleValuesParser::new(values.iter().copied()))
            .help(format!("{}{required}", m.name)),
        Kind::String | Kind::Timestamp | Kind::Integer | Kind::Long => arg
            .value_name(values::describe(&m.kind))
            .allow_negative_numbers(matches!(m.kind, Kind::Integer | Kind::Long))
            .help(format!("{}{required}", m.name)),
        Kind::List(inner) => {
            let what = match inner {
                Kind::Structure(_, members) => format!("each {}, or a JSON list", values::syntax(members)),
                k => format!("{}s, or a JSON list", values::describe(k)),
            };
            arg.num_args(1..)
                .action(ArgAction::Append)
                .value_name(m.shape)
                .help(format!("{}: one or more {what}{required}", m.name))
        }
        Kind::Map(_) => arg
            .num_args(1..)
            .action(ArgAction::Append)
            .value_name("KEY=VALUE")
            .help(format!("{}: key=value pairs, or a JSON object{required}", m.name)),
        Kind::Structure(name, members) => {
            arg.value_name(name).help(format!("{}: {}, or JSON{required}", m.name, values::syntax(members)))
        }
    }
}

/// The operation's input as JSON, from `--cli-input-json` and the flags, checked against the model.
pub fn input(op: Operation, matches: &ArgMatches) -> Result<Value, Failure> {
    let usage = |kind: ErrorKind, message: String| {
        Failure::from(command(op).bin_name(format!("openivs ivs {}", op.cli_name())).error(kind, message))
    };
    let mut obj = match matches.get_one::<String>(CLI_INPUT_JSON) {
        Some(text) => {
            let text = file_arg(text).map_err(|e| usage(ErrorKind::Io, e))?;
            match serde_json::from_str::<Value>(&text) {
                Ok(Value::Object(map)) => map,
                Ok(_) => {
                    return Err(usage(
                        ErrorKind::ValueValidation,
                        "--cli-input-json must be a JSON object".into(),
                    ));
                }
                Err(e) => {
                    return Err(usage(
                        ErrorKind::ValueValidation,
                        format!("--cli-input-json is not JSON: {e}"),
                    ));
                }
            }
        }
        None => Map::new(),
    };
    for m in op.input_members() {
        if let Some(v) = member(m, matches).map_err(|e| usage(ErrorKind::ValueValidation, e))? {
            obj.insert(m.name.to_string(), v);
        }
    }
    let missing: Vec<String> = op
        .input_members()
        .iter()
        .filter(|m| m.required && !obj.contains_key(m.name))
        .map(|m| format!("  --{} <{}>", m.flag, m.shape))
        .collect();
    let value = Value::Object(obj);
    values::check_members(&value, op.input_members(), "", false)
        .map_err(|e| usage(ErrorKind::ValueValidation, format!("Parameter validation failed: {e}")))?;
    if !missing.is_empty() {
        let message = format!("the following required arguments were not provided:\n{}", missing.join("\n"));
        return Err(usage(ErrorKind::MissingRequiredArgument, message));
    }
    Ok(value)
}

/// A value, or the contents of the file it names as `file://path`.
pub fn file_arg(value: &str) -> Result<String, String> {
    match value.strip_prefix("file://") {
        Some(path) => {
            std::fs::read_to_string(path).map_err(|e| format!("Unable to load paramfile {value}: {e}"))
        }
        None => Ok(value.to_string()),
    }
}

/// The value of a member given by flag, if it was.
fn member(m: &Member, matches: &ArgMatches) -> Result<Option<Value>, String> {
    if m.kind == Kind::Boolean {
        return Ok(if matches.get_flag(m.flag) {
            Some(Value::Bool(true))
        } else if matches.get_flag(&format!("no-{}", m.flag)) {
            Some(Value::Bool(false))
        } else {
            None
        });
    }
    let Some(raw) = matches.get_many::<String>(m.flag) else { return Ok(None) };
    let raw = raw.map(|r| file_arg(r)).collect::<Result<Vec<_>, _>>()?;
    let path = m.name;
    let json = |text: &str| {
        let v: Value =
            serde_json::from_str(text).map_err(|e| format!("--{}: not valid JSON: {e}", m.flag))?;
        values::check(&v, &m.kind, path).map(|()| v)
    };
    let first = raw.first().map(|s| s.trim_start()).unwrap_or_default();
    let value = match m.kind {
        Kind::List(_) if raw.len() == 1 && first.starts_with('[') => json(first)?,
        Kind::Map(_) | Kind::Structure(..) if raw.len() == 1 && first.starts_with('{') => json(first)?,
        Kind::List(inner) => {
            let mut items = Vec::new();
            for r in &raw {
                match inner {
                    Kind::Structure(..) if r.trim_start().starts_with('{') => {
                        let v: Value =
                            serde_json::from_str(r).map_err(|e| format!("--{}: not JSON: {e}", m.flag))?;
                        values::check(&v, inner, path)?;
                        items.push(v);
                    }
                    Kind::Structure(..) => {
                        items.push(values::coerce(&Sh::Pairs(values::parse_pairs(r)?), inner, path)?)
                    }
                    k => {
                        for part in r.split(',').filter(|p| !p.is_empty()) {
                            items.push(values::scalar(part, k, path)?);
                        }
                    }
                }
            }
            Value::Array(items)
        }
        Kind::Map(_) => {
            let mut map = Map::new();
            for r in &raw {
                if let Value::Object(part) =
                    values::coerce(&Sh::Pairs(values::parse_pairs(r)?), &m.kind, path)?
                {
                    map.extend(part);
                }
            }
            Value::Object(map)
        }
        Kind::Structure(..) => {
            values::coerce(&Sh::Pairs(values::parse_pairs(&raw.join(","))?), &m.kind, path)?
        }
        Kind::String | Kind::Integer | Kind::Long | Kind::Boolean | Kind::Timestamp | Kind::Enum(_) => {
            values::scalar(&raw[0], &m.kind, path)?
        }
    };
    Ok(Some(value))
}
