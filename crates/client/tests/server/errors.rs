//! Each modeled error the server produces, per operation, through our client (typed as the
//! operation's error enum says) and through the official SDK (same code and message): not found,
//! conflicts, quotas, offline channels. Validation and access denial for all 46 operations are in
//! `all_operations`.

use conformance::keys::{PUB1, PUB2, PUB3, PUB4};
use conformance::{ACCOUNT, Server};
use openivs_client::types::*;
use openivs_client::*;

use crate::{ours, same_err};

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

fn missing(kind: &str) -> String {
    format!("arn:aws:ivs:us-west-2:{ACCOUNT}:{kind}/missing0001")
}

#[tokio::test]
async fn unknown_arns_are_resource_not_found_for_every_operation_that_models_it() {
    let server = Server::start();
    let (c, sdk) = (ours(&server), server.client());
    let ch = missing("channel");
    let key = missing("stream-key");
    let kp = missing("playback-key");
    let rc = missing("recording-configuration");
    let pol = missing("playback-restriction-policy");
    let ad = missing("ad-configuration");
    let sl = missing("failover-slate-configuration");

    same_err!(
        c.get_channel(GetChannelRequest { arn: s(&ch) }),
        sdk.get_channel().arn(&ch),
        GetChannelError::ResourceNotFoundException
    );
    same_err!(
        c.delete_channel(DeleteChannelRequest { arn: s(&ch) }),
        sdk.delete_channel().arn(&ch),
        DeleteChannelError::ResourceNotFoundException
    );
    let up = UpdateChannelRequest { arn: s(&ch), name: s("x"), ..Default::default() };
    same_err!(
        c.update_channel(up),
        sdk.update_channel().arn(&ch).name("x"),
        UpdateChannelError::ResourceNotFoundException
    );
    let create = CreateChannelRequest { recording_configuration_arn: s(&rc), ..Default::default() };
    same_err!(
        c.create_channel(create),
        sdk.create_channel().recording_configuration_arn(&rc),
        CreateChannelError::ResourceNotFoundException
    );
    let create = CreateStreamKeyRequest { channel_arn: s(&ch), ..Default::default() };
    same_err!(
        c.create_stream_key(create),
        sdk.create_stream_key().channel_arn(&ch),
        CreateStreamKeyError::ResourceNotFoundException
    );
    same_err!(
        c.get_stream_key(GetStreamKeyRequest { arn: s(&key) }),
        sdk.get_stream_key().arn(&key),
        GetStreamKeyError::ResourceNotFoundException
    );
    same_err!(
        c.delete_stream_key(DeleteStreamKeyRequest { arn: s(&key) }),
        sdk.delete_stream_key().arn(&key),
        DeleteStreamKeyError::ResourceNotFoundException
    );
    let list = ListStreamKeysRequest { channel_arn: s(&ch), ..Default::default() };
    same_err!(
        c.list_stream_keys(list),
        sdk.list_stream_keys().channel_arn(&ch),
        ListStreamKeysError::ResourceNotFoundException
    );
    same_err!(
        c.get_playback_key_pair(GetPlaybackKeyPairRequest { arn: s(&kp) }),
        sdk.get_playback_key_pair().arn(&kp),
        GetPlaybackKeyPairError::ResourceNotFoundException
    );
    same_err!(
        c.delete_playback_key_pair(DeletePlaybackKeyPairRequest { arn: s(&kp) }),
        sdk.delete_playback_key_pair().arn(&kp),
        DeletePlaybackKeyPairError::ResourceNotFoundException
    );
    same_err!(
        c.get_recording_configuration(GetRecordingConfigurationRequest { arn: s(&rc) }),
        sdk.get_recording_configuration().arn(&rc),
        GetRecordingConfigurationError::ResourceNotFoundException
    );
    same_err!(
        c.delete_recording_configuration(DeleteRecordingConfigurationRequest { arn: s(&rc) }),
        sdk.delete_recording_configuration().arn(&rc),
        DeleteRecordingConfigurationError::ResourceNotFoundException
    );
    same_err!(
        c.get_playback_restriction_policy(GetPlaybackRestrictionPolicyRequest { arn: s(&pol) }),
        sdk.get_playback_restriction_policy().arn(&pol),
        GetPlaybackRestrictionPolicyError::ResourceNotFoundException
    );
    let up = UpdatePlaybackRestrictionPolicyRequest { arn: s(&pol), ..Default::default() };
    same_err!(
        c.update_playback_restriction_policy(up),
        sdk.update_playback_restriction_policy().arn(&pol),
        UpdatePlaybackRestrictionPolicyError::ResourceNotFoundException
    );
    same_err!(
        c.delete_playback_restriction_policy(DeletePlaybackRestrictionPolicyRequest { arn: s(&pol) }),
        sdk.delete_playback_restriction_policy().arn(&pol),
        DeletePlaybackRestrictionPolicyError::ResourceNotFoundException
    );
    same_err!(
        c.get_ad_configuration(GetAdConfigurationRequest { arn: s(&ad) }),
        sdk.get_ad_configuration().arn(&ad),
        GetAdConfigurationError::ResourceNotFoundException
    );
    let up = UpdateAdConfigurationRequest { arn: s(&ad), name: s("x"), ..Default::default() };
    same_err!(
        c.update_ad_configuration(up),
        sdk.update_ad_configuration().arn(&ad).name("x"),
        UpdateAdConfigurationError::ResourceNotFoundException
    );
    same_err!(
        c.delete_ad_configuration(DeleteAdConfigurationRequest { arn: s(&ad) }),
        sdk.delete_ad_configuration().arn(&ad),
        DeleteAdConfigurationError::ResourceNotFoundException
    );
    same_err!(
        c.get_failover_slate_configuration(GetFailoverSlateConfigurationRequest { arn: s(&sl) }),
        sdk.get_failover_slate_configuration().arn(&sl),
        GetFailoverSlateConfigurationError::ResourceNotFoundException
    );
    let up = UpdateFailoverSlateConfigurationRequest { arn: s(&sl), ..Default::default() };
    same_err!(
        c.update_failover_slate_configuration(up),
        sdk.update_failover_slate_configuration().arn(&sl),
        UpdateFailoverSlateConfigurationError::ResourceNotFoundException
    );
    same_err!(
        c.delete_failover_slate_configuration(DeleteFailoverSlateConfigurationRequest { arn: s(&sl) }),
        sdk.delete_failover_slate_configuration().arn(&sl),
        DeleteFailoverSlateConfigurationError::ResourceNotFoundException
    );

    same_err!(
        c.get_stream(GetStreamRequest { channel_arn: s(&ch) }),
        sdk.get_stream().channel_arn(&ch),
        GetStreamError::ResourceNotFoundException
    );
    same_err!(
        c.stop_stream(StopStreamRequest { channel_arn: s(&ch) }),
        sdk.stop_stream().channel_arn(&ch),
        StopStreamError::ResourceNotFoundException
    );
    let put = PutMetadataRequest { channel_arn: s(&ch), metadata: s("m") };
    same_err!(
        c.put_metadata(put),
        sdk.put_metadata().channel_arn(&ch).metadata("m"),
        PutMetadataError::ResourceNotFoundException
    );
    let ad_break =
        InsertAdBreakRequest { channel_arn: s(&ch), duration_seconds: Some(30), ..Default::default() };
    same_err!(
        c.insert_ad_break(ad_break),
        sdk.insert_ad_break().channel_arn(&ch).duration_seconds(30),
        InsertAdBreakError::ResourceNotFoundException
    );
    let get = GetStreamSessionRequest { channel_arn: s(&ch), ..Default::default() };
    same_err!(
        c.get_stream_session(get),
        sdk.get_stream_session().channel_arn(&ch),
        GetStreamSessionError::ResourceNotFoundException
    );
    let list = ListStreamSessionsRequest { channel_arn: s(&ch), ..Default::default() };
    same_err!(
        c.list_stream_sessions(list),
        sdk.list_stream_sessions().channel_arn(&ch),
        ListStreamSessionsError::ResourceNotFoundException
    );
    let revoke =
        StartViewerSessionRevocationRequest { channel_arn: s(&ch), viewer_id: s("v"), ..Default::default() };
    same_err!(
        c.start_viewer_session_revocation(revoke),
        sdk.start_viewer_session_revocation().channel_arn(&ch).viewer_id("v"),
        StartViewerSessionRevocationError::ResourceNotFoundException
    );
    same_err!(
        c.list_tags_for_resource(ListTagsForResourceRequest { resource_arn: s(&ch) }),
        sdk.list_tags_for_resource().resource_arn(&ch),
        ListTagsForResourceError::ResourceNotFoundException
    );
    let tag =
        TagResourceRequest { resource_arn: s(&ch), tags: Some([("k".to_string(), "v".to_string())].into()) };
    same_err!(
        c.tag_resource(tag),
        sdk.tag_resource().resource_arn(&ch).tags("k", "v"),
        TagResourceError::ResourceNotFoundException
    );
    let untag = UntagResourceRequest { resource_arn: s(&ch), tag_keys: Some(vec!["k".into()]) };
    same_err!(
        c.untag_resource(untag),
        sdk.untag_resource().resource_arn(&ch).tag_keys("k"),
        UntagResourceError::ResourceNotFoundException
    );
}

