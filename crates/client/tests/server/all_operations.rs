//! Checks that run over all 46 operations (expanded from the model's operation list): empty inputs
//! are either accepted or refused with the operation's typed `ValidationException`; a key allowed
//! only `ivs:GetChannel` gets `AccessDeniedException` everywhere else; a wrong secret is refused by
//! both clients alike. Plus: rate limits answered with `ThrottlingException` are retried, and a
//! configuration read from the credentials and config files that `openivs serve` writes.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use conformance::{Options, REGION, Server};
use openivs_client::retry::RetryConfig;
use openivs_client::types::*;
use openivs_client::*;
use serde_json::json;

use crate::{ours, ours_for};

#[tokio::test]
async fn empty_inputs_are_accepted_or_typed_validation_errors() {
    let server = Server::start();
    let c = ours(&server);
    let (mut refused, mut n) = (Vec::new(), 0);
    macro_rules! check_all {
        ($(($op:ident, $snake:ident, $input:ident, $output:ty)),* $(,)?) => {$(
            n += 1;
            match c.send($input::default()).await {
                Ok(_) => {}
                Err(SdkError::Construction(_)) => refused.push(concat!(stringify!($op), ": no URI label")),
                Err(e) => {
                    assert_eq!(e.code(), Some("ValidationException"), "{}: {e:?}", stringify!($op));
                    let typed = format!("{:?}", e.into_service_error());
                    assert!(typed.starts_with("Some(ValidationException("), "{}: {typed}", stringify!($op));
                }
            }
        )*};
    }
    for_each_operation!(check_all);
    assert_eq!(n, 46);
    assert_eq!(refused.len(), 3, "the tag operations need their ARN: {refused:?}");
}

#[tokio::test]
async fn a_key_limited_to_one_action_is_denied_every_other_one() {
    let server = Server::start();
    let (key, secret, _) = server.create_key(None, &["ivs:GetChannel"]);
    let c = ours_for(&server, REGION, &key, &secret);
    let sdk = server.client_for(REGION, &key, &secret);
    let arn = format!("arn:aws:ivs:{REGION}:{}:channel/abc", conformance::ACCOUNT);
    let mut allowed = Vec::new();
    macro_rules! check_all {
        ($(($op:ident, $snake:ident, $input:ident, $output:ty)),* $(,)?) => {$(
            let input: $input = serde_json::from_value(json!({ "resourceArn": arn, "arn": arn })).expect("input");
            match c.send(input).await {
                Err(e) if e.code() == Some("AccessDeniedException") => {
                    let typed = format!("{:?}", e.as_service_error());
                    let modeled = Operation::$op.info().errors.contains(&ErrorCode::AccessDeniedException);
                    assert_eq!(typed.starts_with("Some(AccessDeniedException("), modeled, "{typed}");
                    assert!(e.meta().message.as_deref().unwrap_or_default().contains(concat!("ivs:", stringify!($op))));
                }
                other => {
                    assert!(!matches!(other, Err(SdkError::Construction(_))), "{other:?}");
                    allowed.push(stringify!($op));
                }
            }
        )*};
    }
    for_each_operation!(check_all);
    assert_eq!(allowed, ["GetChannel"]);
    let mine = c.list_channels(Default::default()).await.unwrap_err();
    let theirs = sdk.list_channels().send().await.unwrap_err();
    crate::same_error(&mine, &theirs);
}

#[tokio::test]
async fn a_wrong_secret_is_refused_alike_by_both_clients() {
    let server = Server::start();
    let c = ours_for(&server, REGION, &server.access_key_id, "not-the-secret");
    let sdk = server.client_for(REGION, &server.access_key_id, "not-the-secret");
    let mine = c.list_channels(Default::default()).await.unwrap_err();
    let theirs = sdk.list_channels().send().await.unwrap_err();
    use aws_sdk_ivs::error::ProvideErrorMetadata;
    assert!(matches!(&mine, SdkError::Service(ListChannelsError::Unhandled(_))), "{mine:?}");
    assert_eq!((mine.code(), mine.meta().status), (theirs.code(), Some(403)));
    assert_eq!(mine.meta().message.as_deref(), theirs.message());
    // Regions are separate: another region's client sees none of this region's channels.
    let arn = ours(&server).create_channel(Default::default()).await.unwrap().channel.and_then(|c| c.arn);
    let other = ours_for(&server, "eu-west-1", &server.access_key_id, &server.secret_access_key);
    let e = other.get_channel(GetChannelRequest { arn }).await.unwrap_err();
    assert!(matches!(e, SdkError::Service(GetChannelError::ResourceNotFoundException(_))), "{e:?}");
}

