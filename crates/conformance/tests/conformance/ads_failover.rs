//! Ad configurations and failover slate configurations (ivs-api.md Create/Get/Update/List/Delete
//! AdConfiguration, InsertAdBreak, Create/Get/Update/List/Delete FailoverSlateConfiguration, §7
//! constraints): MediaTailor playback configurations (1..3, valid ARNs), post-roll, the failover slate
//! defaults and ranges, and deletion refused while a channel uses the configuration.

use aws_sdk_ivs::error::ProvideErrorMetadata;
use aws_sdk_ivs::types::{
    FailoverSlateConfigurationState, MediaTailorPlaybackConfiguration, PostRollConfiguration,
};
use conformance::{ACCOUNT, Server};
use std::collections::HashMap;

/// A MediaTailor playback configuration of the test account with a valid ARN ending in `name`.
fn mediatailor(name: &str) -> MediaTailorPlaybackConfiguration {
    crate::common::mediatailor(ACCOUNT, name)
}

fn post_roll(enabled: bool, duration_seconds: i32) -> PostRollConfiguration {
    PostRollConfiguration::builder()
        .enabled(enabled)
        .duration_seconds(duration_seconds)
        .build()
        .expect("both set")
}

/// Asserts a failed call is a `ValidationException` whose message names `member`.
fn assert_invalid<E: ProvideErrorMetadata + std::fmt::Debug>(err: &E, is_validation: bool, member: &str) {
    assert!(is_validation, "expected ValidationException: {err:?}");
    assert!(err.message().unwrap_or_default().contains(member), "message should name {member}: {err:?}");
}

#[tokio::test]
async fn ad_configuration_create_get_update_list_delete() {
    let s = Server::start();
    let c = s.client();
    let out = c
        .create_ad_configuration()
        .name("ads")
        .media_tailor_playback_configurations(mediatailor("abc"))
        .post_roll_configuration(post_roll(true, 30))
        .send()
        .await
        .expect("create");
    let ad = out.ad_configuration().expect("adConfiguration");
    let arn = ad.arn().to_string();
    assert!(arn.starts_with(&format!("arn:aws:ivs:us-west-2:{ACCOUNT}:ad-configuration/")), "{arn}");
    assert_eq!(ad.name(), Some("ads"));
    assert_eq!(ad.media_tailor_playback_configurations(), &[mediatailor("abc")]);
    assert_eq!(ad.post_roll_configuration(), Some(&post_roll(true, 30)));
    assert_eq!(ad.tags(), Some(&HashMap::new()));
    let got = c.get_ad_configuration().arn(&arn).send().await.expect("get");
    assert_eq!(got.ad_configuration(), Some(ad));

    // Three MediaTailor configurations are allowed; without a post-roll, the documented default applies
    // ("disabled (enabled set to false, durationSeconds set to 15)").
    let three = c
        .create_ad_configuration()
        .media_tailor_playback_configurations(mediatailor("one"))
        .media_tailor_playback_configurations(mediatailor("two"))
        .media_tailor_playback_configurations(mediatailor("three"))
        .send()
        .await
        .expect("three");
    let three = three.ad_configuration().expect("adConfiguration");
    assert_eq!(three.media_tailor_playback_configurations().len(), 3);
    assert_eq!(three.post_roll_configuration(), Some(&post_roll(false, 15)));

    // Update changes only what is given.
    let up = c.update_ad_configuration().arn(&arn).post_roll_configuration(post_roll(false, 10)).send().await;
    let up = up.expect("update post-roll");
    let up = up.ad_configuration().expect("adConfiguration");
    assert_eq!((up.name(), up.post_roll_configuration()), (Some("ads"), Some(&post_roll(false, 10))));
    assert_eq!(up.media_tailor_playback_configurations(), &[mediatailor("abc")]);
    let up = c
        .update_ad_configuration()
        .arn(&arn)
        .name("renamed")
        .media_tailor_playback_configurations(mediatailor("xyz"))
        .send()
        .await
        .expect("update name and list");
    let up = up.ad_configuration().expect("adConfiguration");
    assert_eq!(
        (up.name(), up.media_tailor_playback_configurations()),
        (Some("renamed"), &[mediatailor("xyz")][..])
    );
    assert_eq!(up.post_roll_configuration(), Some(&post_roll(false, 10)), "post-roll kept");
    assert_eq!(c.get_ad_configuration().arn(&arn).send().await.expect("get").ad_configuration(), Some(up));

    let list = c.list_ad_configurations().send().await.expect("list");
    let items = list.ad_configurations();
    assert_eq!(items.len(), 2);
    assert_eq!((items[0].arn(), items[0].name()), (arn.as_str(), Some("renamed")));
    assert_eq!(items[0].media_tailor_playback_configurations(), &[mediatailor("xyz")]);
    assert_eq!(items[1].arn(), three.arn());

    c.delete_ad_configuration().arn(&arn).send().await.expect("delete");
    let err = c.get_ad_configuration().arn(&arn).send().await.expect_err("gone").into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert!(err.message().unwrap_or_default().contains(&arn), "{err:?}");
    let err =
        c.update_ad_configuration().arn(&arn).name("x").send().await.expect_err("gone").into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    let err = c.delete_ad_configuration().arn(&arn).send().await.expect_err("twice").into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
}

