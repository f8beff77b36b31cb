//! Private channels (ivs-behaviour.md §4): `openivs playback-key generate` makes a P-384 key pair,
//! writes it as `private.pem` (PKCS#8, mode 0600) and `public.pem`, and imports the public half with
//! `ImportPlaybackKeyPair`; `openivs token` signs a playback token with such a private key, offline.
//! Both use openivs-client's token signer.

use std::path::{Path, PathBuf};
use std::time::Duration;

use openivs_client::token::{MAX_TTL_WITH_VIEWER, PlaybackClaims, PlaybackTokenSigner};
use openivs_client::types::ImportPlaybackKeyPairRequest;
use openivs_model::Operation;

use crate::connect::ClientArgs;
use crate::error::Failure;
use crate::output;

/// `openivs playback-key …`.
#[derive(clap::Subcommand)]
pub enum PlaybackKeyCommand {
    /// Make a P-384 key pair, write private.pem and public.pem, and import the public half
    /// (ImportPlaybackKeyPair); prints the key pair (ARN, fingerprint).
    Generate(GenerateArgs),
}

#[derive(clap::Args)]
pub struct GenerateArgs {
    /// Name of the key pair.
    #[arg(long)]
    name: Option<String>,
    /// Where to write private.pem and public.pem.
    #[arg(long, value_name = "DIR", default_value = ".")]
    out_dir: PathBuf,
    /// Tags of the key pair: key=value pairs.
    #[arg(long, num_args = 1.., value_name = "KEY=VALUE")]
    tags: Vec<String>,
    /// Overwrite private.pem and public.pem if they exist.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    client: ClientArgs,
}

/// Runs `openivs playback-key …`.
pub async fn run(cmd: PlaybackKeyCommand) -> Result<(), Failure> {
    let PlaybackKeyCommand::Generate(args) = cmd;
    let mut tags = std::collections::BTreeMap::new();
    for t in &args.tags {
        let (k, v) =
            t.split_once('=').ok_or_else(|| Failure::usage(format!("--tags takes key=value, got {t:?}")))?;
        tags.insert(k.to_string(), v.to_string());
    }
    let client = args.client.client()?;
    let pair = PlaybackTokenSigner::generate().map_err(|e| Failure::other(e.to_string()))?;
    let public = pair.signer.public_key_pem();
    let private_path = args.out_dir.join("private.pem");
    let public_path = args.out_dir.join("public.pem");
    // The files first: a key pair imported without its private key on disk would be of no use.
    write(&private_path, &pair.private_key_pem, true, args.force)?;
    if let Err(e) = write(&public_path, &public, false, args.force) {
        let _ = std::fs::remove_file(&private_path);
        return Err(e);
    }
    let input = ImportPlaybackKeyPairRequest {
        name: args.name,
        public_key_material: Some(public),
        tags: (!tags.is_empty()).then_some(tags),
    };
    let out = match client.import_playback_key_pair(input).await {
        Ok(out) => out,
        Err(e) => {
            let _ = std::fs::remove_file(&private_path);
            let _ = std::fs::remove_file(&public_path);
            let endpoint = client.config().endpoint_url().to_string();
            let err = e.map_service_error(openivs_client::OperationError::into_service_error);
            return Err(Failure::call(Operation::ImportPlaybackKeyPair, &endpoint, err));
        }
    };
    let value = serde_json::to_value(out).unwrap_or_default();
    output::print(&value, args.client.format(), "ImportPlaybackKeyPair");
    eprintln!(
        "wrote {} (the private key: keep it secret) and {}",
        private_path.display(),
        public_path.display()
    );
    Ok(())
}

