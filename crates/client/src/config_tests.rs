//! Tests of the configuration order: builder, environment, profile files, defaults.

use super::*;

fn env(vars: &[(&str, &str)]) -> Environment {
    Environment::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

fn files(config: &str, credentials: &str) -> (tempfile::TempDir, Vec<(String, String)>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config"), config).unwrap();
    std::fs::write(dir.path().join("credentials"), credentials).unwrap();
    let p = |f: &str| dir.path().join(f).to_string_lossy().into_owned();
    let vars = vec![
        ("AWS_CONFIG_FILE".to_string(), p("config")),
        ("AWS_SHARED_CREDENTIALS_FILE".to_string(), p("credentials")),
    ];
    (dir, vars)
}

#[test]
fn explicit_settings_win_over_the_environment() {
    let c = Config::builder()
        .region("eu-west-1")
        .credentials(Credentials::new("AK", "SK", None))
        .endpoint_url("http://localhost:1")
        .environment(env(&[
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "ENVAK"),
            ("AWS_SECRET_ACCESS_KEY", "ENVSK"),
            ("AWS_ENDPOINT_URL_IVS", "http://env:2"),
            ("AWS_MAX_ATTEMPTS", "7"),
        ]))
        .retry(RetryConfig::standard().max_attempts(2))
        .build()
        .unwrap();
    assert_eq!(
        (c.region(), c.credentials().access_key_id(), c.endpoint_url()),
        ("eu-west-1", "AK", "http://localhost:1")
    );
    assert_eq!(c.retry().get_max_attempts(), 2);
}

#[test]
fn the_environment_fills_what_the_builder_leaves_unset() {
    let c = Config::builder()
        .environment(env(&[
            ("AWS_DEFAULT_REGION", "ap-south-1"),
            ("AWS_ACCESS_KEY_ID", "ENVAK"),
            ("AWS_SECRET_ACCESS_KEY", "ENVSK"),
            ("AWS_SESSION_TOKEN", "TOKEN"),
            ("AWS_ENDPOINT_URL", "http://global:3"),
            ("AWS_MAX_ATTEMPTS", "5"),
        ]))
        .build()
        .unwrap();
    assert_eq!(c.region(), "ap-south-1");
    assert_eq!(c.credentials(), &Credentials::new("ENVAK", "ENVSK", Some("TOKEN".into())));
    assert_eq!((c.endpoint_url(), c.retry().get_max_attempts()), ("http://global:3", 5));
    let c = Config::builder()
        .region("us-west-2")
        .credentials(Credentials::new("a", "b", None))
        .environment(env(&[
            ("AWS_ENDPOINT_URL", "http://global:3"),
            ("AWS_ENDPOINT_URL_IVS", "http://ivs:4"),
        ]))
        .build()
        .unwrap();
    assert_eq!(c.endpoint_url(), "http://ivs:4");
    let c = Config::builder().environment(env(&[("AWS_REGION", "us-east-1"), ("AWS_DEFAULT_REGION", "x")]));
    let c = c.credentials(Credentials::new("a", "b", None)).build().unwrap();
    assert_eq!((c.region(), c.endpoint_url()), ("us-east-1", "https://ivs.us-east-1.amazonaws.com"));
}

#[test]
fn profiles_give_region_credentials_and_endpoints() {
    let (_dir, mut vars) = files(
        "[profile openivs]\nregion = us-west-2\nendpoint_url = http://127.0.0.1:8080\n\
         [profile svc]\nregion = eu-central-1\nservices = local\nendpoint_url = http://general:1\n\
         [services local]\nivs =\n  endpoint_url = http://ivs-only:2\n\
         [default]\nregion = us-east-1\nmax_attempts = 4\n",
        "[openivs]\naws_access_key_id = OIVSAK\naws_secret_access_key = OIVSSK\n\
         [default]\naws_access_key_id = DEFAK\naws_secret_access_key = DEFSK\naws_session_token = T\n",
    );
    let build = |vars: &Vec<(String, String)>| {
        Config::builder().environment(Environment::from_vars(vars.clone())).build()
    };
    let c = build(&vars).unwrap();
    assert_eq!((c.region(), c.credentials().session_token()), ("us-east-1", Some("T")));
    assert_eq!(c.retry().get_max_attempts(), 4);

    vars.push(("AWS_PROFILE".into(), "openivs".into()));
    let c = build(&vars).unwrap();
    assert_eq!((c.region(), c.credentials().access_key_id()), ("us-west-2", "OIVSAK"));
    assert_eq!(c.endpoint_url(), "http://127.0.0.1:8080");

    // The builder's profile beats AWS_PROFILE; a services section beats the profile's endpoint_url.
    let e = Environment::from_vars(vars.clone());
    let c =
        Config::builder().environment(e.clone()).profile("svc").credentials(Credentials::new("a", "b", None));
    let c = c.build().unwrap();
    assert_eq!((c.region(), c.endpoint_url()), ("eu-central-1", "http://ivs-only:2"));

    // AWS_IGNORE_CONFIGURED_ENDPOINT_URLS skips configured endpoints, not the builder's.
    vars.push(("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS".into(), "true".into()));
    let c = build(&vars).unwrap();
    assert_eq!(c.endpoint_url(), "https://ivs.us-west-2.amazonaws.com");

    // Environment credentials beat the profile's.
    vars.push(("AWS_ACCESS_KEY_ID".into(), "ENVAK".into()));
    vars.push(("AWS_SECRET_ACCESS_KEY".into(), "ENVSK".into()));
    assert_eq!(build(&vars).unwrap().credentials().access_key_id(), "ENVAK");
}

#[test]
fn missing_or_bad_settings_are_errors() {
    let none = || Config::builder().environment(env(&[("HOME", "/nonexistent")]));
    assert!(matches!(none().build(), Err(ConfigError::MissingRegion)));
    assert!(
        matches!(none().region("us-west-2").build(), Err(ConfigError::MissingCredentials(p)) if p == "default")
    );
    let creds = || none().region("us-west-2").credentials(Credentials::new("a", "b", None));
    assert!(matches!(creds().endpoint_url("localhost:8080").build(), Err(ConfigError::Endpoint(_))));
    let bad = Config::builder().region("us-west-2").credentials(Credentials::new("a", "b", None));
    let bad = bad.environment(env(&[("AWS_MAX_ATTEMPTS", "zero")])).build();
    assert!(matches!(bad, Err(ConfigError::MaxAttempts(_))));
    let fips = creds().use_fips(true).use_dual_stack(true).build().unwrap();
    assert_eq!(fips.endpoint_url(), "https://ivs-fips.us-west-2.api.aws");
}

#[test]
fn debug_output_hides_secrets() {
    let c = Credentials::new("AKID", "very-secret", Some("session".into()));
    let s = format!("{c:?}");
    assert!(s.contains("AKID") && !s.contains("very-secret") && !s.contains("session\""));
}