#[tokio::test]
async fn ad_configuration_validation() {
    let s = Server::start();
    let c = s.client();
    let list = "mediaTailorPlaybackConfigurations";
    let err = c.create_ad_configuration().send().await.expect_err("none").into_service_error();
    assert_invalid(&err, err.is_validation_exception(), list);
    let err = c
        .create_ad_configuration()
        .set_media_tailor_playback_configurations(Some(Vec::new()))
        .send()
        .await
        .expect_err("empty")
        .into_service_error();
    assert_invalid(&err, err.is_validation_exception(), list);
    let four = ["a", "b", "c", "d"].map(mediatailor).to_vec();
    let err = c
        .create_ad_configuration()
        .set_media_tailor_playback_configurations(Some(four.clone()))
        .send()
        .await
        .expect_err("four")
        .into_service_error();
    assert_invalid(&err, err.is_validation_exception(), list);
    let bad_arns = [
        "arn:aws:mediatailor:us-west-2:123456789012:channel/abc",
        "arn:aws:ivs:us-west-2:123456789012:playbackConfiguration/abc",
        "arn:aws:mediatailor:us-west-2:123456789012:playbackConfiguration/a_b",
        "not an arn",
        // The model's doc: "in the same region and account".
        "arn:aws:mediatailor:eu-west-1:123456789012:playbackConfiguration/abc",
        "arn:aws:mediatailor:us-west-2:210987654321:playbackConfiguration/abc",
        "",
    ];
    for bad in bad_arns {
        let cfg = MediaTailorPlaybackConfiguration::builder().playback_configuration_arn(bad).build();
        let err = c
            .create_ad_configuration()
            .media_tailor_playback_configurations(cfg)
            .send()
            .await
            .expect_err(bad)
            .into_service_error();
        assert_invalid(&err, err.is_validation_exception(), "playbackConfigurationArn");
    }
    // An item without an ARN names nothing to insert ads from.
    let err = c
        .create_ad_configuration()
        .media_tailor_playback_configurations(mediatailor("abc"))
        .media_tailor_playback_configurations(MediaTailorPlaybackConfiguration::builder().build())
        .send()
        .await
        .expect_err("item without an ARN")
        .into_service_error();
    assert_invalid(
        &err,
        err.is_validation_exception(),
        "mediaTailorPlaybackConfigurations.1.playbackConfigurationArn",
    );
    let err = c
        .create_ad_configuration()
        .media_tailor_playback_configurations(mediatailor("abc"))
        .post_roll_configuration(post_roll(true, 301))
        .send()
        .await
        .expect_err("post-roll too long")
        .into_service_error();
    assert_invalid(&err, err.is_validation_exception(), "postRollConfiguration.durationSeconds");

    // Update follows the same rules and a refused update changes nothing.
    let ok =
        c.create_ad_configuration().media_tailor_playback_configurations(mediatailor("abc")).send().await;
    let arn = ok.expect("valid").ad_configuration().map(|a| a.arn().to_string()).expect("arn");
    let err = c
        .update_ad_configuration()
        .arn(&arn)
        .name("changed")
        .set_media_tailor_playback_configurations(Some(four))
        .send()
        .await
        .expect_err("update with four")
        .into_service_error();
    assert_invalid(&err, err.is_validation_exception(), list);
    let elsewhere = MediaTailorPlaybackConfiguration::builder()
        .playback_configuration_arn("arn:aws:mediatailor:eu-west-1:123456789012:playbackConfiguration/abc")
        .build();
    let err = c
        .update_ad_configuration()
        .arn(&arn)
        .media_tailor_playback_configurations(elsewhere)
        .send()
        .await
        .expect_err("update to another region")
        .into_service_error();
    assert_invalid(&err, err.is_validation_exception(), "playbackConfigurationArn");
    let got = c.get_ad_configuration().arn(&arn).send().await.expect("get");
    assert_eq!(got.ad_configuration().and_then(|a| a.name()), Some(""));
    assert_eq!(c.list_ad_configurations().send().await.expect("list").ad_configurations().len(), 1);
    for n in [0, 101] {
        let err = c
            .list_ad_configurations()
            .max_results(n)
            .send()
            .await
            .expect_err("maxResults")
            .into_service_error();
        assert_invalid(&err, err.is_validation_exception(), "maxResults");
    }
}