/// Writes a new file (mode 0600 when `private`), refusing to replace one unless `force`.
fn write(path: &Path, text: &str, private: bool, force: bool) -> Result<(), Failure> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true);
    if force {
        opts.create(true).truncate(true);
    } else {
        opts.create_new(true);
    }
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let _ = private;
    let mut f = opts.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            Failure::other(format!("{} exists; pass --force to replace it, or --out-dir", path.display()))
        }
        _ => Failure::other(format!("writing {}: {e}", path.display())),
    })?;
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::PermissionsExt;
        let _ = f.set_permissions(std::fs::Permissions::from_mode(0o600));
    }
    f.write_all(text.as_bytes()).map_err(|e| Failure::other(format!("writing {}: {e}", path.display())))
}

/// `openivs token`: a playback token for a private channel.
#[derive(clap::Args)]
pub struct TokenArgs {
    /// The channel the token lets a viewer play.
    #[arg(long, value_name = "ARN")]
    channel_arn: String,
    /// The private key of an imported playback key pair (PEM: PKCS#8 or SEC1).
    #[arg(long, value_name = "private.pem")]
    key: PathBuf,
    /// How long the token is valid: 90s, 10m, 1h, 1h30m or seconds (default 1h; 10m with
    /// --viewer-id or --single-use, which allow at most that).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    ttl: Option<Duration>,
    /// The viewer (at most 40 characters), so that their session can be revoked.
    #[arg(long, value_name = "ID")]
    viewer_id: Option<String>,
    /// The viewer session version that revocation compares with.
    #[arg(long, value_name = "N")]
    viewer_session_version: Option<i64>,
    /// Origins allowed to play (several allowed; `https://*.example.com` matches subdomains).
    #[arg(long = "origin", value_name = "ORIGIN", num_args = 1..)]
    origins: Vec<String>,
    /// Check the origin on every playback request, not only the multivariant playlist.
    #[arg(long)]
    strict_origin: bool,
    /// Make the token single-use (a random single-use id).
    #[arg(long)]
    single_use: bool,
    /// The highest rendition the viewer gets.
    #[arg(long, value_parser = ["SD", "HD", "FULL_HD"])]
    max_resolution: Option<String>,
}

/// Runs `openivs token`: prints the token.
pub fn token(args: TokenArgs) -> Result<(), Failure> {
    let pem = std::fs::read_to_string(&args.key)
        .map_err(|e| Failure::other(format!("reading {}: {e}", args.key.display())))?;
    let signer = PlaybackTokenSigner::from_pem(&pem)
        .map_err(|e| Failure::usage(format!("{}: {e}", args.key.display())))?;
    let limited = args.viewer_id.is_some() || args.single_use;
    let ttl = args.ttl.unwrap_or(if limited { MAX_TTL_WITH_VIEWER } else { Duration::from_secs(3600) });
    let mut claims = PlaybackClaims::new(&args.channel_arn, ttl);
    if !args.origins.is_empty() {
        claims = claims.allowed_origin(args.origins.join(","));
    }
    if args.strict_origin {
        claims = claims.strict_origin_enforcement(true);
    }
    if args.single_use {
        claims = claims.single_use_uuid(uuid::Uuid::new_v4().to_string());
    }
    if let Some(v) = args.viewer_id {
        claims = claims.viewer_id(v);
    }
    if let Some(v) = args.viewer_session_version {
        claims = claims.viewer_session_version(v);
    }
    if let Some(r) = args.max_resolution {
        claims = claims.maximum_resolution(r);
    }
    let token = signer.sign(&claims).map_err(|e| Failure::usage(e.to_string()))?;
    output::emit(&format!("{token}\n"));
    Ok(())
}

/// `90s`, `10m`, `1h30m`, `2d` or plain seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration such as 90s, 10m, 1h or 3600");
    let text = text.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let (mut total, mut number) = (0u64, String::new());
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => return Err(bad()),
        };
        let n: u64 = number.parse().map_err(|_| bad())?;
        total = total.checked_add(n.checked_mul(unit).ok_or_else(bad)?).ok_or_else(bad)?;
        number.clear();
    }
    if !number.is_empty() || text.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("3600s"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert!(
            parse_duration("10x").is_err() && parse_duration("m").is_err() && parse_duration("5m3").is_err()
        );
    }
}
