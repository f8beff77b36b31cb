//! A tour of the whole API: one test that calls every one of the 46 operations of the model
//! (ivs-api.md §3) at least once, in the order a real integration would, with the official SDK, and
//! checks each result. openivs has no ingest yet, so nothing can go live: GetStream, StopStream,
//! PutMetadata and InsertAdBreak are called for `ChannelNotBroadcasting`, GetStreamSession for
//! `ResourceNotFoundException` (no session yet); their success paths are not covered anywhere yet.
//!
//! # Coverage of the suite
//!
//! Which test covers each operation's success path and each error the model lists for it
//! (`module::test`; `tour` is this module's test). Errors that apply to every operation alike:
//!
//! - **AccessDeniedException** (403): one check in the API layer for every operation; covered by
//!   `auth::key_allowed_only_some_actions` (CreateChannel, PutMetadata refused for a key whose
//!   `--allow` list lacks them). Not listed again below.
//! - **ValidationException** (400): the model's constraints are checked in one place for every
//!   operation; `errors_wire::all_46_operations_are_routed` sends `{}` to each operation (a missing
//!   required member is a ValidationException), `errors_wire::validation_messages_name_the_members`
//!   checks the message format. Below: the tests of each operation's own rules.
//! - **ThrottlingException** (429): IVS's rate limits (`--disable-rate-limits` off) apply to every
//!   operation by one mechanism; covered for GetPlaybackKeyPair by
//!   `errors_wire::rate_limits_throttle_raw_calls_and_the_sdk_retries` and for PutMetadata's
//!   per-channel limit by `errors_wire::put_metadata_is_limited_per_channel`; the other operations
//!   that model it (marked "Thr: mechanism only") are not tested one by one.
//! - Never produced, by design: **PendingVerification** (openivs has no account verification);
//!   **InternalServerException**, **ServiceUnavailable**, **StreamUnavailable** (internal faults;
//!   none can be provoked from outside).
//! - "no trigger": a modeled error for which IVS documents no cause and openivs has none:
//!   ServiceQuotaExceeded where openivs sets no quota (IVS's defaults for channels, recording
//!   configurations, policies, ad and failover-slate configurations are undocumented,
//!   ivs-behaviour.md §10, §12); ConflictException where no conflicting state is documented.
//! - "needs live": the error needs a live stream, which openivs cannot have yet.
//!
//! | operation | success path | errors |
//! |---|---|---|
//! | BatchGetChannel | `channels::batch_get_channel_reports_missing_arns_once`, tour | Val: all_46 |
//! | BatchGetStreamKey | `stream_keys::get_and_batch_get_return_the_values`, tour | Val: all_46 |
//! | BatchStartViewerSessionRevocation | `streams::batch_revocation_reports_each_failure`, tour | Val: `streams::batch_revocation_reports_each_failure`; Thr: mechanism only |
//! | CreateAdConfiguration | `ads_failover::ad_configuration_create_get_update_list_delete`, tour | Val: `ads_failover::ad_configuration_validation`; NotFound: no trigger (MediaTailor is not reachable, only the ARN's shape, region and account are checked); Conflict, Quota: no trigger; Thr: mechanism only |
//! | CreateChannel | `channels::create_channel_returns_the_defaults_real_ivs_returns`, tour | NotFound: `channels::create_channel_checks_and_keeps_its_references`; Val: `channels::create_channel_validation_names_the_member`; Quota: no trigger |
//! | CreateFailoverSlateConfiguration | `ads_failover::failover_slate_configuration_defaults_update_list_delete`, tour | Val: `ads_failover::failover_slate_configuration_ranges`; Conflict, Quota: no trigger; Thr: mechanism only |
//! | CreatePlaybackRestrictionPolicy | `configurations::playback_restriction_policy_defaults_update_get_list_delete`, tour | Val: `configurations::playback_restriction_policy_country_and_origin_rules`; Quota: no trigger; Thr: mechanism only |
//! | CreateRecordingConfiguration | `configurations::recording_configuration_defaults_get_list_delete`, tour | Val: `configurations::recording_configuration_validation`; Conflict, Quota: no trigger |
//! | CreateStreamKey | `stream_keys::a_channel_has_one_stream_key_rotated_by_delete_and_create`, tour | NotFound: `stream_keys::create_stream_key_for_an_unknown_channel_is_not_found`; Quota: `stream_keys::a_channel_has_one_stream_key_rotated_by_delete_and_create`, `stream_keys::concurrent_creates_leave_one_stream_key`; Val: all_46 |
//! | DeleteAdConfiguration | `ads_failover::ad_configuration_create_get_update_list_delete`, tour | NotFound: same test; Conflict: `ads_failover::ad_configuration_in_use_and_insert_ad_break`; Val: all_46 |
//! | DeleteChannel | `channels::delete_channel_deletes_its_stream_key`, tour | NotFound: `channels::channels_are_invisible_to_other_accounts_and_regions`; Conflict (live channel): needs live; Val: all_46 |
//! | DeleteFailoverSlateConfiguration | `ads_failover::failover_slate_configuration_defaults_update_list_delete`, tour | NotFound: same test; Conflict: `ads_failover::failover_slate_configuration_in_use_cannot_be_deleted`; Val: all_46 |
//! | DeletePlaybackKeyPair | `playback_keys::import_get_list_delete_round_trip`, tour | NotFound: same test; Val: all_46 |
//! | DeletePlaybackRestrictionPolicy | `configurations::playback_restriction_policy_defaults_update_get_list_delete`, tour | NotFound: same test; Conflict: `configurations::playback_restriction_policy_in_use_cannot_be_deleted`, `channels::configurations_in_use_cannot_be_deleted_until_released`; Val: all_46 |
//! | DeleteRecordingConfiguration | `configurations::recording_configuration_defaults_get_list_delete`, tour | NotFound: same test, `configurations::recording_configuration_in_use_cannot_be_deleted`; Conflict: `configurations::recording_configuration_in_use_cannot_be_deleted`, `channels::configurations_in_use_cannot_be_deleted_until_released`; Val: all_46 |
//! | DeleteStreamKey | `stream_keys::a_channel_has_one_stream_key_rotated_by_delete_and_create`, tour | NotFound: `stream_keys::create_stream_key_for_an_unknown_channel_is_not_found`; Val: all_46 |
//! | GetAdConfiguration | `ads_failover::ad_configuration_create_get_update_list_delete`, tour | NotFound: same test; Val: all_46 |
//! | GetChannel | `smoke::channel_round_trip_with_the_official_sdk`, `channels::create_channel_returns_the_defaults_real_ivs_returns`, tour | NotFound: `channels::get_channel_of_an_unknown_arn_is_not_found`; Val: `errors_wire::the_sdk_decodes_modeled_errors_as_typed` |
//! | GetFailoverSlateConfiguration | `ads_failover::failover_slate_configuration_defaults_update_list_delete`, tour | NotFound: same test; Val: all_46 |
//! | GetPlaybackKeyPair | `playback_keys::import_get_list_delete_round_trip`, tour | NotFound: same test, `playback_keys::key_pairs_are_per_account_and_region`; Val: all_46 |
//! | GetPlaybackRestrictionPolicy | `configurations::playback_restriction_policy_defaults_update_get_list_delete`, tour | NotFound: same test; Val: all_46 |
//! | GetRecordingConfiguration | `configurations::recording_configuration_defaults_get_list_delete`, tour | NotFound: same test; Val: all_46 |
//! | GetStream | none: needs live | ChannelNotBroadcasting: `streams::live_operations_on_an_offline_channel_are_channel_not_broadcasting`, `errors_wire::the_sdk_decodes_modeled_errors_as_typed`, tour; NotFound: `streams::stream_operations_on_a_missing_channel_are_not_found`; Val: all_46 |
//! | GetStreamKey | `stream_keys::get_and_batch_get_return_the_values`, tour | NotFound: `channels::delete_channel_deletes_its_stream_key`, tour; Val: all_46 |
//! | GetStreamSession | none: needs live (a session exists only after a stream) | NotFound: `streams::a_channel_that_never_streamed_has_no_sessions`, tour; Val: all_46 |
//! | ImportPlaybackKeyPair | `playback_keys::import_get_list_delete_round_trip`, tour | Val: `playback_keys::only_p384_public_keys_are_accepted`; Conflict, Quota: `playback_keys::same_key_twice_is_a_conflict_and_a_fourth_key_exceeds_the_quota`, Quota also `playback_keys::quota_holds_under_concurrent_imports` |
//! | InsertAdBreak | none: needs live | ChannelNotBroadcasting, Conflict (no ad configuration), Val: `ads_failover::ad_configuration_in_use_and_insert_ad_break`; ChannelNotBroadcasting also `streams::live_operations_on_an_offline_channel_are_channel_not_broadcasting`, tour; NotFound: `streams::stream_operations_on_a_missing_channel_are_not_found`; Thr: mechanism only |
//! | ListAdConfigurations | `ads_failover::ad_configuration_create_get_update_list_delete`, tour | Val: `ads_failover::ad_configuration_validation` (maxResults) |
//! | ListChannels | `pagination::list_channels_pages_end_without_a_token`, tour | Conflict: `channels::list_channels_filters_one_at_a_time`; Val: `pagination::max_results_outside_1_to_100_is_refused`, `pagination::tampered_or_foreign_tokens_are_refused` |
//! | ListFailoverSlateConfigurations | `ads_failover::failover_slate_configuration_defaults_update_list_delete`, tour | Val: `ads_failover::failover_slate_configuration_ranges` (maxResults) |
//! | ListPlaybackKeyPairs | `playback_keys::import_get_list_delete_round_trip`, `pagination::other_lists_paginate_alike`, tour | Val: `pagination::max_results_outside_1_to_100_is_refused` |
//! | ListPlaybackRestrictionPolicies | `configurations::playback_restriction_policy_defaults_update_get_list_delete` (default page size 1), tour | Val: same test (maxResults); Conflict: no trigger |
//! | ListRecordingConfigurations | `configurations::recording_configuration_defaults_get_list_delete`, `pagination::other_lists_paginate_alike`, tour | Val: `pagination::max_results_outside_1_to_100_is_refused`, `pagination::tampered_or_foreign_tokens_are_refused` |
//! | ListStreamKeys | `stream_keys::list_stream_keys_never_returns_values`, tour | NotFound, Val: `stream_keys::list_stream_keys_needs_an_existing_channel_and_1_to_50_results` |
//! | ListStreamSessions | `streams::a_channel_that_never_streamed_has_no_sessions` (empty list), tour | NotFound: same test; Val: all_46 |
//! | ListStreams | `streams::list_streams_is_empty_and_takes_a_health_filter` (empty list), tour | Val: same test |
//! | ListTagsForResource | `tags::every_taggable_kind_can_be_tagged_listed_and_untagged`, tour | NotFound, Val: `tags::unknown_arns_are_not_found_and_malformed_ones_invalid` |
//! | PutMetadata | none: needs live | ChannelNotBroadcasting: `streams::live_operations_on_an_offline_channel_are_channel_not_broadcasting`, tour; NotFound: `streams::stream_operations_on_a_missing_channel_are_not_found`; Val: `streams::put_metadata_takes_1_to_1024_bytes`; Thr: `errors_wire::put_metadata_is_limited_per_channel` |
//! | StartViewerSessionRevocation | `streams::viewer_session_revocation_is_stored`, tour | NotFound, Val: same test; Thr: mechanism only |
//! | StopStream | none: needs live | ChannelNotBroadcasting: `streams::live_operations_on_an_offline_channel_are_channel_not_broadcasting`, tour; NotFound: `streams::stream_operations_on_a_missing_channel_are_not_found`; Val: all_46 |
//! | TagResource | `tags::every_taggable_kind_can_be_tagged_listed_and_untagged`, tour | NotFound: `tags::unknown_arns_are_not_found_and_malformed_ones_invalid`; Val: `tags::at_most_50_tags_and_a_refused_request_changes_nothing`, `tags::tag_keys_and_values_follow_the_aws_rules` |
//! | UntagResource | `tags::every_taggable_kind_can_be_tagged_listed_and_untagged`, tour | NotFound, Val: `tags::unknown_arns_are_not_found_and_malformed_ones_invalid`; Val also `tags::tag_keys_and_values_follow_the_aws_rules` |
//! | UpdateAdConfiguration | `ads_failover::ad_configuration_create_get_update_list_delete`, tour | NotFound: same test; Val: `ads_failover::ad_configuration_validation`; Conflict, Quota: no trigger; Thr: mechanism only |
//! | UpdateChannel | `channels::update_channel_changes_only_the_members_given`, tour | NotFound: `channels::update_channel_of_unknown_arn_or_reference_is_not_found`; Val: `channels::changing_an_advanced_channel_to_standard_resets_its_preset`; Conflict (live channel): needs live; Thr: mechanism only |
//! | UpdateFailoverSlateConfiguration | `ads_failover::failover_slate_configuration_defaults_update_list_delete`, tour | NotFound: same test; Val: `ads_failover::failover_slate_configuration_ranges`; Conflict, Quota: no trigger; Thr: mechanism only |
//! | UpdatePlaybackRestrictionPolicy | `configurations::playback_restriction_policy_defaults_update_get_list_delete`, tour | NotFound: same test; Val: `configurations::playback_restriction_policy_country_and_origin_rules`; Conflict: no trigger |
//!
//! "all_46" is `errors_wire::all_46_operations_are_routed`; "Val", "Thr", "Quota", "NotFound" are
//! ValidationException, ThrottlingException, ServiceQuotaExceededException, ResourceNotFoundException.

