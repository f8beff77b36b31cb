//! Paginators: tokens followed, items flattened, a repeated token or an error ends the pagination.

use std::pin::Pin;

use futures_core::Stream;
use openivs_client::types::*;
use openivs_client::{ListStreamKeysError, SdkError};

use crate::{Fake, err, ok, standard};

fn page(names: &[&str], next: Option<&str>) -> crate::Answer {
    let channels: Vec<_> = names.iter().map(|n| serde_json::json!({ "name": n })).collect();
    let mut body = serde_json::json!({ "channels": channels });
    if let Some(t) = next {
        body["nextToken"] = t.into();
    }
    ok(body.to_string())
}

#[tokio::test]
async fn pages_follow_the_tokens_until_there_is_none() {
    let fake = Fake::new([page(&["a", "b"], Some("t1")), page(&["c"], Some("t2")), page(&[], None)]);
    let c = standard(&fake);
    let input =
        ListChannelsRequest { max_results: Some(2), filter_by_name: Some("x".into()), ..Default::default() };
    let mut pages = c.list_channels_paginator(input);
    let mut sizes = Vec::new();
    while let Some(p) = pages.next().await {
        sizes.push(p.unwrap().channels.unwrap_or_default().len());
    }
    assert_eq!(sizes, [2, 1, 0]);
    assert!(pages.next().await.is_none());
    let bodies = fake.bodies();
    assert_eq!(bodies.len(), 3);
    assert_eq!(bodies[0], serde_json::json!({ "maxResults": 2, "filterByName": "x" }));
    assert_eq!(bodies[1], serde_json::json!({ "maxResults": 2, "filterByName": "x", "nextToken": "t1" }));
    assert_eq!(bodies[2]["nextToken"], "t2");
}

#[tokio::test]
async fn items_flatten_the_pages_and_a_repeated_token_stops() {
    let fake = Fake::new([page(&["a", "b"], Some("t1")), page(&["c"], Some("t2")), page(&["d"], Some("t2"))]);
    let c = standard(&fake);
    let items = c.list_channels_paginator(ListChannelsRequest::default()).collect_items().await.unwrap();
    let names: Vec<_> = items.into_iter().filter_map(|s| s.name).collect();
    // The third page came back with the token it was asked with: it is the last one.
    assert_eq!(names, ["a", "b", "c", "d"]);
    assert_eq!(fake.requests().len(), 3);

    // An empty token ends it too.
    let fake = Fake::new([page(&["a"], Some(""))]);
    let items = standard(&fake).list_channels_paginator(ListChannelsRequest::default()).collect_items().await;
    assert_eq!(items.unwrap().len(), 1);
}

#[tokio::test]
async fn the_paginators_are_streams_and_an_error_ends_them() {
    let fake = Fake::new([
        ok(r#"{"streamKeys":[{"arn":"k1"}],"nextToken":"t"}"#),
        err(404, "ResourceNotFoundException", "channel deleted"),
    ]);
    let c = standard(&fake);
    let input = ListStreamKeysRequest { channel_arn: Some("arn:c".into()), ..Default::default() };
    let mut items = c.list_stream_keys_paginator(input).items();
    macro_rules! next {
        () => {
            std::future::poll_fn(|cx| Pin::new(&mut items).poll_next(cx)).await
        };
    }
    assert_eq!(next!().unwrap().unwrap().arn.as_deref(), Some("k1"));
    let e = next!().unwrap().unwrap_err();
    assert!(matches!(e, SdkError::Service(ListStreamKeysError::ResourceNotFoundException(_))), "{e:?}");
    assert!(next!().is_none());
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn every_list_operation_has_a_paginator() {
    let fake = crate::Fake::always(|| ok("{}"));
    let c = standard(&fake);
    let arn = || Some("arn:c".to_string());
    assert!(c.list_ad_configurations_paginator(Default::default()).collect_items().await.unwrap().is_empty());
    assert!(c.list_channels_paginator(Default::default()).collect_items().await.unwrap().is_empty());
    let n = c.list_failover_slate_configurations_paginator(Default::default()).collect_items().await;
    assert!(n.unwrap().is_empty());
    assert!(
        c.list_playback_key_pairs_paginator(Default::default()).collect_items().await.unwrap().is_empty()
    );
    let n = c.list_playback_restriction_policies_paginator(Default::default()).collect_items().await;
    assert!(n.unwrap().is_empty());
    let n = c.list_recording_configurations_paginator(Default::default()).collect_items().await;
    assert!(n.unwrap().is_empty());
    let input = ListStreamKeysRequest { channel_arn: arn(), ..Default::default() };
    assert!(c.list_stream_keys_paginator(input).collect_items().await.unwrap().is_empty());
    let input = ListStreamSessionsRequest { channel_arn: arn(), ..Default::default() };
    assert!(c.list_stream_sessions_paginator(input).collect_items().await.unwrap().is_empty());
    assert!(c.list_streams_paginator(Default::default()).collect_items().await.unwrap().is_empty());
    assert_eq!(fake.requests().len(), 9);
}

#[tokio::test]
async fn a_paginator_starts_at_the_input_token_and_stops_if_it_comes_back() {
    let fake = Fake::new([page(&["x"], Some("start"))]);
    let input = ListChannelsRequest { next_token: Some("start".into()), ..Default::default() };
    let items = standard(&fake).list_channels_paginator(input).collect_items().await.unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(fake.bodies(), [serde_json::json!({ "nextToken": "start" })]);
}
