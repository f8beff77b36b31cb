//! The AWS shared `config` and `credentials` files (AWS SDKs and Tools reference guide, "Shared config
//! and credentials files"): INI-like sections, `[profile NAME]` in `config` (`[default]` either way),
//! `[NAME]` in `credentials`, `[services NAME]` sections with per-service sub-properties
//! (`ivs =` followed by indented `endpoint_url = …`). Keys are case-insensitive; values of the
//! credentials file win over those of the config file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::Environment;

/// The properties of one profile: `key → value`, and `key.sub → value` for sub-properties.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    props: HashMap<String, String>,
}

impl Profile {
    /// A property (`region`), or a sub-property (`ivs.endpoint_url`).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.props.get(&key.to_ascii_lowercase()).map(String::as_str).filter(|v| !v.is_empty())
    }
}

/// The profiles and `services` sections of both files.
#[derive(Clone, Debug, Default)]
pub struct ProfileSet {
    profiles: HashMap<String, Profile>,
    services: HashMap<String, Profile>,
}

/// Which section kind a file's plain `[name]` headers are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Config,
    Credentials,
}

impl ProfileSet {
    /// Reads `AWS_CONFIG_FILE` (default `~/.aws/config`) and `AWS_SHARED_CREDENTIALS_FILE` (default
    /// `~/.aws/credentials`). Missing or unreadable files count as empty.
    pub fn load(env: &Environment) -> Self {
        let home = env.get("HOME").or_else(|| env.get("USERPROFILE")).map(PathBuf::from);
        let path = |var: &str, default: &str| -> Option<PathBuf> {
            match env.get(var) {
                Some(p) => Some(expand_home(&p, home.as_deref())),
                None => home.as_ref().map(|h| h.join(".aws").join(default)),
            }
        };
        let read = |p: Option<PathBuf>| p.and_then(|p| std::fs::read_to_string(p).ok()).unwrap_or_default();
        let mut set = ProfileSet::default();
        set.parse(&read(path("AWS_CONFIG_FILE", "config")), FileKind::Config);
        set.parse(&read(path("AWS_SHARED_CREDENTIALS_FILE", "credentials")), FileKind::Credentials);
        set
    }

    /// Parses the text of a `config` file (for tests and embedders).
    pub fn from_config_text(config: &str, credentials: &str) -> Self {
        let mut set = ProfileSet::default();
        set.parse(config, FileKind::Config);
        set.parse(credentials, FileKind::Credentials);
        set
    }

    /// The profile `name`, if either file has it.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    /// The `[services NAME]` section.
    pub fn services(&self, name: &str) -> Option<&Profile> {
        self.services.get(name)
    }

    fn parse(&mut self, text: &str, kind: FileKind) {
        // The section being filled (None: before any header, or in a section we ignore).
        let mut current: Option<&mut Profile> = None;
        let mut parent: Option<String> = None;
        for raw in text.lines() {
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            if trimmed.starts_with('[') {
                parent = None;
                current = self.section(trimmed, kind);
                continue;
            }
            let Some(section) = current.as_deref_mut() else { continue };
            let Some((key, value)) = trimmed.split_once('=') else { continue };
            let (key, value) = (key.trim().to_ascii_lowercase(), value.trim().to_owned());
            let indented = raw.starts_with([' ', '\t']);
            match (&parent, indented) {
                // `ivs =` then indented `endpoint_url = …`: a sub-property.
                (Some(p), true) => {
                    section.props.insert(format!("{p}.{key}"), value);
                }
                _ => {
                    parent = value.is_empty().then(|| key.clone());
                    section.props.insert(key, value);
                }
            }
        }
    }

    fn section(&mut self, header: &str, kind: FileKind) -> Option<&mut Profile> {
        let header = header.split(['#', ';']).next().unwrap_or(header).trim();
        let inner = header.strip_prefix('[')?.strip_suffix(']')?.trim();
        let mut words = inner.split_whitespace();
        let (first, second) = (words.next()?, words.next());
        let (map, name) = match (kind, first, second) {
            (FileKind::Config, "profile", Some(name)) => (&mut self.profiles, name),
            (FileKind::Config, "services", Some(name)) => (&mut self.services, name),
            (FileKind::Config, "default", None) | (FileKind::Credentials, _, None) => {
                (&mut self.profiles, first)
            }
            _ => return None,
        };
        Some(map.entry(name.to_owned()).or_default())
    }
}

fn expand_home(path: &str, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "\
# comment
[default]
region = eu-west-1

[profile openivs]
region = us-west-2
endpoint_url = http://127.0.0.1:8080
services = local

[services local]
ivs =
  endpoint_url = http://127.0.0.1:9999
s3 =
  endpoint_url = http://s3.local

[openivs-not-a-profile]
region = nowhere
";
    const CREDENTIALS: &str = "\
[openivs]
aws_access_key_id = OIVSKEY
aws_secret_access_key = secret ; not a comment in a value
[default]
AWS_ACCESS_KEY_ID = AKDEFAULT
aws_secret_access_key = s2
aws_session_token = token
";

    #[test]
    fn profiles_merge_both_files_and_services_have_sub_properties() {
        let set = ProfileSet::from_config_text(CONFIG, CREDENTIALS);
        let p = set.profile("openivs").unwrap();
        assert_eq!(p.get("region"), Some("us-west-2"));
        assert_eq!(p.get("aws_access_key_id"), Some("OIVSKEY"));
        assert_eq!(p.get("aws_secret_access_key"), Some("secret ; not a comment in a value"));
        assert_eq!(p.get("services"), Some("local"));
        let d = set.profile("default").unwrap();
        assert_eq!((d.get("region"), d.get("aws_access_key_id")), (Some("eu-west-1"), Some("AKDEFAULT")));
        assert_eq!(d.get("aws_session_token"), Some("token"));
        let svc = set.services("local").unwrap();
        assert_eq!(svc.get("ivs.endpoint_url"), Some("http://127.0.0.1:9999"));
        assert_eq!(svc.get("s3.endpoint_url"), Some("http://s3.local"));
        assert!(set.profile("openivs-not-a-profile").is_none());
    }

    #[test]
    fn files_come_from_the_environment_and_missing_ones_are_empty() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cfg"), CONFIG).unwrap();
        let env = Environment::from_vars([("AWS_CONFIG_FILE", dir.path().join("cfg").to_str().unwrap())]);
        let set = ProfileSet::load(&env);
        assert_eq!(set.profile("openivs").and_then(|p| p.get("region")), Some("us-west-2"));
        let set = ProfileSet::load(&Environment::from_vars([("HOME", "/nonexistent")]));
        assert!(set.profile("default").is_none());
    }
}
