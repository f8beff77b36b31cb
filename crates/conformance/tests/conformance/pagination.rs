//! Pagination (ivs-api.md §1.5): pages of `maxResults`, no `nextToken` on the last page, the SDK
//! paginators, tokens that are refused when tampered with or reused elsewhere, the `maxResults`
//! ranges, and listing while channels are created and deleted.

use crate::channels::{expect_err, recording_configuration};
use aws_sdk_ivs::Client;
use conformance::Server;
use std::collections::{HashMap, HashSet};
use std::future::Future;

/// Follows `nextToken` from the first page to the last; `fetch` returns a page's ARNs and its token.
async fn pages<F, Fut>(mut fetch: F) -> Vec<Vec<String>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = (Vec<String>, Option<String>)>,
{
    let mut pages = Vec::new();
    let mut token = None;
    loop {
        let (items, next) = fetch(token.take()).await;
        pages.push(items);
        match next {
            Some(t) => {
                assert!(!t.is_empty(), "an empty nextToken must be left out");
                token = Some(t);
            }
            None => return pages,
        }
        assert!(pages.len() <= 100, "pagination does not end");
    }
}

/// Creates `n` channels named `name`; returns their ARNs.
async fn channels(c: &Client, name: &str, n: usize) -> Vec<String> {
    let mut arns = Vec::new();
    for _ in 0..n {
        let out = c.create_channel().name(name).send().await.expect("create channel");
        arns.push(out.channel().and_then(|ch| ch.arn()).expect("arn").to_string());
    }
    arns
}

/// The first page of ListChannels with one item per page; returns its token.
async fn first_channels_token(c: &Client, name: Option<&str>) -> String {
    let out = c
        .list_channels()
        .max_results(1)
        .set_filter_by_name(name.map(str::to_owned))
        .send()
        .await
        .expect("first page");
    out.next_token().expect("a next page").to_string()
}

fn sizes(pages: &[Vec<String>]) -> Vec<usize> {
    pages.iter().map(Vec::len).collect()
}

/// Asserts that the pages hold exactly `expected`, each once.
fn assert_each_once(pages: &[Vec<String>], expected: &[String]) {
    let all: Vec<&String> = pages.iter().flatten().collect();
    let unique: HashSet<&String> = all.iter().copied().collect();
    assert_eq!(all.len(), unique.len(), "an item was listed twice: {pages:?}");
    assert_eq!(unique, expected.iter().collect(), "the pages hold exactly the items");
}

#[tokio::test]
async fn list_channels_pages_end_without_a_token() {
    let s = Server::start();
    let c = s.client();
    let arns = channels(&c, "paged", 15).await;

    let client = &c;
    let list = |max: i32| {
        move |token: Option<String>| {
            let req = client.list_channels().max_results(max).set_next_token(token);
            async move {
                let out = req.send().await.expect("page");
                (out.channels().iter().filter_map(|ch| ch.arn.clone()).collect(), out.next_token)
            }
        }
    };
    let by_7 = pages(list(7)).await;
    assert_eq!(sizes(&by_7), [7, 7, 1]);
    assert_each_once(&by_7, &arns);
    let by_5 = pages(list(5)).await;
    assert_eq!(sizes(&by_5), [5, 5, 5], "an exact multiple ends without an empty page");
    assert_each_once(&by_5, &arns);
    let all = pages(list(100)).await;
    assert_eq!(sizes(&all), [15]);

    let sdk_pages =
        c.list_channels().max_results(4).into_paginator().send().try_collect().await.expect("sdk");
    assert_eq!(sdk_pages.iter().map(|p| p.channels().len()).collect::<Vec<_>>(), [4, 4, 4, 3]);
    assert_eq!(sdk_pages.last().and_then(|p| p.next_token()), None);
    let sdk_arns: Vec<Vec<String>> =
        sdk_pages.iter().map(|p| p.channels().iter().filter_map(|ch| ch.arn.clone()).collect()).collect();
    assert_each_once(&sdk_arns, &arns);
}

