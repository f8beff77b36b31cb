//! A tour of all 46 operations with openivs-client, in the order a real integration calls them; after
//! each write, the official SDK reads the same state and must see what our client sees. Operations
//! that need a live stream (none can be live yet: openivs has no ingest) are called for their offline
//! errors, with the SDK's errors compared.

use std::collections::BTreeSet;

use conformance::{ACCOUNT, Server};
use openivs_client::token::PlaybackTokenSigner;
use openivs_client::types::*;
use openivs_client::*;

use crate::tour_channel::{Refs, channel_and_streams};
use crate::{ours, same_err};

pub(crate) fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

fn mediatailor(id: &str) -> MediaTailorPlaybackConfiguration {
    MediaTailorPlaybackConfiguration {
        playback_configuration_arn: Some(format!(
            "arn:aws:mediatailor:us-west-2:{ACCOUNT}:playbackConfiguration/{id}"
        )),
    }
}

pub(crate) fn sorted<'a>(v: impl IntoIterator<Item = Option<&'a str>>) -> Vec<String> {
    let mut v: Vec<String> = v.into_iter().flatten().map(str::to_owned).collect();
    v.sort();
    v
}

#[tokio::test]
async fn every_operation_once_agreeing_with_the_official_sdk() {
    let server = Server::start();
    let (c, sdk) = (ours(&server), server.client());
    let mut done = BTreeSet::new();

    // A playback key pair made by our signer, imported; its tokens are for the private channel.
    let pair = PlaybackTokenSigner::generate().expect("key pair");
    let input = ImportPlaybackKeyPairRequest {
        name: s("signer"),
        public_key_material: Some(pair.signer.public_key_pem()),
        ..Default::default()
    };
    let kp = c.import_playback_key_pair(input).await.expect("import").key_pair.expect("key pair");
    let kp_arn = kp.arn.clone().expect("arn");
    done.insert("ImportPlaybackKeyPair");
    let got = c.get_playback_key_pair(GetPlaybackKeyPairRequest { arn: kp.arn.clone() }).await.expect("get");
    let theirs = sdk.get_playback_key_pair().arn(&kp_arn).send().await.expect("sdk get");
    let theirs = theirs.key_pair().expect("key pair");
    assert_eq!((got.key_pair.as_ref(), kp.fingerprint.as_deref()), (Some(&kp), theirs.fingerprint()));
    done.insert("GetPlaybackKeyPair");
    let list =
        c.list_playback_key_pairs(Default::default()).await.expect("list").key_pairs.unwrap_or_default();
    let theirs = sdk.list_playback_key_pairs().send().await.expect("sdk list");
    assert_eq!(
        sorted(list.iter().map(|k| k.arn.as_deref())),
        sorted(theirs.key_pairs().iter().map(|k| k.arn()))
    );
    done.insert("ListPlaybackKeyPairs");

    // The configurations a channel can use.
    let input = CreateRecordingConfigurationRequest {
        name: s("tour"),
        destination_configuration: Some(DestinationConfiguration {
            s3: Some(S3DestinationConfiguration { bucket_name: s("tour-recordings") }),
        }),
        ..Default::default()
    };
    let rc = c
        .create_recording_configuration(input)
        .await
        .expect("create rc")
        .recording_configuration
        .expect("rc");
    let rc_arn = rc.arn.clone().expect("arn");
    done.insert("CreateRecordingConfiguration");
    let got = c
        .get_recording_configuration(GetRecordingConfigurationRequest { arn: s(&rc_arn) })
        .await
        .expect("get rc");
    let theirs = sdk.get_recording_configuration().arn(&rc_arn).send().await.expect("sdk get rc");
    let theirs = theirs.recording_configuration().expect("rc");
    // CREATING when created, then ACTIVE once the probe write succeeds: compare all but the state,
    // and the two reads' states with each other (the second read may see the probe done).
    let got = got.recording_configuration.expect("rc");
    assert_eq!(rc.state.as_ref().map(|s| s.as_str()), Some("CREATING"));
    let stateless = |r: &RecordingConfiguration| RecordingConfiguration { state: None, ..r.clone() };
    assert_eq!(stateless(&got), stateless(&rc));
    assert_eq!(got.name.as_deref(), theirs.name());
    assert!(
        got.state.as_ref().map(|s| s.as_str()) == Some(theirs.state().as_str())
            || got.state.as_ref().map(|s| s.as_str()) == Some("CREATING"),
        "{:?} then {:?}",
        got.state,
        theirs.state()
    );
    done.insert("GetRecordingConfiguration");
    let list = c.list_recording_configurations(Default::default()).await.expect("list rc");
    let theirs = sdk.list_recording_configurations().send().await.expect("sdk list rc");
    let mine = list.recording_configurations.unwrap_or_default();
    assert_eq!(
        sorted(mine.iter().map(|r| r.arn.as_deref())),
        sorted(theirs.recording_configurations().iter().map(|r| Some(r.arn())))
    );
    done.insert("ListRecordingConfigurations");

    let input = CreatePlaybackRestrictionPolicyRequest {
        allowed_countries: Some(vec!["US".into()]),
        ..Default::default()
    };
    let policy = c.create_playback_restriction_policy(input).await.expect("create policy");
    let policy_arn = policy.playback_restriction_policy.and_then(|p| p.arn).expect("policy arn");
    done.insert("CreatePlaybackRestrictionPolicy");
    let input = UpdatePlaybackRestrictionPolicyRequest {
        arn: s(&policy_arn),
        allowed_origins: Some(vec!["https://tour.example.com".into()]),
        ..Default::default()
    };
    let up =
        c.update_playback_restriction_policy(input).await.expect("update policy").playback_restriction_policy;
    assert_eq!(up.as_ref().and_then(|p| p.allowed_countries.clone()), Some(vec!["US".to_string()]));
    done.insert("UpdatePlaybackRestrictionPolicy");
    let got =
        c.get_playback_restriction_policy(GetPlaybackRestrictionPolicyRequest { arn: s(&policy_arn) }).await;
    assert_eq!(got.expect("get policy").playback_restriction_policy, up);
    let theirs = sdk.get_playback_restriction_policy().arn(&policy_arn).send().await.expect("sdk get policy");
    let theirs = theirs.playback_restriction_policy().expect("policy");
    assert_eq!(
        up.as_ref().and_then(|p| p.allowed_origins.clone()).unwrap_or_default(),
        theirs.allowed_origins()
    );
    done.insert("GetPlaybackRestrictionPolicy");
    let list = c.list_playback_restriction_policies(Default::default()).await.expect("list policies");
    let theirs = sdk.list_playback_restriction_policies().send().await.expect("sdk list policies");
    let mine = list.playback_restriction_policies.unwrap_or_default();
    assert_eq!(
        sorted(mine.iter().map(|p| p.arn.as_deref())),
        sorted(theirs.playback_restriction_policies().iter().map(|p| Some(p.arn())))
    );
    done.insert("ListPlaybackRestrictionPolicies");

    let input = CreateAdConfigurationRequest {
        media_tailor_playback_configurations: Some(vec![mediatailor("tour")]),
        ..Default::default()
    };
    let ad = c.create_ad_configuration(input).await.expect("create ads").ad_configuration.expect("ads");
    let ad_arn = ad.arn.clone().expect("arn");
    done.insert("CreateAdConfiguration");
    let up = c.update_ad_configuration(UpdateAdConfigurationRequest {
        arn: s(&ad_arn),
        name: s("tour-ads"),
        ..Default::default()
    });
    assert_eq!(
        up.await.expect("update ads").ad_configuration.and_then(|a| a.name).as_deref(),
        Some("tour-ads")
    );
    done.insert("UpdateAdConfiguration");
    let got = c.get_ad_configuration(GetAdConfigurationRequest { arn: s(&ad_arn) }).await.expect("get ads");
    let theirs = sdk.get_ad_configuration().arn(&ad_arn).send().await.expect("sdk get ads");
    let theirs = theirs.ad_configuration().expect("ads");
    let got = got.ad_configuration.expect("ads");
    assert_eq!(got.name.as_deref(), theirs.name());
    let mine_mt = got.media_tailor_playback_configurations.unwrap_or_default();
    let theirs_mt: Vec<_> = theirs
        .media_tailor_playback_configurations()
        .iter()
        .map(|m| m.playback_configuration_arn())
        .collect();
    assert_eq!(
        mine_mt.iter().map(|m| m.playback_configuration_arn.as_deref()).collect::<Vec<_>>(),
        theirs_mt
    );
    done.insert("GetAdConfiguration");
    let list = c
        .list_ad_configurations(Default::default())
        .await
        .expect("list ads")
        .ad_configurations
        .unwrap_or_default();
    assert_eq!(
        list.len(),
        sdk.list_ad_configurations().send().await.expect("sdk list ads").ad_configurations().len()
    );
    done.insert("ListAdConfigurations");

    let slate = c.create_failover_slate_configuration(Default::default()).await.expect("create slate");
    let slate_arn = slate.failover_slate_configuration.and_then(|f| f.arn).expect("slate arn");
    done.insert("CreateFailoverSlateConfiguration");
    let input = UpdateFailoverSlateConfigurationRequest {
        arn: s(&slate_arn),
        max_slate_display_seconds: Some(90),
        ..Default::default()
    };
    let up = c.update_failover_slate_configuration(input).await.expect("update slate");
    assert_eq!(up.failover_slate_configuration.and_then(|f| f.max_slate_display_seconds), Some(90));
    done.insert("UpdateFailoverSlateConfiguration");
    let got =
        c.get_failover_slate_configuration(GetFailoverSlateConfigurationRequest { arn: s(&slate_arn) }).await;
    let got = got.expect("get slate").failover_slate_configuration.expect("slate");
    let theirs = sdk.get_failover_slate_configuration().arn(&slate_arn).send().await.expect("sdk get slate");
    let theirs = theirs.failover_slate_configuration().expect("slate");
    assert_eq!(
        (got.max_slate_display_seconds, got.activation_threshold_seconds),
        (theirs.max_slate_display_seconds(), theirs.activation_threshold_seconds())
    );
    done.insert("GetFailoverSlateConfiguration");
    let list = c.list_failover_slate_configurations(Default::default()).await.expect("list slates");
    let n = sdk
        .list_failover_slate_configurations()
        .send()
        .await
        .expect("sdk list slates")
        .failover_slate_configurations()
        .len();
    assert_eq!(list.failover_slate_configurations.map(|l| l.len()), Some(n));
    done.insert("ListFailoverSlateConfigurations");

    // A private channel that uses all of them, its stream keys, tags and streams.
    let refs =
        Refs { rc: rc_arn.clone(), policy: policy_arn.clone(), ad: ad_arn.clone(), slate: slate_arn.clone() };
    let ch_arn = channel_and_streams(&c, &sdk, &refs, &pair.signer, &mut done).await;
    let arn = || s(&ch_arn);

    // Tear down; the SDK sees each resource gone.
    c.delete_channel(DeleteChannelRequest { arn: arn() }).await.expect("delete channel");
    same_err!(
        c.get_channel(GetChannelRequest { arn: arn() }),
        sdk.get_channel().arn(&ch_arn),
        GetChannelError::ResourceNotFoundException
    );
    done.insert("DeleteChannel");
    c.delete_recording_configuration(DeleteRecordingConfigurationRequest { arn: s(&rc_arn) })
        .await
        .expect("delete rc");
    done.insert("DeleteRecordingConfiguration");
    c.delete_playback_restriction_policy(DeletePlaybackRestrictionPolicyRequest { arn: s(&policy_arn) })
        .await
        .expect("delete policy");
    done.insert("DeletePlaybackRestrictionPolicy");
    c.delete_ad_configuration(DeleteAdConfigurationRequest { arn: s(&ad_arn) }).await.expect("delete ads");
    done.insert("DeleteAdConfiguration");
    c.delete_failover_slate_configuration(DeleteFailoverSlateConfigurationRequest { arn: s(&slate_arn) })
        .await
        .expect("delete slate");
    done.insert("DeleteFailoverSlateConfiguration");
    c.delete_playback_key_pair(DeletePlaybackKeyPairRequest { arn: s(&kp_arn) })
        .await
        .expect("delete key pair");
    done.insert("DeletePlaybackKeyPair");
    same_err!(
        c.get_playback_key_pair(GetPlaybackKeyPairRequest { arn: s(&kp_arn) }),
        sdk.get_playback_key_pair().arn(&kp_arn),
        GetPlaybackKeyPairError::ResourceNotFoundException
    );
    assert!(
        sdk.list_recording_configurations().send().await.expect("sdk").recording_configurations().is_empty()
    );

    let all: BTreeSet<&str> = Operation::ALL.iter().map(|o| o.info().name).collect();
    assert_eq!(done, all);
}
