//! `openivs ingest-url <channel>`: the URL an encoder (OBS, ffmpeg) publishes to, from the channel's
//! `ingestEndpoint` (or, with `--srt`, its `srt` endpoint and passphrase) and the value of its stream
//! key (GetChannel, ListStreamKeys, GetStreamKey), built by openivs-client's ingest helper. The
//! channel is named by its ARN or by its name.

use openivs_client::ingest::{ingest_url, srt_ingest_url};
use openivs_client::types::{
    Channel, GetChannelRequest, GetStreamKeyRequest, ListChannelsRequest, ListStreamKeysRequest,
};
use openivs_client::{Client, OperationError, SdkError};
use openivs_model::Operation;
use serde_json::json;

use crate::connect::ClientArgs;
use crate::error::Failure;
use crate::output::{self, Format};

#[derive(clap::Args)]
pub struct IngestUrlArgs {
    /// The channel: its ARN, or its name.
    channel: String,
    /// A plain RTMP URL instead of RTMPS; the channel must allow insecure ingest.
    #[arg(long)]
    insecure: bool,
    /// The port of plain RTMP ingest, for `--insecure`. The API names only the RTMPS endpoint
    /// (`ingestEndpoint`), so this cannot be looked up: give the port of `openivs serve --rtmp-listen`
    /// when it is not the default (IVS's and openivs's 1935).
    #[arg(long, default_value_t = 1935, requires = "insecure")]
    rtmp_port: u16,
    /// The SRT URL (`srt://<srt.endpoint>:9000?streamid=<key>&passphrase=<passphrase>`) instead of
    /// RTMPS: ffmpeg's output URL, or OBS's server with an empty stream key.
    #[arg(long, conflicts_with = "insecure")]
    srt: bool,
    #[command(flatten)]
    client: ClientArgs,
}

fn call_failed<E: OperationError>(client: &Client, op: Operation) -> impl FnOnce(SdkError<E>) -> Failure {
    let endpoint = client.config().endpoint_url().to_string();
    move |e| Failure::call(op, &endpoint, e.map_service_error(E::into_service_error))
}

/// Runs `openivs ingest-url`: prints the URL (or, with `--output`, the URL, the server part and the
/// stream key apart, for encoders that ask for them separately).
pub async fn run(args: IngestUrlArgs) -> Result<(), Failure> {
    let client = args.client.client()?;
    let arn = if args.channel.starts_with("arn:") {
        args.channel.clone()
    } else {
        by_name(&client, &args.channel).await?
    };
    let channel = client
        .get_channel(GetChannelRequest { arn: Some(arn.clone()) })
        .await
        .map_err(call_failed(&client, Operation::GetChannel))?
        .channel
        .unwrap_or_default();
    let listed = client
        .list_stream_keys(ListStreamKeysRequest { channel_arn: Some(arn.clone()), ..Default::default() })
        .await
        .map_err(call_failed(&client, Operation::ListStreamKeys))?;
    let summary = listed.stream_keys.unwrap_or_default().into_iter().next().ok_or_else(|| {
        Failure::other(format!(
            "channel {arn} has no stream key (create one: openivs ivs create-stream-key --channel-arn {arn})"
        ))
    })?;
    let key = client
        .get_stream_key(GetStreamKeyRequest { arn: summary.arn })
        .await
        .map_err(call_failed(&client, Operation::GetStreamKey))?
        .stream_key
        .unwrap_or_default();
    let build = if args.srt { srt_ingest_url } else { ingest_url };
    let url = build(&channel, &key).map_err(|e| Failure::other(format!("channel {arn}: {e}")))?;
    let url = if args.insecure { insecure(&url, &channel, args.rtmp_port) } else { url };
    match args.client.output {
        None => output::emit(&format!("{url}\n")),
        Some(format) => {
            // RTMP encoders ask for the server and the key apart; SRT's URL is one piece.
            let value = match url.rsplit_once('/') {
                Some((server, stream_key)) if !args.srt => {
                    json!({ "url": url, "server": format!("{server}/"), "streamKey": stream_key })
                }
                _ => json!({ "url": url }),
            };
            let text = match format {
                Format::Text => format!("{url}\n"),
                f => output::render(&value, f, "IngestUrl"),
            };
            output::emit(&text);
        }
    }
    Ok(())
}

/// `rtmps://host:port/app/key` → `rtmp://host:<rtmp_port>/app/key`.
fn insecure(url: &str, channel: &Channel, rtmp_port: u16) -> String {
    if channel.insecure_ingest != Some(true) {
        eprintln!(
            "note: the channel does not allow insecure ingest (openivs ivs update-channel --insecure-ingest)"
        );
    }
    let rest = url.trim_start_matches("rtmps://");
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = match authority.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => authority,
    };
    format!("rtmp://{host}:{rtmp_port}/{path}")
}

/// The ARN of the channel named `name` (it must be the only one).
async fn by_name(client: &Client, name: &str) -> Result<String, Failure> {
    let input = ListChannelsRequest { filter_by_name: Some(name.to_string()), ..Default::default() };
    let channels = client
        .list_channels_paginator(input)
        .collect_items()
        .await
        .map_err(call_failed(client, Operation::ListChannels))?;
    let arns: Vec<String> =
        channels.into_iter().filter(|c| c.name.as_deref() == Some(name)).filter_map(|c| c.arn).collect();
    match arns.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Failure::other(format!("no channel named {name:?}"))),
        many => Err(Failure::other(format!(
            "{} channels are named {name:?}; give an ARN: {}",
            many.len(),
            many.join(" ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insecure_urls_use_rtmp_on_the_given_port() {
        let c = Channel { insecure_ingest: Some(true), ..Default::default() };
        assert_eq!(insecure("rtmps://127.0.0.1:4443/app/sk_x", &c, 1935), "rtmp://127.0.0.1:1935/app/sk_x");
        assert_eq!(insecure("rtmps://a.b:443/app/k", &c, 1935), "rtmp://a.b:1935/app/k");
        assert_eq!(insecure("rtmps://a.b/app/k", &c, 19350), "rtmp://a.b:19350/app/k");
    }

    #[test]
    fn the_rtmp_port_flag_is_parsed_and_needs_insecure() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: IngestUrlArgs,
        }
        use clap::Parser;
        let parsed = Cli::try_parse_from(["x", "demo", "--insecure", "--rtmp-port", "19350"]).unwrap();
        assert_eq!((parsed.args.insecure, parsed.args.rtmp_port), (true, 19350));
        assert_eq!(Cli::try_parse_from(["x", "demo", "--insecure"]).unwrap().args.rtmp_port, 1935);
        assert!(Cli::try_parse_from(["x", "demo", "--rtmp-port", "19350"]).is_err());
    }
}