#[tokio::test]
async fn other_lists_paginate_alike() {
    let s = Server::start();
    let c = s.client();
    let mut configs = Vec::new();
    for _ in 0..5 {
        configs.push(recording_configuration(&c).await);
    }
    let rc_pages = pages(|token| {
        let req = c.list_recording_configurations().max_results(2).set_next_token(token);
        async move {
            let out = req.send().await.expect("page");
            (out.recording_configurations().iter().map(|r| r.arn().to_string()).collect(), out.next_token)
        }
    })
    .await;
    assert_eq!(sizes(&rc_pages), [2, 2, 1]);
    assert_each_once(&rc_pages, &configs);
    let sdk_pages = c.list_recording_configurations().max_results(3).into_paginator().send();
    let sdk_pages = sdk_pages.try_collect().await.expect("sdk paginator");
    let sdk: Vec<Vec<String>> = sdk_pages
        .iter()
        .map(|p| p.recording_configurations().iter().map(|r| r.arn().to_string()).collect())
        .collect();
    assert_eq!(sizes(&sdk), [3, 2]);
    assert_each_once(&sdk, &configs);

    let mut key_pairs = Vec::new();
    for pem in [conformance::keys::PUB1, conformance::keys::PUB2, conformance::keys::PUB3] {
        let out = c.import_playback_key_pair().public_key_material(pem).send().await.expect("import");
        key_pairs.push(out.key_pair().and_then(|k| k.arn()).expect("arn").to_string());
    }
    let kp_pages = pages(|token| {
        let req = c.list_playback_key_pairs().max_results(1).set_next_token(token);
        async move {
            let out = req.send().await.expect("page");
            (out.key_pairs().iter().filter_map(|k| k.arn().map(str::to_owned)).collect(), out.next_token)
        }
    })
    .await;
    assert_eq!(sizes(&kp_pages), [1, 1, 1]);
    assert_each_once(&kp_pages, &key_pairs);
    let sdk = c.list_playback_key_pairs().max_results(2).into_paginator().send();
    let sdk: Vec<Vec<String>> = sdk
        .try_collect()
        .await
        .expect("sdk paginator")
        .iter()
        .map(|p| p.key_pairs().iter().filter_map(|k| k.arn.clone()).collect())
        .collect();
    assert_eq!(sizes(&sdk), [2, 1]);
    assert_each_once(&sdk, &key_pairs);

    let out = c.create_channel().send().await.expect("channel");
    let channel = out.channel().and_then(|ch| ch.arn()).expect("arn");
    let key = out.stream_key().and_then(|k| k.arn()).expect("key").to_string();
    let sdk = c.list_stream_keys().channel_arn(channel).into_paginator().send();
    let sdk: Vec<Vec<String>> = sdk
        .try_collect()
        .await
        .expect("sdk paginator")
        .iter()
        .map(|p| p.stream_keys().iter().filter_map(|k| k.arn.clone()).collect())
        .collect();
    assert_eq!(sdk, [[key]], "one key, one page");
}

