//! The second half of the tour: a private channel using every kind of configuration (sent as a
//! command, the JavaScript v3 way), its stream keys, tags, streams and viewer-session revocation,
//! each read back by the official SDK too.

use std::collections::{BTreeMap, BTreeSet};

use conformance::ACCOUNT;
use openivs_client::ingest::ingest_url;
use openivs_client::token::{PlaybackClaims, PlaybackTokenSigner};
use openivs_client::types::*;
use openivs_client::*;

use crate::same_err;
use crate::tour::{s, sorted};

/// The configurations the channel uses.
pub struct Refs {
    pub rc: String,
    pub policy: String,
    pub ad: String,
    pub slate: String,
}

/// Our channel and the SDK's agree on every member.
fn same_channel(mine: &Channel, theirs: &aws_sdk_ivs::types::Channel) {
    let en = |e: Option<String>| e.unwrap_or_default();
    assert_eq!(mine.arn.as_deref(), theirs.arn());
    assert_eq!(mine.name.as_deref(), theirs.name());
    assert_eq!(
        en(mine.r#type.as_ref().map(|t| t.to_string())),
        theirs.r#type().map(|t| t.as_str()).unwrap_or_default()
    );
    let latency = mine.latency_mode.as_ref().map(|t| t.to_string());
    assert_eq!(en(latency), theirs.latency_mode().map(|t| t.as_str()).unwrap_or_default());
    assert_eq!(mine.ingest_endpoint.as_deref(), theirs.ingest_endpoint());
    assert_eq!(mine.playback_url.as_deref(), theirs.playback_url());
    assert_eq!(mine.authorized, Some(theirs.authorized()));
    assert_eq!(mine.insecure_ingest, Some(theirs.insecure_ingest()));
    assert_eq!(mine.recording_configuration_arn.as_deref(), theirs.recording_configuration_arn());
    assert_eq!(mine.playback_restriction_policy_arn.as_deref(), theirs.playback_restriction_policy_arn());
    assert_eq!(mine.ad_configuration_arn.as_deref(), theirs.ad_configuration_arn());
    assert_eq!(mine.failover_slate_configuration_arn.as_deref(), theirs.failover_slate_configuration_arn());
    let preset = mine.preset.as_ref().map(|p| p.to_string());
    assert_eq!(en(preset), theirs.preset().map(|p| p.as_str()).unwrap_or_default());
    let tags: BTreeMap<_, _> = theirs.tags().map(|t| t.clone().into_iter().collect()).unwrap_or_default();
    assert_eq!(mine.tags.clone().unwrap_or_default(), tags);
    assert_eq!(
        mine.srt.as_ref().and_then(|s| s.endpoint.as_deref()),
        theirs.srt().and_then(|s| s.endpoint())
    );
}

/// Creates the channel and runs the channel, stream-key, tag and stream operations; returns the
/// channel's ARN.
pub async fn channel_and_streams(
    c: &Client,
    sdk: &aws_sdk_ivs::Client,
    refs: &Refs,
    signer: &PlaybackTokenSigner,
    done: &mut BTreeSet<&'static str>,
) -> String {
    let (rc_arn, policy_arn, ad_arn, slate_arn) =
        (refs.rc.as_str(), refs.policy.as_str(), refs.ad.as_str(), refs.slate.as_str());
    // A private channel that uses all of them, sent as a command (the JavaScript v3 way).
    let input = CreateChannelRequest {
        name: s("tour"),
        authorized: Some(true),
        recording_configuration_arn: s(rc_arn),
        playback_restriction_policy_arn: s(policy_arn),
        ad_configuration_arn: s(ad_arn),
        failover_slate_configuration_arn: s(slate_arn),
        tags: Some([("env".to_string(), "tour".to_string())].into()),
        ..Default::default()
    };
    let created = c.send(CreateChannelCommand::new(input)).await.expect("create channel");
    let (channel, first_key) = (created.channel.expect("channel"), created.stream_key.expect("stream key"));
    let ch_arn = channel.arn.clone().expect("channel arn");
    let url = ingest_url(&channel, &first_key).expect("ingest url");
    assert!(
        url.starts_with("rtmps://")
            && url.ends_with(&format!("/app/{}", first_key.value.clone().unwrap_or_default())),
        "{url}"
    );
    let token =
        signer.sign(&PlaybackClaims::new(&ch_arn, std::time::Duration::from_secs(60))).expect("token");
    assert_eq!(token.split('.').count(), 3);
    done.insert("CreateChannel");
    let got = c
        .get_channel(GetChannelRequest { arn: s(&ch_arn) })
        .await
        .expect("get channel")
        .channel
        .expect("channel");
    assert_eq!(got, channel);
    same_channel(
        &got,
        sdk.get_channel().arn(&ch_arn).send().await.expect("sdk get channel").channel().expect("channel"),
    );
    done.insert("GetChannel");
    let up = c.update_channel(UpdateChannelRequest {
        arn: s(&ch_arn),
        name: s("tour-live"),
        ..Default::default()
    });
    let up = up.await.expect("update channel").channel.expect("channel");
    assert_eq!((up.name.as_deref(), up.ad_configuration_arn.as_deref()), (Some("tour-live"), Some(ad_arn)));
    same_channel(
        &up,
        sdk.get_channel().arn(&ch_arn).send().await.expect("sdk get").channel().expect("channel"),
    );
    done.insert("UpdateChannel");
    let missing = format!("arn:aws:ivs:us-west-2:{ACCOUNT}:channel/missing");
    let batch = c
        .batch_get_channel(BatchGetChannelRequest { arns: Some(vec![ch_arn.clone(), missing.clone()]) })
        .await
        .expect("batch");
    let theirs = sdk.batch_get_channel().arns(&ch_arn).arns(&missing).send().await.expect("sdk batch");
    let mine = batch.channels.unwrap_or_default();
    assert_eq!((mine.len(), theirs.channels().len()), (1, 1));
    same_channel(&mine[0], &theirs.channels()[0]);
    let errors = batch.errors.unwrap_or_default();
    assert_eq!(
        errors.iter().map(|e| (e.arn.as_deref(), e.code.as_deref())).collect::<Vec<_>>(),
        theirs.errors().iter().map(|e| (e.arn(), e.code())).collect::<Vec<_>>()
    );
    done.insert("BatchGetChannel");
    let input =
        ListChannelsRequest { filter_by_recording_configuration_arn: s(rc_arn), ..Default::default() };
    let list = c.list_channels(input).await.expect("list channels").channels.unwrap_or_default();
    let theirs =
        sdk.list_channels().filter_by_recording_configuration_arn(rc_arn).send().await.expect("sdk list");
    assert_eq!(
        sorted(list.iter().map(|c| c.arn.as_deref())),
        sorted(theirs.channels().iter().map(|c| c.arn()))
    );
    assert_eq!(list.len(), 1);
    done.insert("ListChannels");

    // Stream keys: read, rotate (delete + create), batch read.
    let first_arn = first_key.arn.clone().expect("key arn");
    let got = c.get_stream_key(GetStreamKeyRequest { arn: s(&first_arn) }).await.expect("get key").stream_key;
    let theirs = sdk.get_stream_key().arn(&first_arn).send().await.expect("sdk get key");
    assert_eq!(got.as_ref().and_then(|k| k.value.as_deref()), theirs.stream_key().and_then(|k| k.value()));
    assert_eq!(got.as_ref(), Some(&first_key));
    done.insert("GetStreamKey");
    let list = c
        .list_stream_keys(ListStreamKeysRequest { channel_arn: s(&ch_arn), ..Default::default() })
        .await
        .expect("list keys");
    let theirs = sdk.list_stream_keys().channel_arn(&ch_arn).send().await.expect("sdk list keys");
    let mine = list.stream_keys.unwrap_or_default();
    assert_eq!(
        sorted(mine.iter().map(|k| k.arn.as_deref())),
        sorted(theirs.stream_keys().iter().map(|k| k.arn()))
    );
    done.insert("ListStreamKeys");
    c.delete_stream_key(DeleteStreamKeyRequest { arn: s(&first_arn) }).await.expect("delete key");
    same_err!(
        c.get_stream_key(GetStreamKeyRequest { arn: s(&first_arn) }),
        sdk.get_stream_key().arn(&first_arn),
        GetStreamKeyError::ResourceNotFoundException
    );
    done.insert("DeleteStreamKey");
    let key =
        c.create_stream_key(CreateStreamKeyRequest { channel_arn: s(&ch_arn), ..Default::default() }).await;
    let key = key.expect("create key").stream_key.expect("key");
    let key_arn = key.arn.clone().expect("key arn");
    assert_ne!(key.value, first_key.value);
    done.insert("CreateStreamKey");
    let batch = c
        .batch_get_stream_key(BatchGetStreamKeyRequest {
            arns: Some(vec![key_arn.clone(), first_arn.clone()]),
        })
        .await;
    let batch = batch.expect("batch keys");
    let theirs =
        sdk.batch_get_stream_key().arns(&key_arn).arns(&first_arn).send().await.expect("sdk batch keys");
    assert_eq!(
        batch.stream_keys.unwrap_or_default().iter().map(|k| k.value.clone()).collect::<Vec<_>>(),
        theirs.stream_keys().iter().map(|k| k.value().map(str::to_owned)).collect::<Vec<_>>()
    );
    assert_eq!(batch.errors.unwrap_or_default().len(), theirs.errors().len());
    done.insert("BatchGetStreamKey");

    // Tags.
    let tags =
        [("env", "tour"), ("team", "video"), ("a b/c", "d")].map(|(k, v)| (k.to_string(), v.to_string()));
    c.tag_resource(TagResourceRequest { resource_arn: s(&ch_arn), tags: Some(tags.into()) })
        .await
        .expect("tag");
    done.insert("TagResource");
    c.untag_resource(UntagResourceRequest {
        resource_arn: s(&ch_arn),
        tag_keys: Some(vec!["team".into(), "a b/c".into()]),
    })
    .await
    .expect("untag");
    done.insert("UntagResource");
    let got = c
        .list_tags_for_resource(ListTagsForResourceRequest { resource_arn: s(&ch_arn) })
        .await
        .expect("tags");
    let theirs = sdk.list_tags_for_resource().resource_arn(&ch_arn).send().await.expect("sdk tags");
    let theirs: BTreeMap<String, String> = theirs.tags().clone().into_iter().collect();
    assert_eq!(got.tags, Some(theirs));
    assert_eq!(got.tags.map(|t| t.into_keys().collect::<Vec<_>>()), Some(vec!["env".to_string()]));
    done.insert("ListTagsForResource");

    // Streams: nothing can be live yet.
    let arn = || s(&ch_arn);
    same_err!(
        c.get_stream(GetStreamRequest { channel_arn: arn() }),
        sdk.get_stream().channel_arn(&ch_arn),
        GetStreamError::ChannelNotBroadcasting
    );
    done.insert("GetStream");
    same_err!(
        c.stop_stream(StopStreamRequest { channel_arn: arn() }),
        sdk.stop_stream().channel_arn(&ch_arn),
        StopStreamError::ChannelNotBroadcasting
    );
    done.insert("StopStream");
    let put = PutMetadataRequest { channel_arn: arn(), metadata: s("hello") };
    same_err!(
        c.put_metadata(put),
        sdk.put_metadata().channel_arn(&ch_arn).metadata("hello"),
        PutMetadataError::ChannelNotBroadcasting
    );
    done.insert("PutMetadata");
    let ad_break =
        InsertAdBreakRequest { channel_arn: arn(), duration_seconds: Some(30), ..Default::default() };
    same_err!(
        c.insert_ad_break(ad_break),
        sdk.insert_ad_break().channel_arn(&ch_arn).duration_seconds(30),
        InsertAdBreakError::ChannelNotBroadcasting
    );
    done.insert("InsertAdBreak");
    same_err!(
        c.get_stream_session(GetStreamSessionRequest { channel_arn: arn(), ..Default::default() }),
        sdk.get_stream_session().channel_arn(&ch_arn),
        GetStreamSessionError::ResourceNotFoundException
    );
    done.insert("GetStreamSession");
    let streams = c.list_streams(Default::default()).await.expect("list streams").streams;
    assert_eq!(
        (streams.map(|s| s.len()), sdk.list_streams().send().await.expect("sdk").streams().len()),
        (Some(0), 0)
    );
    done.insert("ListStreams");
    let sessions =
        c.list_stream_sessions(ListStreamSessionsRequest { channel_arn: arn(), ..Default::default() }).await;
    assert_eq!(sessions.expect("sessions").stream_sessions.map(|s| s.len()), Some(0));
    done.insert("ListStreamSessions");

    // Viewer-session revocation.
    let input = StartViewerSessionRevocationRequest {
        channel_arn: arn(),
        viewer_id: s("viewer-1"),
        ..Default::default()
    };
    c.start_viewer_session_revocation(input).await.expect("revoke");
    done.insert("StartViewerSessionRevocation");
    let session = |viewer: &str, channel: &str| BatchStartViewerSessionRevocationViewerSession {
        channel_arn: s(channel),
        viewer_id: s(viewer),
        viewer_session_versions_less_than_or_equal_to: Some(2),
    };
    let input = BatchStartViewerSessionRevocationRequest {
        viewer_sessions: Some(vec![session("viewer-2", &ch_arn), session("viewer-3", &missing)]),
    };
    let errors = c
        .batch_start_viewer_session_revocation(input)
        .await
        .expect("batch revoke")
        .errors
        .unwrap_or_default();
    assert_eq!(errors.iter().map(|e| e.channel_arn.as_deref()).collect::<Vec<_>>(), [Some(missing.as_str())]);
    done.insert("BatchStartViewerSessionRevocation");

    ch_arn
}