#[tokio::test]
async fn ad_configuration_in_use_and_insert_ad_break() {
    let s = Server::start();
    let c = s.client();
    let ad =
        c.create_ad_configuration().media_tailor_playback_configurations(mediatailor("abc")).send().await;
    let ad_arn = ad.expect("ad configuration").ad_configuration().map(|a| a.arn().to_string()).expect("arn");
    let plain = c.create_channel().name("plain").send().await.expect("channel without ads");
    let plain_arn = plain.channel().and_then(|c| c.arn()).expect("arn").to_string();
    let with_ads =
        c.create_channel().name("ads").ad_configuration_arn(&ad_arn).send().await.expect("channel");
    let with_ads = with_ads.channel().expect("channel");
    assert_eq!(with_ads.ad_configuration_arn(), Some(ad_arn.as_str()));
    let ch_arn = with_ads.arn().expect("arn").to_string();

    // No ad configuration on the channel: a conflict, whether or not it is live.
    let err = c
        .insert_ad_break()
        .channel_arn(&plain_arn)
        .duration_seconds(30)
        .send()
        .await
        .expect_err("no ads")
        .into_service_error();
    assert!(err.is_conflict_exception(), "{err:?}");
    assert!(err.message().unwrap_or_default().contains("adConfigurationArn"), "{err:?}");
    // With one, but offline (nothing is streaming in this test): ChannelNotBroadcasting.
    let err = c
        .insert_ad_break()
        .channel_arn(&ch_arn)
        .duration_seconds(30)
        .send()
        .await
        .expect_err("offline")
        .into_service_error();
    assert!(err.is_channel_not_broadcasting(), "{err:?}");
    // The model's ranges come first.
    let err = c
        .insert_ad_break()
        .channel_arn(&ch_arn)
        .duration_seconds(301)
        .send()
        .await
        .expect_err("too long")
        .into_service_error();
    assert_invalid(&err, err.is_validation_exception(), "durationSeconds");
    let err = c
        .insert_ad_break()
        .channel_arn(&ch_arn)
        .duration_seconds(30)
        .ad_break_id("short")
        .send()
        .await
        .expect_err("bad id")
        .into_service_error();
    assert_invalid(&err, err.is_validation_exception(), "adBreakId");

    let err = c.delete_ad_configuration().arn(&ad_arn).send().await.expect_err("in use").into_service_error();
    assert!(err.is_conflict_exception(), "{err:?}");
    assert!(err.message().unwrap_or_default().contains(&ch_arn), "message names the channel: {err:?}");
    c.update_channel().arn(&ch_arn).ad_configuration_arn("").send().await.expect("detach");
    c.delete_ad_configuration().arn(&ad_arn).send().await.expect("delete after detach");
}

