//! A first end-to-end check: the official SDK creates, reads, lists and deletes a channel.

use conformance::Server;

#[tokio::test]
async fn channel_round_trip_with_the_official_sdk() {
    let s = Server::start();
    let c = s.client();
    let out = c.create_channel().name("demo").send().await.expect("create");
    let ch = out.channel().expect("channel");
    let arn = ch.arn().expect("arn").to_string();
    assert!(arn.starts_with("arn:aws:ivs:us-west-2:123456789012:channel/"));
    let got = c.get_channel().arn(&arn).send().await.expect("get");
    assert_eq!(got.channel().and_then(|c| c.name()), Some("demo"));
    let list = c.list_channels().send().await.expect("list");
    assert_eq!(list.channels().len(), 1);
    c.delete_channel().arn(&arn).send().await.expect("delete");
    let err = c.get_channel().arn(&arn).send().await.expect_err("gone");
    assert!(err.into_service_error().is_resource_not_found_exception());
}