#[tokio::test]
async fn tampered_or_foreign_tokens_are_refused() {
    let s = Server::start();
    let c = s.client();
    channels(&c, "a", 3).await;
    channels(&c, "b", 3).await;
    recording_configuration(&c).await;
    recording_configuration(&c).await;
    let token = first_channels_token(&c, None).await;

    // One character changed, in the middle so that it changes the decoded bytes.
    let mut flipped = token.clone().into_bytes();
    let mid = flipped.len() / 2;
    flipped[mid] = if flipped[mid] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).expect("ascii");
    let rc_token = c
        .list_recording_configurations()
        .max_results(1)
        .send()
        .await
        .expect("rc page")
        .next_token()
        .expect("rc token")
        .to_string();
    for bad in [flipped.as_str(), "garbage", "Z2FyYmFnZQ", rc_token.as_str()] {
        let res = c.list_channels().max_results(1).next_token(bad).send().await;
        let e = expect_err(res, "ValidationException", "nextToken");
        assert!(e.is_validation_exception(), "{bad}");
    }

    // A token is bound to its filter and to its operation.
    let by_a = first_channels_token(&c, Some("a")).await;
    let res = c.list_channels().filter_by_name("b").next_token(&by_a).send().await;
    expect_err(res, "ValidationException", "nextToken");
    let res = c.list_channels().next_token(&by_a).send().await;
    expect_err(res, "ValidationException", "nextToken");
    let res = c.list_recording_configurations().next_token(&token).send().await;
    expect_err(res, "ValidationException", "nextToken");
    let channel = c.create_channel().send().await.expect("channel");
    let channel = channel.channel().and_then(|ch| ch.arn()).expect("arn");
    let res = c.list_stream_keys().channel_arn(channel).next_token(&token).send().await;
    expect_err(res, "ValidationException", "nextToken");

    // The genuine tokens still work.
    let next = c.list_channels().max_results(1).next_token(&token).send().await.expect("genuine");
    assert_eq!(next.channels().len(), 1);
    let next = c.list_channels().filter_by_name("a").next_token(&by_a).send().await.expect("genuine");
    assert_eq!(next.channels().len(), 2);
}

#[tokio::test]
async fn max_results_outside_1_to_100_is_refused() {
    let s = Server::start();
    let c = s.client();
    for bad in [0, 101] {
        let e =
            expect_err(c.list_channels().max_results(bad).send().await, "ValidationException", "maxResults");
        assert!(e.is_validation_exception());
        let res = c.list_recording_configurations().max_results(bad).send().await;
        expect_err(res, "ValidationException", "maxResults");
        let res = c.list_playback_key_pairs().max_results(bad).send().await;
        expect_err(res, "ValidationException", "maxResults");
    }
    c.list_channels().max_results(1).send().await.expect("1");
    c.list_channels().max_results(100).send().await.expect("100");
}

#[tokio::test]
async fn concurrent_writes_never_make_a_page_skip_or_repeat() {
    let s = Server::start();
    let c = s.client();
    let initial = channels(&c, "initial", 30).await;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut deleted = HashSet::new();
    let mut created = 0;
    let mut token: Option<String> = None;
    loop {
        // Each page is read while a burst of writes runs: up to 4 new channels, the deletion of 2
        // initial channels not seen yet, and of 1 already seen (which would shift an offset).
        let alive = |a: &&String| !deleted.contains(*a);
        let unseen = initial.iter().rev().filter(alive).filter(|a| !seen.contains_key(*a)).take(2);
        let old = initial.iter().filter(alive).find(|a| seen.contains_key(*a));
        let victims: Vec<String> = unseen.chain(old).cloned().collect();
        deleted.extend(victims.iter().cloned());
        let burst = (created..(created + 4).min(20)).count();
        created += burst;
        let mut writes = Vec::new();
        for _ in 0..burst {
            let req = c.create_channel().name("during");
            writes.push(tokio::spawn(async move { req.send().await.map(drop).expect("create") }));
        }
        for arn in victims {
            let req = c.delete_channel().arn(arn);
            writes.push(tokio::spawn(async move { req.send().await.map(drop).expect("delete") }));
        }
        let page = c.list_channels().max_results(7).set_next_token(token.take()).send().await.expect("page");
        for w in writes {
            w.await.expect("write task");
        }
        for ch in page.channels() {
            *seen.entry(ch.arn().expect("arn").to_string()).or_default() += 1;
        }
        match page.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(created, 20);
    assert!(deleted.len() >= 6, "deleted while listing: {}", deleted.len());
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "listed more than once: {twice:?}");
    for arn in initial.iter().filter(|a| !deleted.contains(*a)) {
        assert_eq!(seen.get(arn), Some(&1), "{arn} existed all along and must be listed once");
    }
    let now = c.list_channels().send().await.expect("list").channels().len();
    assert_eq!(now, 30 - deleted.len() + 20);
}