#[tokio::test]
async fn failover_slate_configuration_defaults_update_list_delete() {
    let s = Server::start();
    let c = s.client();
    let out = c.create_failover_slate_configuration().send().await.expect("create with defaults");
    let f = out.failover_slate_configuration().expect("failoverSlateConfiguration");
    let arn = f.arn().to_string();
    assert!(
        arn.starts_with(&format!("arn:aws:ivs:us-west-2:{ACCOUNT}:failover-slate-configuration/")),
        "{arn}"
    );
    let settings = |f: &aws_sdk_ivs::types::FailoverSlateConfiguration| {
        (f.activation_threshold_seconds(), f.min_slate_display_seconds(), f.max_slate_display_seconds())
    };
    assert_eq!(settings(f), (Some(3), Some(3), Some(60)));
    assert_eq!(f.state(), &FailoverSlateConfigurationState::Created);
    assert_eq!(f.tags(), Some(&HashMap::new()));
    let got = c.get_failover_slate_configuration().arn(&arn).send().await.expect("get");
    assert_eq!(got.failover_slate_configuration(), Some(f));

    let given = c
        .create_failover_slate_configuration()
        .name("slate")
        .activation_threshold_seconds(5)
        .min_slate_display_seconds(10)
        .max_slate_display_seconds(180)
        .tags("k", "v")
        .send()
        .await
        .expect("create with values");
    let given = given.failover_slate_configuration().expect("failoverSlateConfiguration");
    assert_eq!((given.name(), settings(given)), (Some("slate"), (Some(5), Some(10), Some(180))));
    assert_eq!(given.tags().and_then(|t| t.get("k")).map(String::as_str), Some("v"));

    // Update: only the given members change.
    let up = c.update_failover_slate_configuration().arn(&arn).min_slate_display_seconds(7).send().await;
    let up = up.expect("update min");
    let up = up.failover_slate_configuration().expect("failoverSlateConfiguration");
    assert_eq!(settings(up), (Some(3), Some(7), Some(60)));
    let up = c
        .update_failover_slate_configuration()
        .arn(&arn)
        .name("renamed")
        .activation_threshold_seconds(4)
        .max_slate_display_seconds(120)
        .send()
        .await
        .expect("update the rest");
    let up = up.failover_slate_configuration().expect("failoverSlateConfiguration");
    assert_eq!((up.name(), settings(up)), (Some("renamed"), (Some(4), Some(7), Some(120))));
    let got = c.get_failover_slate_configuration().arn(&arn).send().await.expect("get");
    assert_eq!(got.failover_slate_configuration(), Some(up));

    let list = c.list_failover_slate_configurations().send().await.expect("list");
    let items = list.failover_slate_configurations();
    assert_eq!(items.len(), 2);
    assert_eq!((items[0].arn(), items[0].name()), (arn.as_str(), Some("renamed")));
    assert_eq!(items[0].max_slate_display_seconds(), Some(120));
    assert_eq!(items[1].arn(), given.arn());

    c.delete_failover_slate_configuration().arn(&arn).send().await.expect("delete");
    let err =
        c.get_failover_slate_configuration().arn(&arn).send().await.expect_err("gone").into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    let err = c
        .update_failover_slate_configuration()
        .arn(&arn)
        .name("x")
        .send()
        .await
        .expect_err("gone")
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    let err = c
        .delete_failover_slate_configuration()
        .arn(&arn)
        .send()
        .await
        .expect_err("twice")
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
}