#[tokio::test]
async fn throttling_from_the_rate_limits_is_retried() {
    let server = Server::start_with(Options { rate_limits: true, ..Options::default() });
    let c = ours(&server);
    let kp = ImportPlaybackKeyPairRequest {
        public_key_material: Some(conformance::keys::PUB1.into()),
        ..Default::default()
    };
    let arn = c.import_playback_key_pair(kp).await.unwrap().key_pair.and_then(|k| k.arn);
    let get = || GetPlaybackKeyPairRequest { arn: arn.clone() };

    // Without retries, a burst above the rate gets ThrottlingException (429), not modeled for this
    // operation, so Unhandled.
    let once = ours(&server);
    let once = Client::new(
        Config::builder()
            .region(REGION)
            .endpoint_url(&server.endpoint)
            .credentials(once.config().credentials().clone())
            .retry(RetryConfig::disabled())
            .build()
            .unwrap(),
    );
    let mut throttled = None;
    for _ in 0..20 {
        if let Err(e) = once.get_playback_key_pair(get()).await {
            throttled = Some(e);
            break;
        }
    }
    let e = throttled.expect("a burst of 20 is throttled");
    assert_eq!((e.code(), e.meta().status, e.meta().attempts), (Some("ThrottlingException"), Some(429), 1));
    assert!(matches!(e, SdkError::Service(GetPlaybackKeyPairError::Unhandled(_))));

    // With the standard mode (and enough attempts), every call of a burst gets through.
    let patient = Client::new(
        Config::builder()
            .region(REGION)
            .endpoint_url(&server.endpoint)
            .credentials(c.config().credentials().clone())
            .retry(RetryConfig::standard().max_attempts(10))
            .build()
            .unwrap(),
    );
    let mut retried = 0;
    for _ in 0..8 {
        let (_, meta) = patient.send_with_metadata(get()).await.expect("retried until it passed");
        if meta.attempts > 1 {
            retried += 1;
            assert!(meta.total_retry_delay > Duration::ZERO);
        }
    }
    assert!(retried > 0, "no call of the burst needed a retry");
}

/// `openivs serve` without a preset root key writes `credentials` and `config` (profile `openivs`
/// with region and endpoint_url) into its data dir; a client configured from those files alone works.
#[tokio::test]
async fn the_profile_files_openivs_writes_configure_the_client() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(conformance::binary())
        .args(["serve", "--api-listen", "127.0.0.1:0", "--disable-rate-limits"])
        .args(["--rtmps-listen", "127.0.0.1:0", "--rtmp-listen", "127.0.0.1:0"])
        .args(["--srt-listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env_remove("OPENIVS_ROOT_ACCESS_KEY_ID")
        .env_remove("OPENIVS_ROOT_SECRET_ACCESS_KEY")
        .env_remove("OPENIVS_API_LISTEN")
        .env_remove("OPENIVS_DATA_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn openivs serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while let Some(Ok(line)) = lines.next() {
        if line.starts_with("openivs API listening on ") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    let p = |f: &str| dir.path().join(f).to_string_lossy().into_owned();
    let env = Environment::from_vars([
        ("AWS_CONFIG_FILE", p("config")),
        ("AWS_SHARED_CREDENTIALS_FILE", p("credentials")),
        ("AWS_PROFILE", "openivs".to_string()),
    ]);
    let result = async {
        let client = Client::new(Config::builder().environment(env).build()?);
        assert!(client.config().endpoint_url().starts_with("http://127.0.0.1:"));
        let out = client
            .create_channel(CreateChannelRequest { name: Some("p".into()), ..Default::default() })
            .await?;
        Ok::<_, Box<dyn std::error::Error>>(out.channel.and_then(|c| c.name))
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(result.expect("the profile works").as_deref(), Some("p"));
}