use aws_sdk_ivs::types::{
    BatchStartViewerSessionRevocationViewerSession, DestinationConfiguration, S3DestinationConfiguration,
};
use conformance::keys::PUB1;
use conformance::{ACCOUNT, Server};
use std::collections::{BTreeSet, HashMap};

#[tokio::test]
async fn every_operation_once() {
    let s = Server::start();
    let c = s.client();
    // The operations called so far, to check at the end that the tour called all 46.
    let mut done = BTreeSet::new();
    let arn_of = |kind: &str| format!("arn:aws:ivs:us-west-2:{ACCOUNT}:{kind}/");

    // Private playback: a key pair to sign viewer tokens.
    let kp =
        c.import_playback_key_pair().name("signer").public_key_material(PUB1).send().await.expect("import");
    let kp_arn = kp.key_pair().and_then(|k| k.arn()).expect("key pair arn").to_string();
    assert!(kp_arn.starts_with(&arn_of("playback-key")));
    done.insert("ImportPlaybackKeyPair");
    let got = c.get_playback_key_pair().arn(&kp_arn).send().await.expect("get key pair");
    assert_eq!(got.key_pair().and_then(|k| k.name()), Some("signer"));
    done.insert("GetPlaybackKeyPair");
    let list = c.list_playback_key_pairs().send().await.expect("list key pairs");
    assert_eq!(list.key_pairs().len(), 1);
    done.insert("ListPlaybackKeyPairs");

    // The configurations a channel can use.
    let s3 = S3DestinationConfiguration::builder().bucket_name("tour-recordings").build().expect("bucket");
    let rc = c
        .create_recording_configuration()
        .name("tour")
        .destination_configuration(DestinationConfiguration::builder().s3(s3).build())
        .send()
        .await
        .expect("create recording configuration");
    let rc_arn = rc.recording_configuration().map(|r| r.arn().to_string()).expect("recording arn");
    assert!(rc_arn.starts_with(&arn_of("recording-configuration")));
    done.insert("CreateRecordingConfiguration");
    let got = c.get_recording_configuration().arn(&rc_arn).send().await.expect("get recording configuration");
    assert_eq!(got.recording_configuration().and_then(|r| r.name()), Some("tour"));
    done.insert("GetRecordingConfiguration");
    let list = c.list_recording_configurations().send().await.expect("list recording configurations");
    assert_eq!(list.recording_configurations().len(), 1);
    done.insert("ListRecordingConfigurations");

    let policy =
        c.create_playback_restriction_policy().allowed_countries("US").send().await.expect("create policy");
    let policy_arn = policy.playback_restriction_policy().map(|p| p.arn().to_string()).expect("policy arn");
    assert!(policy_arn.starts_with(&arn_of("playback-restriction-policy")));
    done.insert("CreatePlaybackRestrictionPolicy");
    let up = c
        .update_playback_restriction_policy()
        .arn(&policy_arn)
        .allowed_origins("https://tour.example.com")
        .send()
        .await
        .expect("update policy");
    let up = up.playback_restriction_policy().expect("policy");
    assert_eq!((up.allowed_countries(), up.allowed_origins().len()), (&["US".to_string()][..], 1));
    done.insert("UpdatePlaybackRestrictionPolicy");
    let got = c.get_playback_restriction_policy().arn(&policy_arn).send().await.expect("get policy");
    assert_eq!(got.playback_restriction_policy(), Some(up));
    done.insert("GetPlaybackRestrictionPolicy");
    let list = c.list_playback_restriction_policies().send().await.expect("list policies");
    assert_eq!(list.playback_restriction_policies().len(), 1);
    done.insert("ListPlaybackRestrictionPolicies");

    let mediatailor = |id: &str| crate::common::mediatailor(ACCOUNT, id);
    let ad =
        c.create_ad_configuration().media_tailor_playback_configurations(mediatailor("tour")).send().await;
    let ad_arn =
        ad.expect("create ad configuration").ad_configuration().map(|a| a.arn().to_string()).expect("ad arn");
    assert!(ad_arn.starts_with(&arn_of("ad-configuration")));
    done.insert("CreateAdConfiguration");
    let up = c.update_ad_configuration().arn(&ad_arn).name("tour-ads").send().await.expect("update ads");
    assert_eq!(up.ad_configuration().and_then(|a| a.name()), Some("tour-ads"));
    done.insert("UpdateAdConfiguration");
    let got = c.get_ad_configuration().arn(&ad_arn).send().await.expect("get ads");
    assert_eq!(
        got.ad_configuration().map(|a| a.media_tailor_playback_configurations()),
        Some(&[mediatailor("tour")][..])
    );
    done.insert("GetAdConfiguration");
    let list = c.list_ad_configurations().send().await.expect("list ads");
    assert_eq!(list.ad_configurations().len(), 1);
    done.insert("ListAdConfigurations");

    let slate = c.create_failover_slate_configuration().send().await.expect("create slate");
    let slate_arn = slate.failover_slate_configuration().map(|f| f.arn().to_string()).expect("slate arn");
    assert!(slate_arn.starts_with(&arn_of("failover-slate-configuration")));
    done.insert("CreateFailoverSlateConfiguration");
    let up =
        c.update_failover_slate_configuration().arn(&slate_arn).max_slate_display_seconds(90).send().await;
    let up = up.expect("update slate");
    assert_eq!(up.failover_slate_configuration().and_then(|f| f.max_slate_display_seconds()), Some(90));
    done.insert("UpdateFailoverSlateConfiguration");
    let got = c.get_failover_slate_configuration().arn(&slate_arn).send().await.expect("get slate");
    assert_eq!(got.failover_slate_configuration().and_then(|f| f.activation_threshold_seconds()), Some(3));
    done.insert("GetFailoverSlateConfiguration");
    let list = c.list_failover_slate_configurations().send().await.expect("list slates");
    assert_eq!(list.failover_slate_configurations().len(), 1);
    done.insert("ListFailoverSlateConfigurations");

    // A private channel that uses all of them; CreateChannel also creates its stream key.
    let ch = c
        .create_channel()
        .name("tour")
        .authorized(true)
        .recording_configuration_arn(&rc_arn)
        .playback_restriction_policy_arn(&policy_arn)
        .ad_configuration_arn(&ad_arn)
        .failover_slate_configuration_arn(&slate_arn)
        .send()
        .await
        .expect("create channel");
    let channel = ch.channel().expect("channel");
    let ch_arn = channel.arn().expect("channel arn").to_string();
    assert!(ch_arn.starts_with(&arn_of("channel")));
    assert!(channel.authorized());
    assert_eq!(channel.recording_configuration_arn(), Some(rc_arn.as_str()));
    let first_key = ch.stream_key().expect("stream key");
    assert_eq!(first_key.channel_arn(), Some(ch_arn.as_str()));
    let first_key_arn = first_key.arn().expect("stream key arn").to_string();
    done.insert("CreateChannel");
    let got = c.get_channel().arn(&ch_arn).send().await.expect("get channel");
    assert_eq!(got.channel(), Some(channel));
    done.insert("GetChannel");
    let up = c.update_channel().arn(&ch_arn).name("tour-live").send().await.expect("update channel");
    assert_eq!(up.channel().and_then(|c| c.name()), Some("tour-live"));
    assert_eq!(
        up.channel().and_then(|c| c.ad_configuration_arn()),
        Some(ad_arn.as_str()),
        "others unchanged"
    );
    done.insert("UpdateChannel");
    let batch = c.batch_get_channel().arns(&ch_arn).send().await.expect("batch get channel");
    assert_eq!((batch.channels().len(), batch.errors().len()), (1, 0));
    done.insert("BatchGetChannel");
    let list =
        c.list_channels().filter_by_recording_configuration_arn(&rc_arn).send().await.expect("list channels");
    assert_eq!(list.channels().iter().filter_map(|c| c.arn()).collect::<Vec<_>>(), vec![ch_arn.as_str()]);
    done.insert("ListChannels");

    // Stream keys: read, rotate (delete + create), batch read.
    let got = c.get_stream_key().arn(&first_key_arn).send().await.expect("get stream key");
    assert_eq!(got.stream_key().and_then(|k| k.value()), first_key.value());
    done.insert("GetStreamKey");
    let list = c.list_stream_keys().channel_arn(&ch_arn).send().await.expect("list stream keys");
    assert_eq!(
        list.stream_keys().iter().filter_map(|k| k.arn()).collect::<Vec<_>>(),
        vec![first_key_arn.as_str()]
    );
    done.insert("ListStreamKeys");
    c.delete_stream_key().arn(&first_key_arn).send().await.expect("delete stream key");
    done.insert("DeleteStreamKey");
    let key = c.create_stream_key().channel_arn(&ch_arn).send().await.expect("create stream key");
    let key = key.stream_key().expect("stream key");
    assert_ne!(key.value(), first_key.value(), "a rotated key has a new value");
    let key_arn = key.arn().expect("stream key arn").to_string();
    done.insert("CreateStreamKey");
    let batch =
        c.batch_get_stream_key().arns(&key_arn).arns(&first_key_arn).send().await.expect("batch keys");
    assert_eq!(
        batch.stream_keys().iter().filter_map(|k| k.arn()).collect::<Vec<_>>(),
        vec![key_arn.as_str()]
    );
    assert_eq!(
        batch.errors().iter().filter_map(|e| e.arn()).collect::<Vec<_>>(),
        vec![first_key_arn.as_str()]
    );
    done.insert("BatchGetStreamKey");

    // Tags.
    c.tag_resource()
        .resource_arn(&ch_arn)
        .tags("env", "tour")
        .tags("team", "video")
        .send()
        .await
        .expect("tag");
    done.insert("TagResource");
    c.untag_resource().resource_arn(&ch_arn).tag_keys("team").send().await.expect("untag");
    done.insert("UntagResource");
    let tags = c.list_tags_for_resource().resource_arn(&ch_arn).send().await.expect("list tags");
    assert_eq!(tags.tags(), &HashMap::from([("env".to_string(), "tour".to_string())]));
    done.insert("ListTagsForResource");

    // Streams. openivs has no ingest yet (nothing can go live), so the operations that need a live
    // stream are called for their documented offline errors instead of their success paths.
    let err = c.get_stream().channel_arn(&ch_arn).send().await.expect_err("offline").into_service_error();
    assert!(err.is_channel_not_broadcasting(), "{err:?}");
    done.insert("GetStream");
    let err = c.stop_stream().channel_arn(&ch_arn).send().await.expect_err("offline").into_service_error();
    assert!(err.is_channel_not_broadcasting(), "{err:?}");
    done.insert("StopStream");
    let err = c.put_metadata().channel_arn(&ch_arn).metadata("hello").send().await.expect_err("offline");
    let err = err.into_service_error();
    assert!(err.is_channel_not_broadcasting(), "{err:?}");
    done.insert("PutMetadata");
    let err =
        c.insert_ad_break().channel_arn(&ch_arn).duration_seconds(30).send().await.expect_err("offline");
    let err = err.into_service_error();
    assert!(err.is_channel_not_broadcasting(), "{err:?}");
    done.insert("InsertAdBreak");
    // A channel that never went live has no session: ResourceNotFoundException.
    let err = c
        .get_stream_session()
        .channel_arn(&ch_arn)
        .send()
        .await
        .expect_err("no session")
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    done.insert("GetStreamSession");
    let list = c.list_streams().send().await.expect("list streams");
    assert!(list.streams().is_empty());
    done.insert("ListStreams");
    let list = c.list_stream_sessions().channel_arn(&ch_arn).send().await.expect("list stream sessions");
    assert!(list.stream_sessions().is_empty());
    done.insert("ListStreamSessions");

    // Viewer-session revocation works on an offline channel (it applies to future playback).
    c.start_viewer_session_revocation()
        .channel_arn(&ch_arn)
        .viewer_id("viewer-1")
        .send()
        .await
        .expect("revoke one viewer");
    done.insert("StartViewerSessionRevocation");
    let session = |viewer: &str| {
        BatchStartViewerSessionRevocationViewerSession::builder()
            .channel_arn(&ch_arn)
            .viewer_id(viewer)
            .viewer_session_versions_less_than_or_equal_to(2)
            .build()
            .expect("viewer session")
    };
    let batch = c
        .batch_start_viewer_session_revocation()
        .viewer_sessions(session("viewer-2"))
        .viewer_sessions(session("viewer-3"))
        .send()
        .await
        .expect("revoke a batch");
    assert!(batch.errors().is_empty(), "{:?}", batch.errors());
    done.insert("BatchStartViewerSessionRevocation");

    // Tear down: the channel first (it holds the configurations), then what it used.
    c.delete_channel().arn(&ch_arn).send().await.expect("delete channel");
    done.insert("DeleteChannel");
    c.delete_recording_configuration().arn(&rc_arn).send().await.expect("delete recording configuration");
    done.insert("DeleteRecordingConfiguration");
    c.delete_playback_restriction_policy().arn(&policy_arn).send().await.expect("delete policy");
    done.insert("DeletePlaybackRestrictionPolicy");
    c.delete_ad_configuration().arn(&ad_arn).send().await.expect("delete ads");
    done.insert("DeleteAdConfiguration");
    c.delete_failover_slate_configuration().arn(&slate_arn).send().await.expect("delete slate");
    done.insert("DeleteFailoverSlateConfiguration");
    c.delete_playback_key_pair().arn(&kp_arn).send().await.expect("delete key pair");
    done.insert("DeletePlaybackKeyPair");

    // Everything is gone, and the tour touched all 46 operations.
    assert!(c.list_channels().send().await.expect("list").channels().is_empty());
    assert!(c.list_playback_key_pairs().send().await.expect("list").key_pairs().is_empty());
    let err = c
        .get_stream_key()
        .arn(&key_arn)
        .send()
        .await
        .expect_err("deleted with its channel")
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert_eq!(done.len(), 46, "operations called: {done:?}");
}
