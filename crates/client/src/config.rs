//! Client configuration, resolved the way AWS users expect (AWS SDKs and Tools reference guide):
//!
//! | setting | order |
//! |---|---|
//! | region | builder, `AWS_REGION`, `AWS_DEFAULT_REGION`, profile `region` |
//! | credentials | builder, `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`), profile `aws_access_key_id`/`aws_secret_access_key`/`aws_session_token` (credentials file, then config file) |
//! | endpoint | builder, `AWS_ENDPOINT_URL_IVS`, `AWS_ENDPOINT_URL`, profile `services` section `ivs.endpoint_url`, profile `endpoint_url`, else the regional IVS endpoint (`AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` skips the environment and profile ones) |
//! | max attempts | builder, `AWS_MAX_ATTEMPTS`, profile `max_attempts`, else 3 |
//!
//! The profile is the builder's, else `AWS_PROFILE`, else `default`.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::endpoint::{Endpoint, EndpointError, EndpointFlags};
use crate::profile::{Profile, ProfileSet};
use crate::retry::RetryConfig;
use crate::transport::HttpClient;

/// AWS credentials: an access key, its secret, and the session token of temporary credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

impl Credentials {
    /// Credentials from their parts.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token,
        }
    }

    /// The access key id.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key.
    pub fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    /// The session token, for temporary credentials.
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field("session_token", &self.session_token.as_ref().map(|_| "** redacted **"))
            .finish()
    }
}

/// Where unset settings are read from: the process environment (the default), or a fixed set of
/// variables (tests, or programs that must not depend on the environment).
#[derive(Clone, Debug, Default)]
pub struct Environment {
    fixed: Option<HashMap<String, String>>,
}

impl Environment {
    /// The process environment.
    pub fn process() -> Self {
        Self { fixed: None }
    }

    /// Exactly these variables (no files either, unless `AWS_CONFIG_FILE` and friends or `HOME` are
    /// among them).
    pub fn from_vars<K: Into<String>, V: Into<String>>(vars: impl IntoIterator<Item = (K, V)>) -> Self {
        Self { fixed: Some(vars.into_iter().map(|(k, v)| (k.into(), v.into())).collect()) }
    }

    /// A variable, if set and not empty.
    pub fn get(&self, name: &str) -> Option<String> {
        let v = match &self.fixed {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        };
        v.filter(|v| !v.is_empty())
    }
}

/// Why a configuration could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No region in the builder, the environment or the profile.
    #[error("no region: set one on the builder, in AWS_REGION or in the profile")]
    MissingRegion,
    /// No credentials in the builder, the environment or the profile.
    #[error(
        "no credentials: set them on the builder, in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or in profile `{0}`"
    )]
    MissingCredentials(String),
    /// The endpoint URL is not usable.
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// `AWS_MAX_ATTEMPTS` or `max_attempts` is not a positive number.
    #[error("invalid max attempts `{0}`")]
    MaxAttempts(String),
}

/// Per-call time limits (the connect timeout belongs to the HTTP layer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeoutConfig {
    /// One attempt: sending the request and reading the response. Default 60 s (the AWS SDKs set
    /// none; a half-open connection would then hang forever).
    pub attempt: Option<Duration>,
    /// The whole call, retries and backoff included. Default none.
    pub operation: Option<Duration>,
}

impl Default for TimeoutConfig {
    fn default() -> Self {
        Self { attempt: Some(Duration::from_secs(60)), operation: None }
    }
}

/// A resolved configuration; build one with [`Config::builder`].
#[derive(Clone)]
pub struct Config {
    pub(crate) region: String,
    pub(crate) credentials: Credentials,
    pub(crate) endpoint: Endpoint,
    pub(crate) retry: RetryConfig,
    pub(crate) timeouts: TimeoutConfig,
    pub(crate) http: Option<Arc<dyn HttpClient>>,
}

impl Config {
    /// A builder; settings left unset come from the environment and profile files at `build()`.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// The configuration of the environment and profile files alone.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::builder().build()
    }

    /// The signing region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The endpoint URL requests go to.
    pub fn endpoint_url(&self) -> &str {
        self.endpoint.url()
    }

    /// The retry settings.
    pub fn retry(&self) -> &RetryConfig {
        &self.retry
    }

    /// The time limits.
    pub fn timeouts(&self) -> TimeoutConfig {
        self.timeouts
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("region", &self.region)
            .field("credentials", &self.credentials)
            .field("endpoint", &self.endpoint.url())
            .field("retry", &self.retry)
            .field("timeouts", &self.timeouts)
            .field("custom_http", &self.http.is_some())
            .finish()
    }
}

