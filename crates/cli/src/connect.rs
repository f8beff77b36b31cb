//! Where the client commands send their requests and with which key: the AWS CLI's options
//! (`--endpoint-url`, `--region`, `--profile`) and its environment and shared files, resolved by
//! openivs-client, plus one fallback of openivs's own: with no endpoint, profile or credentials
//! chosen for this call, the files `openivs serve` writes into its data dir (`credentials` and
//! `config`, profile `openivs`) are used when they exist, so that a command run beside a local
//! server needs no flag at all.

use std::path::PathBuf;

use openivs_client::{Client, Config, ConfigError, Environment};

use crate::error::Failure;
use crate::output::Format;

/// Region used when neither the options, the environment nor the profile name one (the AWS CLI
/// would stop; IVS's home region is a better default for a local server).
pub const FALLBACK_REGION: &str = "us-east-1";

/// The options that say where to send requests, accepted by every client command.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ClientArgs {
    /// The IVS API endpoint, e.g. http://127.0.0.1:8080 (default: AWS_ENDPOINT_URL_IVS,
    /// AWS_ENDPOINT_URL, the profile's endpoint_url, else the local server of --data-dir).
    #[arg(long, global = true, value_name = "URL", help_heading = "Connection")]
    pub endpoint_url: Option<String>,
    /// The region to sign for; resources are per region (default: AWS_REGION, the profile's,
    /// else us-east-1).
    #[arg(long, global = true, value_name = "REGION", help_heading = "Connection")]
    pub region: Option<String>,
    /// The profile of the AWS shared config and credentials files (default: AWS_PROFILE).
    #[arg(long, global = true, value_name = "NAME", help_heading = "Connection")]
    pub profile: Option<String>,
    /// The data dir of a local `openivs serve`, whose credentials are used when no endpoint,
    /// profile or credentials are given.
    #[arg(
        long,
        global = true,
        env = "OPENIVS_DATA_DIR",
        value_name = "DIR",
        default_value = "./openivs-data",
        help_heading = "Connection"
    )]
    pub data_dir: PathBuf,
    /// Output format (default: AWS_DEFAULT_OUTPUT, else json).
    #[arg(long, global = true, value_enum, value_name = "FORMAT", help_heading = "Connection")]
    pub output: Option<Format>,
}

impl ClientArgs {
    /// The output format: `--output`, else `AWS_DEFAULT_OUTPUT`, else JSON.
    pub fn format(&self) -> Format {
        self.output
            .or_else(|| {
                let v = std::env::var("AWS_DEFAULT_OUTPUT").ok()?;
                <Format as clap::ValueEnum>::from_str(v.trim(), true).ok()
            })
            .unwrap_or(Format::Json)
    }

    /// A client configured by these options, the environment and the shared files.
    pub fn client(&self) -> Result<Client, Failure> {
        Ok(Client::new(self.config()?))
    }

    fn config(&self) -> Result<Config, Failure> {
        let env = Environment::process();
        let chosen = self.endpoint_url.is_some()
            || self.profile.is_some()
            || ["AWS_PROFILE", "AWS_ENDPOINT_URL_IVS", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID"]
                .iter()
                .any(|v| env.get(v).is_some());
        let local_credentials = self.data_dir.join("credentials");
        let mut builder = Config::builder();
        let local = !chosen && local_credentials.is_file();
        if local {
            // As if AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE and AWS_PROFILE named the server's files.
            let mut vars: Vec<(String, String)> = std::env::vars()
                .filter(|(k, _)| k != "AWS_SHARED_CREDENTIALS_FILE" && k != "AWS_CONFIG_FILE")
                .collect();
            vars.push(("AWS_SHARED_CREDENTIALS_FILE".into(), local_credentials.display().to_string()));
            vars.push(("AWS_CONFIG_FILE".into(), self.data_dir.join("config").display().to_string()));
            builder = builder.environment(Environment::from_vars(vars)).profile(openivs_server::app::PROFILE);
        } else if let Some(profile) = &self.profile {
            builder = builder.profile(profile);
        }
        if let Some(region) = &self.region {
            builder = builder.region(region);
        }
        if let Some(url) = &self.endpoint_url {
            builder = builder.endpoint_url(url);
        }
        let built = match builder.clone().build() {
            Err(ConfigError::MissingRegion) => builder.region(FALLBACK_REGION).build(),
            other => other,
        };
        built.map_err(|e| match e {
            ConfigError::MissingCredentials(profile) if !local => Failure::config(format!(
                "Unable to locate credentials: not in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY nor in profile \
                 `{profile}`, and no local openivs server (no {}): run `openivs serve` there, pass --data-dir, \
                 or --profile and --endpoint-url",
                local_credentials.display()
            )),
            e => Failure::config(e.to_string()),
        })
    }
}
