//! Recording configurations and playback restriction policies (ivs-api.md Create/Get/List/Delete
//! RecordingConfiguration, Create/Get/Update/List/Delete PlaybackRestrictionPolicy, §7 constraints;
//! ivs-behaviour.md §6 and §8): documented defaults, the model's and the documented validation rules,
//! summaries, and deletion refused while a channel uses the resource.

use aws_sdk_ivs::error::ProvideErrorMetadata;
use aws_sdk_ivs::types::{
    DestinationConfiguration, RecordingConfigurationState, RecordingMode, RenditionConfiguration,
    RenditionConfigurationRendition as Rendition, RenditionConfigurationRenditionSelection as Selection,
    S3DestinationConfiguration, ThumbnailConfiguration, ThumbnailConfigurationResolution,
    ThumbnailConfigurationStorage as Storage,
};
use conformance::{ACCOUNT, Server};
use std::collections::HashMap;

/// An S3 destination for `bucket`.
fn s3(bucket: &str) -> DestinationConfiguration {
    let s3 = S3DestinationConfiguration::builder().bucket_name(bucket).build().expect("bucketName set");
    DestinationConfiguration::builder().s3(s3).build()
}

/// Asserts a failed call is a `ValidationException` whose message names `member`.
fn assert_invalid<E: ProvideErrorMetadata + std::fmt::Debug>(err: &E, is_validation: bool, member: &str) {
    assert!(is_validation, "expected ValidationException: {err:?}");
    assert!(err.message().unwrap_or_default().contains(member), "message should name {member}: {err:?}");
}

