//! Contexts: the AWS profiles of `~/.aws/config` and `~/.aws/credentials`
//! (or `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`), with their region
//! and whether they sign in with SSO, for the `:ctx` palette and
//! `dyntui profiles`.
//!
//! Read with a small parser of our own: these files are INI with AWS's
//! rules (`[profile x]` in config, `[x]` in credentials, indented
//! sub-settings), and only section names and two keys are needed.

use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub region: Option<String>,
    /// Signs in with IAM Identity Center (`sso_session` or `sso_start_url`).
    pub sso: bool,
    /// Has static keys in the credentials file.
    pub static_keys: bool,
}

fn home() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf())
}

fn config_path() -> Option<PathBuf> {
    std::env::var_os("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".aws/config")))
}

fn credentials_path() -> Option<PathBuf> {
    std::env::var_os("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".aws/credentials")))
}

/// Sections of an AWS INI file: name -> (key -> value), top-level keys only.
fn sections(text: &str) -> Vec<(String, BTreeMap<String, String>)> {
    let mut out: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            out.push((name.trim().to_string(), BTreeMap::new()));
            continue;
        }
        // Indented lines belong to a nested setting (e.g. `s3 =`).
        if line.starts_with(' ') || line.starts_with('\t') {
            continue;
        }
        if let (Some((_, map)), Some((k, v))) = (out.last_mut(), trimmed.split_once('=')) {
            map.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    out
}

/// Profiles from the two files' texts, sorted by name, `default` first.
pub fn parse_profiles(config: &str, credentials: &str) -> Vec<Profile> {
    let mut by_name: BTreeMap<String, Profile> = BTreeMap::new();
    for (section, keys) in sections(config) {
        let name = if section == "default" {
            "default".to_string()
        } else if let Some(n) = section.strip_prefix("profile ") {
            n.trim().to_string()
        } else {
            continue; // sso-session, services, ...
        };
        let p = by_name.entry(name.clone()).or_insert_with(|| Profile {
            name,
            ..Profile::default()
        });
        p.region = keys.get("region").cloned().or(p.region.take());
        p.sso |= keys.contains_key("sso_session") || keys.contains_key("sso_start_url");
    }
    for (section, keys) in sections(credentials) {
        let p = by_name.entry(section.clone()).or_insert_with(|| Profile {
            name: section,
            ..Profile::default()
        });
        p.static_keys |= keys.contains_key("aws_access_key_id");
        if p.region.is_none() {
            p.region = keys.get("region").cloned();
        }
    }
    let mut out: Vec<Profile> = by_name.into_values().collect();
    out.sort_by_key(|p| (p.name != "default", p.name.clone()));
    out
}

/// The profiles on this machine (none when the files are missing).
pub fn profiles() -> Vec<Profile> {
    let read = |p: Option<PathBuf>| {
        p.and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default()
    };
    parse_profiles(&read(config_path()), &read(credentials_path()))
}

/// The command that renews an SSO profile's token.
pub fn sso_login_command(profile: Option<&str>) -> String {
    match profile {
        Some(p) => format!(
            "aws sso login --profile {}",
            crate::dynamo::request::shell_word_shown(p)
        ),
        None => "aws sso login".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_from_config_and_credentials() {
        let config = "\
[default]
region = us-east-1

[profile prod]
sso_session = corp
sso_account_id = 1234
region = eu-west-1
s3 =
  max_concurrent_requests = 20

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start

; a comment
[profile dev]
region=us-west-2
";
        let creds = "\
[default]
aws_access_key_id = AKIA...
aws_secret_access_key = x

[ci]
aws_access_key_id = AKIB...
";
        let p = parse_profiles(config, creds);
        let names: Vec<&str> = p.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["default", "ci", "dev", "prod"]);
        assert!(p[0].static_keys && !p[0].sso);
        assert_eq!(p[3].region.as_deref(), Some("eu-west-1"));
        assert!(p[3].sso);
        assert_eq!(p[2].region.as_deref(), Some("us-west-2"));
        assert_eq!(
            sso_login_command(Some("prod")),
            "aws sso login --profile prod"
        );
    }
}