#[tokio::test]
async fn conflicts_and_quotas() {
    let server = Server::start();
    let (c, sdk) = (ours(&server), server.client());
    let import =
        |pem: &str| ImportPlaybackKeyPairRequest { public_key_material: s(pem), ..Default::default() };

    // The same key twice is a conflict; a fourth key exceeds the quota of three.
    c.import_playback_key_pair(import(PUB1)).await.expect("first key");
    same_err!(
        c.import_playback_key_pair(import(PUB1)),
        sdk.import_playback_key_pair().public_key_material(PUB1),
        ImportPlaybackKeyPairError::ConflictException
    );
    c.import_playback_key_pair(import(PUB2)).await.expect("second key");
    c.import_playback_key_pair(import(PUB3)).await.expect("third key");
    same_err!(
        c.import_playback_key_pair(import(PUB4)),
        sdk.import_playback_key_pair().public_key_material(PUB4),
        ImportPlaybackKeyPairError::ServiceQuotaExceededException
    );

    // One stream key per channel.
    let ch = c
        .create_channel(CreateChannelRequest { name: s("plain"), ..Default::default() })
        .await
        .expect("channel");
    let plain = ch.channel.and_then(|c| c.arn).expect("arn");
    let create = CreateStreamKeyRequest { channel_arn: s(&plain), ..Default::default() };
    same_err!(
        c.create_stream_key(create),
        sdk.create_stream_key().channel_arn(&plain),
        CreateStreamKeyError::ServiceQuotaExceededException
    );

    // The two filters of ListChannels are exclusive.
    let both = ListChannelsRequest {
        filter_by_name: s("a"),
        filter_by_recording_configuration_arn: s(&missing("recording-configuration")),
        ..Default::default()
    };
    same_err!(
        c.list_channels(both),
        sdk.list_channels()
            .filter_by_name("a")
            .filter_by_recording_configuration_arn(missing("recording-configuration")),
        ListChannelsError::ConflictException
    );

    // An ad break needs an ad configuration on the channel.
    let ad_break =
        InsertAdBreakRequest { channel_arn: s(&plain), duration_seconds: Some(30), ..Default::default() };
    same_err!(
        c.insert_ad_break(ad_break),
        sdk.insert_ad_break().channel_arn(&plain).duration_seconds(30),
        InsertAdBreakError::ConflictException
    );

    // Configurations in use by a channel cannot be deleted.
    let rc = CreateRecordingConfigurationRequest {
        destination_configuration: Some(DestinationConfiguration {
            s3: Some(S3DestinationConfiguration { bucket_name: s("bucket-b") }),
        }),
        ..Default::default()
    };
    let rc = c
        .create_recording_configuration(rc)
        .await
        .expect("rc")
        .recording_configuration
        .and_then(|r| r.arn)
        .expect("rc arn");
    let pol = c.create_playback_restriction_policy(Default::default()).await.expect("policy");
    let pol = pol.playback_restriction_policy.and_then(|p| p.arn).expect("policy arn");
    let mediatailor = MediaTailorPlaybackConfiguration {
        playback_configuration_arn: Some(format!(
            "arn:aws:mediatailor:us-west-2:{ACCOUNT}:playbackConfiguration/x"
        )),
    };
    let ad = CreateAdConfigurationRequest {
        media_tailor_playback_configurations: Some(vec![mediatailor]),
        ..Default::default()
    };
    let ad = c
        .create_ad_configuration(ad)
        .await
        .expect("ads")
        .ad_configuration
        .and_then(|a| a.arn)
        .expect("ad arn");
    let sl = c.create_failover_slate_configuration(Default::default()).await.expect("slate");
    let sl = sl.failover_slate_configuration.and_then(|f| f.arn).expect("slate arn");
    let uses = CreateChannelRequest {
        recording_configuration_arn: s(&rc),
        playback_restriction_policy_arn: s(&pol),
        ad_configuration_arn: s(&ad),
        failover_slate_configuration_arn: s(&sl),
        ..Default::default()
    };
    c.create_channel(uses).await.expect("channel using them");
    same_err!(
        c.delete_recording_configuration(DeleteRecordingConfigurationRequest { arn: s(&rc) }),
        sdk.delete_recording_configuration().arn(&rc),
        DeleteRecordingConfigurationError::ConflictException
    );
    same_err!(
        c.delete_playback_restriction_policy(DeletePlaybackRestrictionPolicyRequest { arn: s(&pol) }),
        sdk.delete_playback_restriction_policy().arn(&pol),
        DeletePlaybackRestrictionPolicyError::ConflictException
    );
    same_err!(
        c.delete_ad_configuration(DeleteAdConfigurationRequest { arn: s(&ad) }),
        sdk.delete_ad_configuration().arn(&ad),
        DeleteAdConfigurationError::ConflictException
    );
    same_err!(
        c.delete_failover_slate_configuration(DeleteFailoverSlateConfigurationRequest { arn: s(&sl) }),
        sdk.delete_failover_slate_configuration().arn(&sl),
        DeleteFailoverSlateConfigurationError::ConflictException
    );
}