#[tokio::test]
async fn recording_configuration_defaults_get_list_delete() {
    let s = Server::start();
    let c = s.client();
    let out = c
        .create_recording_configuration()
        .name("archive")
        .destination_configuration(s3("my-recordings.bucket-1"))
        .send()
        .await
        .expect("create");
    let rc = out.recording_configuration().expect("recordingConfiguration");
    let arn = rc.arn().to_string();
    assert!(arn.starts_with(&format!("arn:aws:ivs:us-west-2:{ACCOUNT}:recording-configuration/")), "{arn}");
    assert_eq!(rc.name(), Some("archive"));
    // CREATING until the probe write to the bucket succeeds (here a folder in the data dir).
    assert_eq!(rc.state(), &RecordingConfigurationState::Creating);
    assert_eq!(
        rc.destination_configuration().and_then(|d| d.s3()).map(|s| s.bucket_name()),
        Some("my-recordings.bucket-1")
    );
    assert_eq!(rc.tags(), Some(&HashMap::new()));
    assert_eq!(rc.recording_reconnect_window_seconds(), 0);
    let thumbs = rc.thumbnail_configuration().expect("thumbnailConfiguration defaulted");
    assert_eq!(thumbs.recording_mode(), Some(&RecordingMode::Interval));
    assert_eq!(thumbs.target_interval_seconds(), Some(60));
    assert_eq!(thumbs.storage(), &[Storage::Sequential]);
    assert_eq!(thumbs.resolution(), None, "default resolution is the source's");
    let renditions = rc.rendition_configuration().expect("renditionConfiguration defaulted");
    assert_eq!(renditions.rendition_selection(), Some(&Selection::All));

    // Get returns the same configuration, ACTIVE once the probe wrote.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let got = loop {
        let got = c.get_recording_configuration().arn(&arn).send().await.expect("get");
        let state = got.recording_configuration().map(|r| r.state().clone());
        if state != Some(RecordingConfigurationState::Creating) || std::time::Instant::now() > deadline {
            break got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let mut active = rc.clone();
    active.state = RecordingConfigurationState::Active;
    assert_eq!(got.recording_configuration(), Some(&active));

    // Everything given is kept.
    let custom = c
        .create_recording_configuration()
        .destination_configuration(s3("abc"))
        .recording_reconnect_window_seconds(300)
        .thumbnail_configuration(
            ThumbnailConfiguration::builder()
                .recording_mode(RecordingMode::Interval)
                .target_interval_seconds(5)
                .resolution(ThumbnailConfigurationResolution::Hd)
                .storage(Storage::Sequential)
                .storage(Storage::Latest)
                .build(),
        )
        .rendition_configuration(
            RenditionConfiguration::builder()
                .rendition_selection(Selection::Custom)
                .renditions(Rendition::Hd)
                .renditions(Rendition::LowestResolution)
                .build(),
        )
        .tags("env", "prod")
        .send()
        .await
        .expect("create with everything");
    let custom = custom.recording_configuration().expect("recordingConfiguration");
    assert_eq!(custom.recording_reconnect_window_seconds(), 300);
    let thumbs = custom.thumbnail_configuration().expect("thumbnails");
    assert_eq!(
        (thumbs.target_interval_seconds(), thumbs.resolution()),
        (Some(5), Some(&ThumbnailConfigurationResolution::Hd))
    );
    assert_eq!(thumbs.storage(), &[Storage::Sequential, Storage::Latest]);
    let renditions = custom.rendition_configuration().expect("renditions");
    assert_eq!(renditions.rendition_selection(), Some(&Selection::Custom));
    assert_eq!(renditions.renditions(), &[Rendition::Hd, Rendition::LowestResolution]);
    assert_eq!(custom.tags().and_then(|t| t.get("env")).map(String::as_str), Some("prod"));

    // The summary: arn, name, destination, state, tags, in creation order.
    let list = c.list_recording_configurations().send().await.expect("list");
    let items = list.recording_configurations();
    assert_eq!(items.len(), 2);
    assert_eq!(
        (items[0].arn(), items[0].name(), items[0].state()),
        (arn.as_str(), Some("archive"), &RecordingConfigurationState::Active)
    );
    assert_eq!(
        items[0].destination_configuration().and_then(|d| d.s3()).map(|s| s.bucket_name()),
        Some("my-recordings.bucket-1")
    );
    assert_eq!(items[1].arn(), custom.arn());

    c.delete_recording_configuration().arn(&arn).send().await.expect("delete");
    let err = c.get_recording_configuration().arn(&arn).send().await.expect_err("gone").into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert!(err.message().unwrap_or_default().contains(&arn), "{err:?}");
    let err =
        c.delete_recording_configuration().arn(&arn).send().await.expect_err("twice").into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert_eq!(
        c.list_recording_configurations().send().await.expect("list").recording_configurations().len(),
        1
    );
}

#[tokio::test]
async fn recording_configuration_validation() {
    let s = Server::start();
    let c = s.client();
    let bucket = "destinationConfiguration.s3.bucketName";
    for bad in ["ab", "MyBucket", "under_score", &"b".repeat(64)] {
        let err = c
            .create_recording_configuration()
            .destination_configuration(s3(bad))
            .send()
            .await
            .expect_err(bad)
            .into_service_error();
        assert_invalid(&err, err.is_validation_exception(), bucket);
    }
    // No destination at all, and a destination without s3.
    let err =
        c.create_recording_configuration().send().await.expect_err("no destination").into_service_error();
    assert_invalid(&err, err.is_validation_exception(), "destinationConfiguration");
    let err = c
        .create_recording_configuration()
        .destination_configuration(DestinationConfiguration::builder().build())
        .send()
        .await
        .expect_err("empty destination")
        .into_service_error();
    assert_invalid(&err, err.is_validation_exception(), "destinationConfiguration");
    // CUSTOM renditions need the list of renditions.
    let err = c
        .create_recording_configuration()
        .destination_configuration(s3("abc"))
        .rendition_configuration(
            RenditionConfiguration::builder().rendition_selection(Selection::Custom).build(),
        )
        .send()
        .await
        .expect_err("custom without renditions")
        .into_service_error();
    assert_invalid(&err, err.is_validation_exception(), "renditions");
    // Model ranges: reconnect window 0..300, thumbnail interval 1..60.
    let err = c
        .create_recording_configuration()
        .destination_configuration(s3("abc"))
        .recording_reconnect_window_seconds(301)
        .send()
        .await
        .expect_err("window")
        .into_service_error();
    assert_invalid(&err, err.is_validation_exception(), "recordingReconnectWindowSeconds");
    let err = c
        .create_recording_configuration()
        .destination_configuration(s3("abc"))
        .thumbnail_configuration(ThumbnailConfiguration::builder().target_interval_seconds(61).build())
        .send()
        .await
        .expect_err("interval")
        .into_service_error();
    assert_invalid(&err, err.is_validation_exception(), "thumbnailConfiguration.targetIntervalSeconds");
    assert!(
        c.list_recording_configurations().send().await.expect("list").recording_configurations().is_empty()
    );
}

#[tokio::test]
async fn recording_configuration_in_use_cannot_be_deleted() {
    let s = Server::start();
    let c = s.client();
    let rc =
        c.create_recording_configuration().destination_configuration(s3("abc")).send().await.expect("create");
    let rc_arn = rc.recording_configuration().map(|r| r.arn().to_string()).expect("arn");
    let ch = c.create_channel().recording_configuration_arn(&rc_arn).send().await.expect("channel");
    let ch_arn = ch.channel().and_then(|c| c.arn()).expect("channel arn").to_string();

    let err = c
        .delete_recording_configuration()
        .arn(&rc_arn)
        .send()
        .await
        .expect_err("in use")
        .into_service_error();
    assert!(err.is_conflict_exception(), "{err:?}");
    assert!(err.message().unwrap_or_default().contains(&ch_arn), "message names the channel: {err:?}");
    c.get_recording_configuration().arn(&rc_arn).send().await.expect("still there");

    // Detaching it (recordingConfigurationArn "") frees it.
    c.update_channel().arn(&ch_arn).recording_configuration_arn("").send().await.expect("detach");
    c.delete_recording_configuration().arn(&rc_arn).send().await.expect("delete after detach");
    let missing = format!("arn:aws:ivs:us-west-2:{ACCOUNT}:recording-configuration/AbCdEf123456");
    let err =
        c.delete_recording_configuration().arn(&missing).send().await.expect_err("404").into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
}

#[tokio::test]
async fn playback_restriction_policy_defaults_update_get_list_delete() {
    let s = Server::start();
    let c = s.client();
    let out = c.create_playback_restriction_policy().send().await.expect("create with nothing");
    let p = out.playback_restriction_policy().expect("policy");
    let arn = p.arn().to_string();
    assert!(
        arn.starts_with(&format!("arn:aws:ivs:us-west-2:{ACCOUNT}:playback-restriction-policy/")),
        "{arn}"
    );
    assert!(p.allowed_countries().is_empty() && p.allowed_origins().is_empty());
    assert_eq!(p.enable_strict_origin_enforcement(), Some(false));
    assert_eq!(p.name(), Some(""));
    assert_eq!(p.tags(), Some(&HashMap::new()));

    // Update changes only the members given.
    let up = c
        .update_playback_restriction_policy()
        .arn(&arn)
        .allowed_countries("US")
        .allowed_countries("DE")
        .allowed_origins("https://example.com")
        .send()
        .await
        .expect("update lists");
    let up = up.playback_restriction_policy().expect("policy");
    assert_eq!(up.allowed_countries(), &["US".to_string(), "DE".to_string()]);
    assert_eq!(up.allowed_origins(), &["https://example.com".to_string()]);
    assert_eq!((up.enable_strict_origin_enforcement(), up.name()), (Some(false), Some("")));
    let up = c
        .update_playback_restriction_policy()
        .arn(&arn)
        .name("geo")
        .enable_strict_origin_enforcement(true)
        .send()
        .await
        .expect("update flags");
    let up = up.playback_restriction_policy().expect("policy");
    assert_eq!((up.name(), up.enable_strict_origin_enforcement()), (Some("geo"), Some(true)));
    assert_eq!(up.allowed_countries(), &["US".to_string(), "DE".to_string()], "countries kept");
    assert_eq!(up.allowed_origins(), &["https://example.com".to_string()], "origins kept");
    let up = c.update_playback_restriction_policy().arn(&arn).allowed_countries("FR").send().await;
    let up = up.expect("update countries");
    let up = up.playback_restriction_policy().expect("policy");
    assert_eq!(up.allowed_countries(), &["FR".to_string()]);
    assert_eq!(up.allowed_origins(), &["https://example.com".to_string()], "origins kept");
    assert_eq!((up.name(), up.enable_strict_origin_enforcement()), (Some("geo"), Some(true)), "others kept");
    let got = c.get_playback_restriction_policy().arn(&arn).send().await.expect("get");
    assert_eq!(got.playback_restriction_policy(), Some(up));

    // ListPlaybackRestrictionPolicies pages one at a time by default (the model's "Default: 1").
    let second = c
        .create_playback_restriction_policy()
        .name("second")
        .allowed_origins("http://localhost:8080")
        .send()
        .await
        .expect("second");
    let second_arn = second.playback_restriction_policy().map(|p| p.arn().to_string()).expect("arn");
    let page1 = c.list_playback_restriction_policies().send().await.expect("page 1");
    assert_eq!(page1.playback_restriction_policies().len(), 1);
    let summary = &page1.playback_restriction_policies()[0];
    assert_eq!((summary.arn(), summary.name()), (arn.as_str(), Some("geo")));
    assert_eq!(summary.allowed_countries(), &["FR".to_string()]);
    let token = page1.next_token().expect("a second page");
    let page2 = c.list_playback_restriction_policies().next_token(token).send().await.expect("page 2");
    assert_eq!(page2.playback_restriction_policies().len(), 1);
    assert_eq!(page2.playback_restriction_policies()[0].arn(), second_arn);
    assert!(page2.next_token().is_none());
    let all = c.list_playback_restriction_policies().max_results(100).send().await.expect("all");
    assert_eq!(all.playback_restriction_policies().len(), 2);
    for n in [0, 101] {
        let err = c.list_playback_restriction_policies().max_results(n).send().await;
        let err = err.expect_err("maxResults").into_service_error();
        assert_invalid(&err, err.is_validation_exception(), "maxResults");
    }

    c.delete_playback_restriction_policy().arn(&arn).send().await.expect("delete");
    let err =
        c.get_playback_restriction_policy().arn(&arn).send().await.expect_err("gone").into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    let err = c
        .update_playback_restriction_policy()
        .arn(&arn)
        .name("x")
        .send()
        .await
        .expect_err("update gone")
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    let err = c
        .delete_playback_restriction_policy()
        .arn(&arn)
        .send()
        .await
        .expect_err("twice")
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
}

#[tokio::test]
async fn playback_restriction_policy_country_and_origin_rules() {
    let s = Server::start();
    let c = s.client();
    // Officially assigned ISO 3166-1 alpha-2 codes only (the model's documentation): not too long or
    // short, not lower case, not unassigned or user-assigned codes.
    for bad in ["USA", "U", "12", "us", "XX", "ZZ"] {
        let err = c
            .create_playback_restriction_policy()
            .allowed_countries("US")
            .allowed_countries(bad)
            .send()
            .await
            .expect_err(bad)
            .into_service_error();
        assert_invalid(&err, err.is_validation_exception(), "allowedCountries");
    }
    let long = format!("https://{}.example.com", "a".repeat(120));
    let bad_origins = [
        "example.com",
        "https://example.com/path",
        "https://exa mple.com",
        "https://example.com:http",
        "",
        &long,
    ];
    for bad in bad_origins {
        let err = c
            .create_playback_restriction_policy()
            .allowed_origins(bad)
            .send()
            .await
            .expect_err(bad)
            .into_service_error();
        assert_invalid(&err, err.is_validation_exception(), "allowedOrigins");
    }
    let ok = c
        .create_playback_restriction_policy()
        .allowed_countries("GB")
        .allowed_countries("AX")
        .allowed_origins("https://www.example.com")
        .allowed_origins("http://localhost:3000")
        .send()
        .await
        .expect("valid policy");
    let arn = ok.playback_restriction_policy().map(|p| p.arn().to_string()).expect("arn");
    // Update applies the same rules, and a refused update changes nothing.
    let err = c
        .update_playback_restriction_policy()
        .arn(&arn)
        .allowed_countries("FRA")
        .name("renamed")
        .send()
        .await
        .expect_err("bad update")
        .into_service_error();
    assert_invalid(&err, err.is_validation_exception(), "allowedCountries");
    let err = c
        .update_playback_restriction_policy()
        .arn(&arn)
        .allowed_origins("ftp:/nope")
        .send()
        .await
        .expect_err("bad update")
        .into_service_error();
    assert_invalid(&err, err.is_validation_exception(), "allowedOrigins");
    let got = c.get_playback_restriction_policy().arn(&arn).send().await.expect("get");
    let got = got.playback_restriction_policy().expect("policy");
    assert_eq!((got.name(), got.allowed_countries()), (Some(""), &["GB".to_string(), "AX".to_string()][..]));
    assert_eq!(
        c.list_playback_restriction_policies()
            .max_results(100)
            .send()
            .await
            .expect("list")
            .playback_restriction_policies()
            .len(),
        1
    );
}

#[tokio::test]
async fn playback_restriction_policy_in_use_cannot_be_deleted() {
    let s = Server::start();
    let c = s.client();
    let p = c.create_playback_restriction_policy().allowed_countries("US").send().await.expect("create");
    let p_arn = p.playback_restriction_policy().map(|p| p.arn().to_string()).expect("arn");
    let ch = c.create_channel().playback_restriction_policy_arn(&p_arn).send().await.expect("channel");
    let ch_arn = ch.channel().and_then(|c| c.arn()).expect("channel arn").to_string();
    let err = c
        .delete_playback_restriction_policy()
        .arn(&p_arn)
        .send()
        .await
        .expect_err("in use")
        .into_service_error();
    assert!(err.is_conflict_exception(), "{err:?}");
    assert!(err.message().unwrap_or_default().contains(&ch_arn), "message names the channel: {err:?}");
    // Deleting the channel frees the policy.
    c.delete_channel().arn(&ch_arn).send().await.expect("delete channel");
    c.delete_playback_restriction_policy().arn(&p_arn).send().await.expect("delete policy");
}