/// Builds a [`Config`].
#[derive(Clone, Default)]
pub struct ConfigBuilder {
    region: Option<String>,
    credentials: Option<Credentials>,
    endpoint_url: Option<String>,
    profile: Option<String>,
    retry: Option<RetryConfig>,
    timeouts: TimeoutConfig,
    flags: EndpointFlags,
    http: Option<Arc<dyn HttpClient>>,
    env: Environment,
}

impl ConfigBuilder {
    /// The region to sign for and whose endpoint to use, e.g. `us-west-2`.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The credentials to sign with.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The endpoint, e.g. `http://127.0.0.1:8080` for a local openivs (a path is kept as a prefix).
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// The profile of the shared files to read (instead of `AWS_PROFILE` or `default`).
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }

    /// Retry settings (max attempts, backoff).
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Time limits.
    pub fn timeouts(mut self, timeouts: TimeoutConfig) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Uses the FIPS endpoint of the region (no effect with an explicit endpoint URL).
    pub fn use_fips(mut self, yes: bool) -> Self {
        self.flags.fips = Some(yes);
        self
    }

    /// Uses the dual-stack (IPv6) endpoint of the region (no effect with an explicit endpoint URL).
    pub fn use_dual_stack(mut self, yes: bool) -> Self {
        self.flags.dual_stack = Some(yes);
        self
    }

    /// The HTTP layer (default: [`DefaultHttpClient`](crate::DefaultHttpClient)).
    pub fn http_client(mut self, http: impl HttpClient) -> Self {
        self.http = Some(Arc::new(http));
        self
    }

    /// Where unset settings come from (default: the process environment and `~/.aws`).
    pub fn environment(mut self, env: Environment) -> Self {
        self.env = env;
        self
    }

    /// Resolves every setting.
    pub fn build(self) -> Result<Config, ConfigError> {
        let env = &self.env;
        let profile_name =
            self.profile.clone().or_else(|| env.get("AWS_PROFILE")).unwrap_or_else(|| "default".into());
        let files = ProfileSet::load(env);
        let empty = Profile::default();
        let profile = files.profile(&profile_name).unwrap_or(&empty);
        let from_profile = |k: &str| profile.get(k).map(str::to_owned);

        let region = self
            .region
            .or_else(|| env.get("AWS_REGION"))
            .or_else(|| env.get("AWS_DEFAULT_REGION"))
            .or_else(|| from_profile("region"))
            .ok_or(ConfigError::MissingRegion)?;

        let credentials = match self.credentials {
            Some(c) => c,
            None => credentials_from(env, profile).ok_or(ConfigError::MissingCredentials(profile_name))?,
        };

        let ignore_configured = env
            .get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .or_else(|| from_profile("ignore_configured_endpoint_urls"));
        let configured = if is_true(ignore_configured.as_deref()) {
            None
        } else {
            env.get("AWS_ENDPOINT_URL_IVS")
                .or_else(|| env.get("AWS_ENDPOINT_URL"))
                .or_else(|| {
                    let services = files.services(profile.get("services")?)?;
                    services.get("ivs.endpoint_url").map(str::to_owned)
                })
                .or_else(|| from_profile("endpoint_url"))
        };
        let mut flags = self.flags;
        flags.fips = flags.fips.or_else(|| {
            env.get("AWS_USE_FIPS_ENDPOINT")
                .or_else(|| from_profile("use_fips_endpoint"))
                .map(|v| is_true(Some(&v)))
        });
        flags.dual_stack = flags.dual_stack.or_else(|| {
            let v = env.get("AWS_USE_DUALSTACK_ENDPOINT").or_else(|| from_profile("use_dualstack_endpoint"));
            v.map(|v| is_true(Some(&v)))
        });
        let endpoint = match self.endpoint_url.or(configured) {
            Some(url) => Endpoint::parse(&url)?,
            None => Endpoint::regional(&region, flags)?,
        };

        let retry = match self.retry {
            Some(r) => r,
            None => {
                let mut r = RetryConfig::standard();
                if let Some(n) = env.get("AWS_MAX_ATTEMPTS").or_else(|| from_profile("max_attempts")) {
                    let parsed = n.trim().parse::<u32>().ok().filter(|&n| n > 0);
                    r = r.max_attempts(parsed.ok_or(ConfigError::MaxAttempts(n))?);
                }
                r
            }
        };
        Ok(Config { region, credentials, endpoint, retry, timeouts: self.timeouts, http: self.http })
    }
}

fn credentials_from(env: &Environment, profile: &Profile) -> Option<Credentials> {
    if let (Some(id), Some(secret)) = (env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")) {
        return Some(Credentials::new(id, secret, env.get("AWS_SESSION_TOKEN")));
    }
    let id = profile.get("aws_access_key_id")?;
    let secret = profile.get("aws_secret_access_key")?;
    Some(Credentials::new(id, secret, profile.get("aws_session_token").map(str::to_owned)))
}

fn is_true(v: Option<&str>) -> bool {
    v.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
