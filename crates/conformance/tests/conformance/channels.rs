//! Channels (ivs-api.md CreateChannel … ListChannels, ivs-behaviour.md §1–2): the defaults real IVS
//! returns, ids, ARNs and URLs, the stream key created with the channel, validation, references to
//! recording configurations and playback restriction policies, BatchGetChannel, partial updates,
//! deletes, list filters, and isolation between accounts and regions.
//!
//! The assertion helpers at the top are shared by the other modules of this area (stream keys, tags,
//! pagination, streams).

use aws_sdk_ivs::Client;
use aws_sdk_ivs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ivs::types::{
    ChannelLatencyMode, ChannelType, ContainerFormat, DestinationConfiguration, MultitrackInputConfiguration,
    MultitrackMaximumResolution, MultitrackPolicy, S3DestinationConfiguration, TranscodePreset,
};
use conformance::{ACCOUNT, RawResponse, Server};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::error::Error;
use std::fmt::Debug;

/// Asserts that `res` failed with the modeled error `code` and that both the generic message and the
/// modeled `exceptionMessage` mention `needle`; returns the operation error for typed checks.
pub(crate) fn expect_err<T: Debug, E>(res: Result<T, SdkError<E>>, code: &str, needle: &str) -> E
where
    E: ProvideErrorMetadata + Error + 'static,
{
    let err = match res {
        Ok(out) => panic!("expected {code}, got a success: {out:?}"),
        Err(SdkError::ServiceError(e)) => e.into_err(),
        Err(e) => panic!("expected {code}, got {e:?}"),
    };
    assert_eq!(err.code(), Some(code), "{err:?}");
    let message = err.message().unwrap_or_default();
    assert!(message.contains(needle), "message {message:?} does not mention {needle:?}");
    let modeled = err.source().and_then(exception_message).unwrap_or_default();
    assert!(modeled.contains(needle), "exceptionMessage {modeled:?} does not mention {needle:?}");
    err
}