#[tokio::test]
async fn validation_errors_name_the_member() {
    let server = Server::start();
    let (c, sdk) = (ours(&server), server.client());
    let bad_name = CreateChannelRequest { name: s("no spaces allowed!"), ..Default::default() };
    let e = same_err!(
        c.create_channel(bad_name),
        sdk.create_channel().name("no spaces allowed!"),
        CreateChannelError::ValidationException
    );
    assert!(e.meta().message.as_deref().unwrap_or_default().contains("name"), "{e:?}");
    let list = ListChannelsRequest { max_results: Some(0), ..Default::default() };
    same_err!(
        c.list_channels(list),
        sdk.list_channels().max_results(0),
        ListChannelsError::ValidationException
    );
    let ch = c
        .create_channel(Default::default())
        .await
        .expect("channel")
        .channel
        .and_then(|c| c.arn)
        .expect("arn");
    let put = PutMetadataRequest { channel_arn: s(&ch), metadata: Some("x".repeat(1025)) };
    same_err!(
        c.put_metadata(put),
        sdk.put_metadata().channel_arn(&ch).metadata("x".repeat(1025)),
        PutMetadataError::ValidationException
    );
    let tags = TagResourceRequest {
        resource_arn: s(&ch),
        tags: Some([("aws:reserved".to_string(), "v".to_string())].into()),
    };
    same_err!(
        c.tag_resource(tags),
        sdk.tag_resource().resource_arn(&ch).tags("aws:reserved", "v"),
        TagResourceError::ValidationException
    );
    let bad_token = ListChannelsRequest { next_token: s("not-a-token"), ..Default::default() };
    same_err!(
        c.list_channels(bad_token),
        sdk.list_channels().next_token("not-a-token"),
        ListChannelsError::ValidationException
    );
}
