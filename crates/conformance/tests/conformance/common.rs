//! Fixtures several modules need: MediaTailor playback configurations and ad configurations.

use aws_sdk_ivs::Client;
use aws_sdk_ivs::types::MediaTailorPlaybackConfiguration;

/// A MediaTailor playback configuration of `account` with a valid ARN ending in `name`.
pub fn mediatailor(account: &str, name: &str) -> MediaTailorPlaybackConfiguration {
    MediaTailorPlaybackConfiguration::builder()
        .playback_configuration_arn(format!(
            "arn:aws:mediatailor:us-west-2:{account}:playbackConfiguration/{name}"
        ))
        .build()
}

/// Creates an ad configuration with one MediaTailor playback configuration; returns its ARN.
pub async fn ad_configuration(c: &Client, account: &str) -> String {
    let out = c
        .create_ad_configuration()
        .media_tailor_playback_configurations(mediatailor(account, "ads"))
        .send()
        .await
        .expect("ad configuration");
    out.ad_configuration().map(|a| a.arn()).expect("ad arn").to_string()
}
