//! Checks of the generated model: the operation table, validation against the model's constraints,
//! (de)serialization and redaction of sensitive members.

use openivs_model::*;
use std::collections::BTreeMap;

#[test]
fn operation_table_has_all_46_operations_indexed_by_enum() {
    assert_eq!(Operation::ALL.len(), 46);
    for (i, op) in Operation::ALL.iter().enumerate() {
        assert_eq!(*op as usize, i);
        assert_eq!(op.info().operation, *op);
    }
    let tag = Operation::UntagResource.info();
    assert_eq!((tag.method, tag.uri, tag.success_status), ("DELETE", "/tags/{resourceArn}", 200));
    assert_eq!(tag.bindings.len(), 2);
    assert!(tag.bindings.iter().any(|b| b.member == "tagKeys" && b.location == Location::Query && b.list));
    assert_eq!(Operation::DeleteChannel.info().success_status, 204);
    assert_eq!(Operation::DeleteChannel.info().output, None);
    let keys = Operation::ListStreamKeys.info().pagination.unwrap();
    assert_eq!((keys.items, keys.max_results_min, keys.max_results_max), ("streamKeys", 1, 50));
    let paginated = Operation::ALL.iter().filter(|o| o.info().pagination.is_some()).count();
    assert_eq!(paginated, 9, "the nine List* operations with nextToken");
}

#[test]
fn error_codes_carry_model_status() {
    assert_eq!(ErrorCode::ServiceQuotaExceededException.status(), 402);
    assert_eq!(ErrorCode::ChannelNotBroadcasting.status(), 404);
    assert_eq!(ErrorCode::PendingVerification.status(), 403);
    assert!(ErrorCode::InternalServerException.is_server_fault());
    assert!(!ErrorCode::ValidationException.is_server_fault());
    assert_eq!(ErrorCode::from_code("ThrottlingException"), Some(ErrorCode::ThrottlingException));
    assert_eq!(ErrorCode::ALL.len(), 11);
}

#[test]
fn every_model_pattern_compiles() {
    assert!(all_patterns().len() > 10);
}

fn messages(r: Result<(), ValidationErrors>) -> Vec<String> {
    r.err().map(|e| e.0.iter().map(ToString::to_string).collect()).unwrap_or_default()
}

#[test]
fn required_members_are_named() {
    let m = messages(GetChannelRequest::default().validate());
    assert_eq!(m, ["Value null at 'arn' failed to satisfy constraint: Member must not be null"]);
}

#[test]
fn patterns_lengths_enums_and_ranges() {
    let req = CreateChannelRequest {
        name: Some("bad name!".into()),
        r#type: Some(ChannelType::from("HUGE")),
        recording_configuration_arn: Some(String::new()),
        ..Default::default()
    };
    let m = messages(req.validate());
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(m[0].contains("at 'name'") && m[0].contains("regular expression pattern"), "{m:?}");
    assert!(
        m[1].contains("'HUGE' at 'type'") && m[1].contains("[BASIC, STANDARD, ADVANCED_SD, ADVANCED_HD]")
    );

    let list = ListStreamKeysRequest {
        channel_arn: Some("arn:aws:ivs:us-west-2:123456789012:channel/abc".into()),
        max_results: Some(51),
        ..Default::default()
    };
    let m = messages(list.validate());
    assert_eq!(
        m,
        [
            "Value '51' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50"
        ]
    );
}

#[test]
fn nested_lists_and_maps_have_paths() {
    let req = CreateRecordingConfigurationRequest {
        destination_configuration: Some(DestinationConfiguration {
            s3: Some(S3DestinationConfiguration { bucket_name: Some("AB".into()) }),
        }),
        ..Default::default()
    };
    let m = messages(req.validate());
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(m.iter().all(|x| x.contains("'destinationConfiguration.s3.bucketName'")));

    let mut tags = BTreeMap::new();
    tags.insert("ok".to_string(), "fine".to_string());
    tags.insert("bad\u{7}key".to_string(), "v".to_string());
    let req = TagResourceRequest {
        resource_arn: Some("arn:aws:ivs:us-west-2:123456789012:channel/abc".into()),
        tags: Some(tags),
    };
    let m = messages(req.validate());
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("at 'tags.bad\u{7}key'"));

    let req = BatchGetChannelRequest { arns: Some(vec![]) };
    assert!(messages(req.validate())[0].contains("length greater than or equal to 1"));
    let req = BatchGetChannelRequest { arns: Some(vec!["x".into()]) };
    assert!(messages(req.validate())[0].contains("at 'arns.0'"));
}

#[test]
fn resource_arn_uses_the_intended_pattern() {
    let ok = ListTagsForResourceRequest {
        resource_arn: Some("arn:aws:ivs:us-west-2:123456789012:recording-configuration/AbCd12".into()),
    };
    assert!(ok.validate().is_ok());
    let bad =
        ListTagsForResourceRequest { resource_arn: Some("arn:aws:ivs:us-west-2:123456789012:/x".into()) };
    assert!(bad.validate().is_err());
}

#[test]
fn sensitive_values_are_not_echoed_or_debug_printed() {
    let key =
        StreamKey { value: Some("sk_us-west-2_abcdABCDefgh_secretsecret".into()), ..Default::default() };
    let dbg = format!("{key:?}");
    assert!(!dbg.contains("secret") && dbg.contains(REDACTED), "{dbg}");
    let req = PutMetadataRequest {
        channel_arn: Some("arn:aws:ivs:us-west-2:1:channel/a".into()),
        metadata: Some(String::new()),
    };
    let m = messages(req.validate());
    assert_eq!(
        m,
        [
            "Value at 'metadata' failed to satisfy constraint: Member must have length greater than or equal to 1"
        ]
    );
}

#[test]
fn serde_uses_wire_names_skips_unset_and_ignores_unknown() {
    let req: CreateChannelRequest =
        serde_json::from_str(r#"{"name":"demo","type":"BASIC","futureMember":1,"authorized":null}"#).unwrap();
    assert_eq!(req.r#type, Some(ChannelType::Basic));
    assert_eq!(req.authorized, None);
    let out = serde_json::to_string(&Channel {
        latency_mode: Some(ChannelLatencyMode::Low),
        tags: Some(BTreeMap::new()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(out, r#"{"latencyMode":"LOW","tags":{}}"#);
    assert_eq!(serde_json::to_string(&StopStreamResponse {}).unwrap(), "{}");
}