/// The modeled `exceptionMessage` of an IVS error.
fn exception_message<'a>(e: &'a (dyn Error + 'static)) -> Option<&'a str> {
    use aws_sdk_ivs::types::error::*;
    macro_rules! first_of {
        ($($t:ty),*) => {$(
            if let Some(x) = e.downcast_ref::<$t>() {
                return x.exception_message();
            }
        )*};
    }
    first_of!(
        ValidationException,
        ResourceNotFoundException,
        ConflictException,
        ServiceQuotaExceededException,
        ChannelNotBroadcasting,
        AccessDeniedException,
        ThrottlingException,
        InternalServerException
    );
    None
}

/// A signed raw `POST /<op>` with a JSON body, for what the SDK cannot send or observe.
pub(crate) fn raw_post(s: &Server, op: &str, body: &Value) -> RawResponse {
    let body = body.to_string();
    s.raw("POST", &format!("/{op}"), &[("content-type", "application/json")], body.as_bytes(), true)
}

/// A new recording configuration; returns its ARN.
pub(crate) async fn recording_configuration(c: &Client) -> String {
    let s3 = S3DestinationConfiguration::builder().bucket_name("openivs-recordings").build().expect("s3");
    let out = c
        .create_recording_configuration()
        .destination_configuration(DestinationConfiguration::builder().s3(s3).build())
        .send()
        .await
        .expect("create recording configuration");
    out.recording_configuration().map(|r| r.arn()).expect("arn").to_string()
}

/// A new playback restriction policy; returns its ARN.
pub(crate) async fn restriction_policy(c: &Client) -> String {
    let out = c
        .create_playback_restriction_policy()
        .allowed_countries("US")
        .send()
        .await
        .expect("create playback restriction policy");
    out.playback_restriction_policy().map(|p| p.arn()).expect("arn").to_string()
}

fn is_alnum(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[tokio::test]
async fn create_channel_returns_the_defaults_real_ivs_returns() {
    let s = Server::start();
    let c = s.client();
    let out = c.create_channel().send().await.expect("create");
    let ch = out.channel().expect("channel");
    let arn = ch.arn().expect("arn");
    let id = arn.strip_prefix(&format!("arn:aws:ivs:us-west-2:{ACCOUNT}:channel/")).expect("channel ARN");
    assert!(is_alnum(id, 12), "channel id {id:?}");

    assert_eq!(ch.name(), Some(""));
    assert_eq!(ch.r#type(), Some(&ChannelType::StandardChannelType));
    assert_eq!(ch.latency_mode(), Some(&ChannelLatencyMode::LowLatency));
    assert!(!ch.authorized());
    assert!(!ch.insecure_ingest());
    assert_eq!(ch.container_format(), Some(&ContainerFormat::Ts));
    assert_eq!(ch.preset().map(|p| p.as_str()), Some(""));
    for unset in [
        ch.recording_configuration_arn(),
        ch.playback_restriction_policy_arn(),
        ch.ad_configuration_arn(),
        ch.failover_slate_configuration_arn(),
    ] {
        assert_eq!(unset, Some(""));
    }
    assert_eq!(ch.tags(), Some(&HashMap::new()));
    let mt = ch.multitrack_input_configuration().expect("multitrackInputConfiguration");
    assert!(!mt.enabled());
    assert_eq!(mt.policy(), Some(&MultitrackPolicy::Allow));
    assert_eq!(mt.maximum_resolution(), Some(&MultitrackMaximumResolution::FullHd));

    let ingest = ch.ingest_endpoint().expect("ingestEndpoint");
    assert!(!ingest.is_empty() && !ingest.contains("://"), "ingestEndpoint {ingest:?}");
    let srt = ch.srt().expect("srt");
    assert!(srt.endpoint().is_some_and(|e| !e.is_empty()));
    let passphrase = srt.passphrase().expect("srt passphrase");
    // Real passphrases are 60-80 alphanumerics (ivs-behaviour.md §2).
    assert!(is_alnum(passphrase, passphrase.len()) && passphrase.len() >= 60, "passphrase {passphrase:?}");
    let url = ch.playback_url().expect("playbackUrl");
    assert!(url.starts_with("http"), "{url}");
    assert!(url.ends_with(&format!("/api/video/v1/us-west-2.{ACCOUNT}.channel.{id}.m3u8")), "{url}");

    let key = out.stream_key().expect("stream key");
    let key_id =
        key.arn().and_then(|a| a.strip_prefix(&format!("arn:aws:ivs:us-west-2:{ACCOUNT}:stream-key/")));
    let key_id = key_id.expect("stream key ARN");
    assert!(is_alnum(key_id, 12), "stream key id {key_id:?}");
    let value = key.value().expect("value");
    let secret = value.strip_prefix(&format!("sk_us-west-2_{key_id}_")).expect("sk_<region>_<key id>_");
    assert!(is_alnum(secret, 30), "stream key value {value:?}");
    assert_eq!(key.channel_arn(), Some(arn));
    assert_eq!(key.tags(), Some(&HashMap::new()));

    let got = c.get_channel().arn(arn).send().await.expect("get");
    assert_eq!(got.channel(), Some(ch), "GetChannel returns what CreateChannel did");

    // The SDK cannot tell an absent member from its default; real IVS sends every one of them.
    let raw = raw_post(&s, "GetChannel", &json!({ "arn": arn }));
    assert_eq!(raw.status, 200);
    let wire = &raw.json()["channel"];
    let expected = json!({
        "name": "", "type": "STANDARD", "latencyMode": "LOW", "authorized": false, "insecureIngest": false,
        "containerFormat": "TS", "preset": "", "recordingConfigurationArn": "",
        "playbackRestrictionPolicyArn": "", "tags": {},
        "multitrackInputConfiguration": { "enabled": false, "policy": "ALLOW", "maximumResolution": "FULL_HD" },
    });
    for (member, value) in expected.as_object().expect("object") {
        assert_eq!(&wire[member], value, "channel.{member} on the wire");
    }

    let other = c.create_channel().send().await.expect("second channel");
    let other_ch = other.channel().expect("channel");
    assert_ne!(other_ch.arn(), ch.arn());
    assert_ne!(other_ch.srt().and_then(|s| s.passphrase()), Some(passphrase));
    assert_ne!(other.stream_key().and_then(|k| k.value()), Some(value));
}

#[tokio::test]
async fn channel_types_take_their_documented_preset() {
    let s = Server::start();
    let c = s.client();
    let preset = |out: aws_sdk_ivs::operation::create_channel::CreateChannelOutput| {
        out.channel().and_then(|ch| ch.preset()).map(|p| p.as_str().to_owned())
    };
    for ty in [ChannelType::AdvancedSdChannelType, ChannelType::AdvancedHdChannelType] {
        let out = c.create_channel().r#type(ty.clone()).send().await.expect("advanced");
        assert_eq!(preset(out).as_deref(), Some("HIGHER_BANDWIDTH_DELIVERY"), "default preset of {ty:?}");
        let out = c
            .create_channel()
            .r#type(ty.clone())
            .preset(TranscodePreset::ConstrainedBandwidthTranscodePreset)
            .send()
            .await
            .expect("advanced with preset");
        assert_eq!(preset(out).as_deref(), Some("CONSTRAINED_BANDWIDTH_DELIVERY"));
    }
    for ty in [ChannelType::BasicChannelType, ChannelType::StandardChannelType] {
        let out = c.create_channel().r#type(ty.clone()).send().await.expect("basic/standard");
        assert_eq!(preset(out).as_deref(), Some(""), "preset of {ty:?}");
    }
}

#[tokio::test]
async fn create_channel_validation_names_the_member() {
    let s = Server::start();
    let c = s.client();
    let e = expect_err(c.create_channel().name("bad name!").send().await, "ValidationException", "'name'");
    assert!(e.is_validation_exception());
    expect_err(c.create_channel().name("a".repeat(129)).send().await, "ValidationException", "'name'");
    expect_err(
        c.create_channel().recording_configuration_arn("not-an-arn").send().await,
        "ValidationException",
        "'recordingConfigurationArn'",
    );
    let preset = TranscodePreset::HigherBandwidthTranscodePreset;
    for ty in [ChannelType::BasicChannelType, ChannelType::StandardChannelType] {
        let res = c.create_channel().r#type(ty).preset(preset.clone()).send().await;
        expect_err(res, "ValidationException", "preset");
    }
    let multitrack = MultitrackInputConfiguration::builder()
        .enabled(true)
        .policy(MultitrackPolicy::Require)
        .maximum_resolution(MultitrackMaximumResolution::Hd)
        .build();
    let res = c
        .create_channel()
        .r#type(ChannelType::AdvancedHdChannelType)
        .container_format(ContainerFormat::FragmentedMp4)
        .multitrack_input_configuration(multitrack.clone())
        .send()
        .await;
    expect_err(res, "ValidationException", "multitrackInputConfiguration");
    let res = c.create_channel().multitrack_input_configuration(multitrack.clone()).send().await;
    expect_err(res, "ValidationException", "containerFormat");
    // With multitrack enabled, policy and maximumResolution are required (no defaults).
    let enabled = || MultitrackInputConfiguration::builder().enabled(true);
    for (member, incomplete) in [
        ("policy", enabled().maximum_resolution(MultitrackMaximumResolution::Hd).build()),
        ("maximumResolution", enabled().policy(MultitrackPolicy::Require).build()),
    ] {
        let res = c
            .create_channel()
            .container_format(ContainerFormat::FragmentedMp4)
            .multitrack_input_configuration(incomplete)
            .send()
            .await;
        expect_err(res, "ValidationException", member);
    }

    // Enum values the SDK would not send.
    for (member, bad) in [("type", "SUPER"), ("latencyMode", "FAST"), ("containerFormat", "MKV")] {
        let raw = raw_post(&s, "CreateChannel", &json!({ member: bad }));
        assert_eq!(raw.status, 400, "{member}: {:?}", raw.json());
        assert_eq!(raw.header("x-amzn-errortype"), Some("ValidationException"));
        let message = raw.json()["exceptionMessage"].as_str().unwrap_or_default().to_owned();
        assert!(message.contains(&format!("'{member}'")), "{message}");
    }
    assert!(c.list_channels().send().await.expect("list").channels().is_empty(), "nothing was created");

    let ok = c
        .create_channel()
        .container_format(ContainerFormat::FragmentedMp4)
        .multitrack_input_configuration(multitrack.clone())
        .send()
        .await
        .expect("multitrack on a STANDARD fMP4 channel");
    assert_eq!(ok.channel().and_then(|ch| ch.multitrack_input_configuration()), Some(&multitrack));
}

#[tokio::test]
async fn create_channel_checks_and_keeps_its_references() {
    let s = Server::start();
    let c = s.client();
    let missing_rc = format!("arn:aws:ivs:us-west-2:{ACCOUNT}:recording-configuration/AbCdEf123456");
    let res = c.create_channel().recording_configuration_arn(&missing_rc).send().await;
    let e = expect_err(res, "ResourceNotFoundException", &missing_rc);
    assert!(e.is_resource_not_found_exception());
    let missing_prp = format!("arn:aws:ivs:us-west-2:{ACCOUNT}:playback-restriction-policy/AbCdEf123456");
    let res = c.create_channel().playback_restriction_policy_arn(&missing_prp).send().await;
    expect_err(res, "ResourceNotFoundException", &missing_prp);
    let list = c.list_channels().send().await.expect("list");
    assert!(list.channels().is_empty(), "no channel (and no stream key) was left behind");

    let rc = recording_configuration(&c).await;
    let prp = restriction_policy(&c).await;
    let out = c
        .create_channel()
        .recording_configuration_arn(&rc)
        .playback_restriction_policy_arn(&prp)
        .send()
        .await
        .expect("create with references");
    let arn = out.channel().and_then(|ch| ch.arn()).expect("arn");
    let got = c.get_channel().arn(arn).send().await.expect("get");
    let ch = got.channel().expect("channel");
    assert_eq!(ch.recording_configuration_arn(), Some(rc.as_str()));
    assert_eq!(ch.playback_restriction_policy_arn(), Some(prp.as_str()));
}

#[tokio::test]
async fn get_channel_of_an_unknown_arn_is_not_found() {
    let s = Server::start();
    let arn = format!("arn:aws:ivs:us-west-2:{ACCOUNT}:channel/NoSuchChanel");
    let e = expect_err(s.client().get_channel().arn(&arn).send().await, "ResourceNotFoundException", &arn);
    assert!(e.is_resource_not_found_exception());
}

#[tokio::test]
async fn batch_get_channel_reports_missing_arns_once() {
    let s = Server::start();
    let c = s.client();
    let mut arns = Vec::new();
    for name in ["one", "two"] {
        let out = c.create_channel().name(name).send().await.expect("create");
        arns.push(out.channel().and_then(|ch| ch.arn()).expect("arn").to_string());
    }
    let missing = format!("arn:aws:ivs:us-west-2:{ACCOUNT}:channel/NoSuchChanel");
    let out = c
        .batch_get_channel()
        .set_arns(Some(vec![
            arns[0].clone(),
            missing.clone(),
            arns[1].clone(),
            arns[0].clone(),
            missing.clone(),
        ]))
        .send()
        .await
        .expect("batch get");
    let found: Vec<_> = out.channels().iter().map(|ch| ch.arn().unwrap_or_default()).collect();
    assert_eq!(found, [arns[0].as_str(), arns[1].as_str()]);
    assert_eq!(out.channels()[1].name(), Some("two"));
    assert_eq!(out.errors().len(), 1, "{:?}", out.errors());
    let err = &out.errors()[0];
    assert_eq!(err.arn(), Some(missing.as_str()));
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    assert!(err.message().is_some_and(|m| m.contains(&missing)), "{err:?}");
}

#[tokio::test]
async fn update_channel_changes_only_the_members_given() {
    let s = Server::start();
    let c = s.client();
    let rc = recording_configuration(&c).await;
    let created = c
        .create_channel()
        .name("before")
        .r#type(ChannelType::BasicChannelType)
        .latency_mode(ChannelLatencyMode::NormalLatency)
        .authorized(true)
        .insecure_ingest(true)
        .container_format(ContainerFormat::FragmentedMp4)
        .recording_configuration_arn(&rc)
        .tags("team", "video")
        .send()
        .await
        .expect("create");
    let mut expected = created.channel().expect("channel").clone();
    let arn = expected.arn.clone().expect("arn");

    let out = c.update_channel().arn(&arn).name("after").send().await.expect("update name");
    expected.name = Some("after".into());
    assert_eq!(out.channel(), Some(&expected), "only the name changed");

    let out = c.update_channel().arn(&arn).authorized(false).send().await.expect("update authorized");
    expected.authorized = false;
    assert_eq!(out.channel(), Some(&expected), "only authorized changed");

    let out = c.update_channel().arn(&arn).recording_configuration_arn("").send().await.expect("unset");
    expected.recording_configuration_arn = Some(String::new());
    assert_eq!(out.channel(), Some(&expected), "only the recording configuration changed");

    let got = c.get_channel().arn(&arn).send().await.expect("get");
    assert_eq!(got.channel(), Some(&expected), "GetChannel sees the updates");
}

#[tokio::test]
async fn changing_an_advanced_channel_to_standard_resets_its_preset() {
    let s = Server::start();
    let c = s.client();
    let out = c
        .create_channel()
        .r#type(ChannelType::AdvancedHdChannelType)
        .preset(TranscodePreset::ConstrainedBandwidthTranscodePreset)
        .send()
        .await
        .expect("create");
    let arn = out.channel().and_then(|ch| ch.arn()).expect("arn").to_string();
    let preset_after = |out: aws_sdk_ivs::operation::update_channel::UpdateChannelOutput| {
        out.channel().and_then(|ch| ch.preset()).map(|p| p.as_str().to_owned())
    };
    let out = c.update_channel().arn(&arn).name("renamed").send().await.expect("rename");
    assert_eq!(preset_after(out).as_deref(), Some("CONSTRAINED_BANDWIDTH_DELIVERY"), "kept");
    let out = c
        .update_channel()
        .arn(&arn)
        .r#type(ChannelType::StandardChannelType)
        .send()
        .await
        .expect("to standard");
    assert_eq!(preset_after(out).as_deref(), Some(""), "reset for STANDARD");
    let res =
        c.update_channel().arn(&arn).preset(TranscodePreset::HigherBandwidthTranscodePreset).send().await;
    expect_err(res, "ValidationException", "preset");
    let out = c
        .update_channel()
        .arn(&arn)
        .r#type(ChannelType::AdvancedSdChannelType)
        .send()
        .await
        .expect("to advanced");
    assert_eq!(preset_after(out).as_deref(), Some("HIGHER_BANDWIDTH_DELIVERY"), "default again");
}

#[tokio::test]
async fn update_channel_of_unknown_arn_or_reference_is_not_found() {
    let s = Server::start();
    let c = s.client();
    let arn = format!("arn:aws:ivs:us-west-2:{ACCOUNT}:channel/NoSuchChanel");
    let e =
        expect_err(c.update_channel().arn(&arn).name("x").send().await, "ResourceNotFoundException", &arn);
    assert!(e.is_resource_not_found_exception());

    let out = c.create_channel().name("kept").send().await.expect("create");
    let arn = out.channel().and_then(|ch| ch.arn()).expect("arn");
    let missing = format!("arn:aws:ivs:us-west-2:{ACCOUNT}:playback-restriction-policy/AbCdEf123456");
    let res =
        c.update_channel().arn(arn).name("changed").playback_restriction_policy_arn(&missing).send().await;
    expect_err(res, "ResourceNotFoundException", &missing);
    let got = c.get_channel().arn(arn).send().await.expect("get");
    assert_eq!(got.channel(), out.channel(), "a failed update changes nothing");
}

#[tokio::test]
async fn delete_channel_deletes_its_stream_key() {
    let s = Server::start();
    let c = s.client();
    let out = c.create_channel().send().await.expect("create");
    let arn = out.channel().and_then(|ch| ch.arn()).expect("arn");
    let key_arn = out.stream_key().and_then(|k| k.arn()).expect("key arn");

    let raw = raw_post(&s, "DeleteChannel", &json!({ "arn": arn }));
    assert_eq!(raw.status, 204);
    assert!(raw.body.is_empty(), "204 has no body: {:?}", String::from_utf8_lossy(&raw.body));

    expect_err(c.get_channel().arn(arn).send().await, "ResourceNotFoundException", arn);
    let e = expect_err(c.get_stream_key().arn(key_arn).send().await, "ResourceNotFoundException", key_arn);
    assert!(e.is_resource_not_found_exception());
    expect_err(c.delete_channel().arn(arn).send().await, "ResourceNotFoundException", arn);
}

#[tokio::test]
async fn configurations_in_use_cannot_be_deleted_until_released() {
    let s = Server::start();
    let c = s.client();
    let rc = recording_configuration(&c).await;
    let prp = restriction_policy(&c).await;
    let out = c
        .create_channel()
        .recording_configuration_arn(&rc)
        .playback_restriction_policy_arn(&prp)
        .send()
        .await
        .expect("create");
    let channel = out.channel().and_then(|ch| ch.arn()).expect("arn");

    let res = c.delete_recording_configuration().arn(&rc).send().await;
    let e = expect_err(res, "ConflictException", channel);
    assert!(e.is_conflict_exception());
    let res = c.delete_playback_restriction_policy().arn(&prp).send().await;
    let e = expect_err(res, "ConflictException", channel);
    assert!(e.is_conflict_exception());
    c.get_recording_configuration().arn(&rc).send().await.expect("still there");

    c.update_channel()
        .arn(channel)
        .recording_configuration_arn("")
        .playback_restriction_policy_arn("")
        .send()
        .await
        .expect("release");
    c.delete_recording_configuration().arn(&rc).send().await.expect("delete recording configuration");
    c.delete_playback_restriction_policy().arn(&prp).send().await.expect("delete policy");
}

#[tokio::test]
async fn list_channels_filters_one_at_a_time() {
    let s = Server::start();
    let c = s.client();
    let rc = recording_configuration(&c).await;
    let prp = restriction_policy(&c).await;
    let create = |name: &'static str, rc: Option<&str>, prp: Option<&str>| {
        let req = c
            .create_channel()
            .name(name)
            .set_recording_configuration_arn(rc.map(str::to_owned))
            .set_playback_restriction_policy_arn(prp.map(str::to_owned));
        async move { req.send().await.expect("create").channel().and_then(|ch| ch.arn.clone()).expect("arn") }
    };
    let recorded = create("alpha", Some(&rc), None).await;
    let restricted = create("beta", None, Some(&prp)).await;
    let plain_alpha = create("alpha", None, None).await;
    create("alphabet", None, None).await;

    let arns = |out: aws_sdk_ivs::operation::list_channels::ListChannelsOutput| -> Vec<String> {
        out.channels().iter().filter_map(|ch| ch.arn.clone()).collect()
    };
    let by_name = c.list_channels().filter_by_name("alpha").send().await.expect("by name");
    assert_eq!(arns(by_name), [recorded.clone(), plain_alpha], "the name matches exactly");
    let by_rc = c.list_channels().filter_by_recording_configuration_arn(&rc).send().await.expect("by rc");
    assert_eq!(arns(by_rc), [recorded]);
    let by_prp = c.list_channels().filter_by_playback_restriction_policy_arn(&prp).send().await.expect("prp");
    assert_eq!(arns(by_prp), [restricted]);
    let none = c.list_channels().filter_by_name("nobody").send().await.expect("no match");
    assert!(none.channels().is_empty());
    assert_eq!(c.list_channels().send().await.expect("all").channels().len(), 4);

    let res =
        c.list_channels().filter_by_name("alpha").filter_by_recording_configuration_arn(&rc).send().await;
    let e = expect_err(res, "ConflictException", "filterByRecordingConfigurationArn");
    assert!(e.is_conflict_exception());
    let res = c
        .list_channels()
        .filter_by_recording_configuration_arn(&rc)
        .filter_by_playback_restriction_policy_arn(&prp)
        .send()
        .await;
    expect_err(res, "ConflictException", "filterByPlaybackRestrictionPolicyArn");
}

#[tokio::test]
async fn tags_given_on_create_appear_in_get_and_list() {
    let s = Server::start();
    let c = s.client();
    let out = c
        .create_channel()
        .name("tagged")
        .tags("team", "video")
        .tags("cost-center", "42")
        .send()
        .await
        .expect("create");
    let tags =
        HashMap::from([("team".to_string(), "video".to_string()), ("cost-center".into(), "42".into())]);
    let ch = out.channel().expect("channel");
    assert_eq!(ch.tags(), Some(&tags));
    let got = c.get_channel().arn(ch.arn().expect("arn")).send().await.expect("get");
    assert_eq!(got.channel().and_then(|ch| ch.tags()), Some(&tags));
    let list = c.list_channels().send().await.expect("list");
    assert_eq!(list.channels().first().and_then(|ch| ch.tags()), Some(&tags));
}

#[tokio::test]
async fn list_summaries_carry_the_summary_members_of_the_channel() {
    let s = Server::start();
    let c = s.client();
    let rc = recording_configuration(&c).await;
    let prp = restriction_policy(&c).await;
    let out = c
        .create_channel()
        .name("full")
        .r#type(ChannelType::AdvancedSdChannelType)
        .latency_mode(ChannelLatencyMode::NormalLatency)
        .authorized(true)
        .insecure_ingest(true)
        .recording_configuration_arn(&rc)
        .playback_restriction_policy_arn(&prp)
        .tags("k", "v")
        .send()
        .await
        .expect("create");
    let arn = out.channel().and_then(|ch| ch.arn()).expect("arn");
    let full = raw_post(&s, "GetChannel", &json!({ "arn": arn })).json()["channel"].clone();
    let list = raw_post(&s, "ListChannels", &json!({})).json();
    let summary = list["channels"][0].as_object().expect("a summary").clone();
    let members = [
        "arn",
        "name",
        "latencyMode",
        "authorized",
        "recordingConfigurationArn",
        "tags",
        "insecureIngest",
        "type",
        "preset",
        "playbackRestrictionPolicyArn",
        "adConfigurationArn",
        "failoverSlateConfigurationArn",
    ];
    let mut keys: Vec<&str> = summary.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected = members.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected, "exactly the ChannelSummary members (no SRT passphrase)");
    for m in members {
        assert_eq!(summary[m], full[m], "summary.{m}");
    }
}

#[tokio::test]
async fn channels_are_invisible_to_other_accounts_and_regions() {
    let s = Server::start();
    let c = s.client();
    let out = c.create_channel().name("mine").send().await.expect("create");
    let arn = out.channel().and_then(|ch| ch.arn()).expect("arn");
    let key_arn = out.stream_key().and_then(|k| k.arn()).expect("key arn");

    let (key, secret, account) = s.create_key(Some("210987654321"), &[]);
    assert_eq!(account, "210987654321");
    let other_account = s.client_for("us-west-2", &key, &secret);
    let other_region = s.client_for("eu-west-1", &s.access_key_id, &s.secret_access_key);
    for other in [&other_account, &other_region] {
        expect_err(other.get_channel().arn(arn).send().await, "ResourceNotFoundException", arn);
        expect_err(other.get_stream_key().arn(key_arn).send().await, "ResourceNotFoundException", key_arn);
        expect_err(other.update_channel().arn(arn).name("x").send().await, "ResourceNotFoundException", arn);
        expect_err(other.delete_channel().arn(arn).send().await, "ResourceNotFoundException", arn);
        assert!(other.list_channels().send().await.expect("list").channels().is_empty());
        let batch = other.batch_get_channel().arns(arn).send().await.expect("batch");
        assert!(batch.channels().is_empty());
        assert_eq!(batch.errors().len(), 1);
    }
    c.get_channel().arn(arn).send().await.expect("untouched");

    let theirs = other_account.create_channel().send().await.expect("their channel");
    let their_arn = theirs.channel().and_then(|ch| ch.arn()).expect("arn");
    assert!(their_arn.starts_with("arn:aws:ivs:us-west-2:210987654321:channel/"), "{their_arn}");
    expect_err(c.get_channel().arn(their_arn).send().await, "ResourceNotFoundException", their_arn);

    let eu = other_region.create_channel().send().await.expect("eu channel");
    let eu_ch = eu.channel().expect("channel");
    let eu_arn = eu_ch.arn().expect("arn");
    let id = eu_arn.strip_prefix(&format!("arn:aws:ivs:eu-west-1:{ACCOUNT}:channel/")).expect("eu ARN");
    let url = eu_ch.playback_url().expect("url");
    assert!(url.ends_with(&format!("/api/video/v1/eu-west-1.{ACCOUNT}.channel.{id}.m3u8")), "{url}");
    let value = eu.stream_key().and_then(|k| k.value()).expect("value");
    assert!(value.starts_with("sk_eu-west-1_"), "{value}");
    let ours: Vec<_> = c.list_channels().send().await.expect("list").channels().to_vec();
    assert_eq!(ours.len(), 1, "the us-west-2 list shows only the us-west-2 channel");
}
