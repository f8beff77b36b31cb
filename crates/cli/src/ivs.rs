//! `openivs ivs <operation> [flags]`: every IVS operation by its AWS CLI name (`create-channel`,
//! `list-tags-for-resource`), its input from flags and `--cli-input-json` (see [`crate::args`]), its
//! output printed as JSON, text or a table. List operations fetch every page, as the AWS CLI does,
//! unless `--no-paginate`, `--max-results` or `--next-token` is given; `--max-items` stops early and
//! prints a `NextToken` to resume from with `--starting-token`.

use std::collections::HashSet;

use clap::{ArgMatches, FromArgMatches, Subcommand};
use openivs_client::Client;
use openivs_model::{Operation, Pagination};
use serde_json::{Map, Value};

use crate::args::{self, MAX_ITEMS, NO_PAGINATE, PAGE_SIZE, SKELETON, STARTING_TOKEN};
use crate::connect::ClientArgs;
use crate::dispatch::call;
use crate::error::Failure;
use crate::{output, values};

/// `openivs ivs`: the connection options and the operation.
#[derive(clap::Args)]
#[command(
    about = "Call any IVS operation, as `aws ivs` does: openivs ivs create-channel --name demo",
    after_help = "Exit codes: 0 success, 2 usage error, 253 configuration error, \
                  254 error returned by the service, 255 any other failure."
)]
pub struct IvsArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(subcommand)]
    pub call: OperationCall,
}

/// The operation named on the command line, and its flags.
pub struct OperationCall {
    op: Operation,
    matches: ArgMatches,
}

impl FromArgMatches for OperationCall {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let (name, sub) = matches.subcommand().ok_or_else(|| {
            clap::Error::raw(clap::error::ErrorKind::MissingSubcommand, "an operation is required\n")
        })?;
        let op = Operation::from_cli_name(name).ok_or_else(|| {
            clap::Error::raw(clap::error::ErrorKind::InvalidSubcommand, format!("no operation {name}\n"))
        })?;
        Ok(Self { op, matches: sub.clone() })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Subcommand for OperationCall {
    fn augment_subcommands(cmd: clap::Command) -> clap::Command {
        cmd.subcommands(Operation::ALL.iter().map(|op| args::command(*op)))
            .subcommand_required(true)
            .subcommand_value_name("OPERATION")
            .subcommand_help_heading("Operations")
    }

    fn augment_subcommands_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_subcommands(cmd)
    }

    fn has_subcommand(name: &str) -> bool {
        Operation::from_cli_name(name).is_some()
    }
}

/// Runs `openivs ivs …`.
pub async fn run(args: IvsArgs) -> Result<(), Failure> {
    let OperationCall { op, matches } = args.call;
    if matches.get_one::<String>(SKELETON).is_some() {
        output::emit(&output::json(&values::skeleton_of(op.input_members())));
        return Ok(());
    }
    let input = args::input(op, &matches)?;
    let client = args.client.client()?;
    let output = match op.info().pagination {
        Some(p) if paginates(&matches, &input) => all_pages(&client, op, input, p, &matches).await?,
        Some(_) => call(&client, op, one_page(input, &matches)).await?,
        None => call(&client, op, input).await?,
    };
    output::print(&output, args.client.format(), op.info().name);
    Ok(())
}

/// Whether to fetch every page: not when the caller chose a page (the AWS CLI's rule).
fn paginates(matches: &ArgMatches, input: &Value) -> bool {
    !matches.get_flag(NO_PAGINATE) && input.get("nextToken").is_none() && input.get("maxResults").is_none()
}

/// The input of a single page: `--starting-token` and `--page-size` fill in `nextToken` and
/// `maxResults` when those are not given themselves.
fn one_page(mut input: Value, matches: &ArgMatches) -> Value {
    if let Some(obj) = input.as_object_mut() {
        if let Some(t) = matches.get_one::<String>(STARTING_TOKEN) {
            obj.entry("nextToken").or_insert_with(|| t.clone().into());
        }
        if let Some(n) = matches.get_one::<i64>(PAGE_SIZE) {
            obj.entry("maxResults").or_insert_with(|| (*n).into());
        }
    }
    input
}

/// Calls a list operation page after page and returns one output with the items of all of them.
/// With `--max-items`, each page asks for no more than what is still wanted, so the listing stops at
/// a page boundary and the service's own token resumes it.
async fn all_pages(
    client: &Client,
    op: Operation,
    input: Value,
    p: Pagination,
    matches: &ArgMatches,
) -> Result<Value, Failure> {
    let page_size = matches.get_one::<i64>(PAGE_SIZE).copied();
    let max_items = matches.get_one::<u64>(MAX_ITEMS).map(|n| usize::try_from(*n).unwrap_or(usize::MAX));
    let mut token = matches.get_one::<String>(STARTING_TOKEN).cloned();
    let mut seen = HashSet::new();
    let mut items = Vec::new();
    let mut first: Option<Map<String, Value>> = None;
    loop {
        let mut request = input.as_object().cloned().unwrap_or_default();
        let remaining = max_items.map(|m| i64::try_from(m - items.len()).unwrap_or(i64::MAX));
        let size = match (page_size, remaining) {
            (Some(s), Some(r)) => Some(s.min(r)),
            (None, Some(r)) => Some(r.min(p.max_results_max)),
            (s, None) => s,
        };
        if let Some(size) = size {
            request.insert("maxResults".into(), size.into());
        }
        if let Some(t) = &token {
            request.insert("nextToken".into(), t.clone().into());
        }
        let mut page = match call(client, op, Value::Object(request)).await? {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        token = page.remove("nextToken").and_then(|t| t.as_str().map(str::to_owned));
        if let Some(Value::Array(page_items)) = page.remove(p.items) {
            items.extend(page_items);
        }
        first.get_or_insert(page);
        match &token {
            // A token the service already gave would loop forever.
            Some(t) if seen.insert(t.clone()) => {}
            _ => {
                token = None;
                break;
            }
        }
        if max_items.is_some_and(|m| items.len() >= m) {
            break;
        }
    }
    let mut out = first.unwrap_or_default();
    out.insert(p.items.into(), Value::Array(items));
    if let Some(t) = token {
        out.insert("NextToken".into(), t.into());
    }
    Ok(Value::Object(out))
}