#[tokio::test]
async fn failover_slate_configuration_ranges() {
    let s = Server::start();
    let c = s.client();
    // activationThresholdSeconds 3..5, minSlateDisplaySeconds 3..10, maxSlateDisplaySeconds 60..180.
    let cases = [
        ("activationThresholdSeconds", 2),
        ("activationThresholdSeconds", 6),
        ("minSlateDisplaySeconds", 2),
        ("minSlateDisplaySeconds", 11),
        ("maxSlateDisplaySeconds", 59),
        ("maxSlateDisplaySeconds", 181),
    ];
    let target = c.create_failover_slate_configuration().send().await.expect("create");
    let arn = target.failover_slate_configuration().map(|f| f.arn().to_string()).expect("arn");
    for (member, value) in cases {
        let create = c.create_failover_slate_configuration();
        let create = match member {
            "activationThresholdSeconds" => create.activation_threshold_seconds(value),
            "minSlateDisplaySeconds" => create.min_slate_display_seconds(value),
            _ => create.max_slate_display_seconds(value),
        };
        let err = create.send().await.expect_err(member).into_service_error();
        assert_invalid(&err, err.is_validation_exception(), member);
        assert!(
            err.message().unwrap_or_default().contains(&value.to_string()),
            "message gives the value: {err:?}"
        );
        let update = c.update_failover_slate_configuration().arn(&arn);
        let update = match member {
            "activationThresholdSeconds" => update.activation_threshold_seconds(value),
            "minSlateDisplaySeconds" => update.min_slate_display_seconds(value),
            _ => update.max_slate_display_seconds(value),
        };
        let err = update.send().await.expect_err(member).into_service_error();
        assert_invalid(&err, err.is_validation_exception(), member);
    }
    for n in [0, 101] {
        let err = c.list_failover_slate_configurations().max_results(n).send().await;
        let err = err.expect_err("maxResults").into_service_error();
        assert_invalid(&err, err.is_validation_exception(), "maxResults");
    }
    // Nothing was created or changed by the refused calls.
    let list = c.list_failover_slate_configurations().send().await.expect("list");
    assert_eq!(list.failover_slate_configurations().len(), 1);
    let f = &list.failover_slate_configurations()[0];
    assert_eq!(
        (f.activation_threshold_seconds(), f.min_slate_display_seconds(), f.max_slate_display_seconds()),
        (Some(3), Some(3), Some(60))
    );
}

#[tokio::test]
async fn failover_slate_configuration_in_use_cannot_be_deleted() {
    let s = Server::start();
    let c = s.client();
    let f = c.create_failover_slate_configuration().send().await.expect("create");
    let f_arn = f.failover_slate_configuration().map(|f| f.arn().to_string()).expect("arn");
    let ch = c.create_channel().failover_slate_configuration_arn(&f_arn).send().await.expect("channel");
    let ch = ch.channel().expect("channel");
    assert_eq!(ch.failover_slate_configuration_arn(), Some(f_arn.as_str()));
    let ch_arn = ch.arn().expect("arn").to_string();
    let err = c
        .delete_failover_slate_configuration()
        .arn(&f_arn)
        .send()
        .await
        .expect_err("in use")
        .into_service_error();
    assert!(err.is_conflict_exception(), "{err:?}");
    assert!(err.message().unwrap_or_default().contains(&ch_arn), "message names the channel: {err:?}");
    c.update_channel().arn(&ch_arn).failover_slate_configuration_arn("").send().await.expect("detach");
    c.delete_failover_slate_configuration().arn(&f_arn).send().await.expect("delete after detach");
}
