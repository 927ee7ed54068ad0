//! Value rules shared by several block kinds: name syntax, DNS names, addresses,
//! paths. Each returns an error message in the user's words, or `Ok`.

use std::net::IpAddr;

/// Names of stacks, hosts, disks, services, ports, volumes, secrets and routes:
/// `[a-z][a-z0-9-]{0,62}` — they become Salt IDs, job names and file names.
pub(crate) fn name(text: &str) -> Result<(), String> {
    let mut chars = text.chars();
    let starts_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !starts_ok || !rest_ok {
        return Err(format!(
            "`{text}` is not a valid name: use a lowercase letter, then lowercase letters, digits or `-`"
        ));
    }
    if text.len() > 63 {
        return Err(format!(
            "name is {} characters long; the limit is 63",
            text.len()
        ));
    }
    Ok(())
}

/// A DNS host name: dot-separated labels of letters, digits and inner hyphens.
pub(crate) fn dns_name(text: &str) -> Result<(), String> {
    let labels_ok = !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if labels_ok {
        Ok(())
    } else {
        Err(format!("`{}` is not a valid DNS name", shorten(text)))
    }
}

/// An IP address or a DNS name.
pub(crate) fn address(text: &str) -> Result<(), String> {
    if text.parse::<IpAddr>().is_ok() || dns_name(text).is_ok() {
        Ok(())
    } else {
        Err(format!(
            "`{}` is neither an IP address nor a DNS name",
            shorten(text)
        ))
    }
}

/// An absolute path without `..`, and without characters that break the configs
/// it lands in (control characters, quotes, whitespace).
pub(crate) fn absolute_path(text: &str) -> Result<(), String> {
    if !text.starts_with('/') {
        return Err(format!("`{}` is not an absolute path", shorten(text)));
    }
    if text.split('/').any(|part| part == "..") {
        return Err(format!("`{}` contains `..`", shorten(text)));
    }
    plain_text(text, "a path")
}

/// A path prefix of an http route: starts with `/`, no spaces or control chars.
pub(crate) fn url_path(text: &str) -> Result<(), String> {
    request_path(text, "route path", "-._~/%")
}

/// The path (and query) a health check requests: the characters of a URL's
/// path and query (RFC 3986) but a fragment, quotes, backslashes and braces —
/// `/v1/sys/health?standbyok=true` is Vault's own check for a cluster with
/// standbys. Every consumer takes it as a quoted string (Nomad and Consul
/// check `path`, Salt's `http.wait_for_successful_query`).
pub(crate) fn health_path(text: &str) -> Result<(), String> {
    request_path(text, "health path", "-._~/%!$&'()*+,;=:@?")
}

/// A `what` that starts with `/`, has no `..` segment before any query, and
/// only letters, digits and the characters of `allowed`.
fn request_path(text: &str, what: &str, allowed: &str) -> Result<(), String> {
    if !text.starts_with('/') {
        return Err(format!("{what} `{}` must start with `/`", shorten(text)));
    }
    let path = text.split('?').next().unwrap_or(text);
    if path.split('/').any(|part| part == "..") {
        return Err(format!("{what} `{}` contains `..`", shorten(text)));
    }
    match text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || allowed.contains(*c)))
    {
        Some(c) => Err(format!(
            "{what} may only use letters, digits and `{allowed}` (found {})",
            describe_char(c)
        )),
        None => Ok(()),
    }
}

/// Text with no whitespace, quotes or control characters.
pub(crate) fn plain_text(text: &str, what: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err(format!("{what} may not be empty"));
    }
    match text
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '`' | '\\'))
    {
        Some(c) => Err(format!("{what} may not contain {}", describe_char(c))),
        None => Ok(()),
    }
}

/// A Vault KV path: `/`-separated segments of `[A-Za-z0-9_.-]`, no `..` —
/// it lands in consul-template, policies and shell commands.
pub(crate) fn vault_path(text: &str) -> Result<(), String> {
    let segments_ok = !text.is_empty()
        && text.split('/').all(|segment| {
            !segment.is_empty()
                && segment != ".."
                && segment != "."
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        });
    if segments_ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a Vault path: `/`-separated names of letters, digits and `_.-`",
            shorten(text)
        ))
    }
}

/// A key inside a Vault secret.
pub(crate) fn vault_key(text: &str) -> Result<(), String> {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a key of a Vault secret: letters, digits and `_.-`",
            shorten(text)
        ))
    }
}

/// A Debian package name.
pub(crate) fn package(text: &str) -> Result<(), String> {
    let mut chars = text.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c));
    if first_ok && rest_ok && text.len() >= 2 {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a valid Debian package name",
            shorten(text)
        ))
    }
}

/// An environment variable name.
pub(crate) fn env_key(text: &str) -> Result<(), String> {
    let mut chars = text.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a valid environment variable name (letters, digits and `_`, not starting with a digit)",
            shorten(text)
        ))
    }
}

/// A file mode such as `0644` or `600`.
pub(crate) fn file_mode(text: &str) -> Result<(), String> {
    let octal = text.chars().all(|c| ('0'..='7').contains(&c));
    if octal && (3..=4).contains(&text.len()) {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not an octal file mode such as \"0644\"",
            shorten(text)
        ))
    }
}

/// A single line of text (commands, schedules): no control characters.
pub(crate) fn single_line(text: &str, what: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err(format!("{what} may not be empty"));
    }
    match text.chars().find(|c| c.is_control()) {
        Some(c) => Err(format!("{what} may not contain {}", describe_char(c))),
        None => Ok(()),
    }
}

/// A systemd `OnCalendar=` expression ("daily", "*-*-* 02:00"): the characters
/// calendar specs use and nothing that means something in a unit file.
pub(crate) fn schedule(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("a schedule may not be empty".into());
    }
    match text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || " *-:/.,~+".contains(*c)))
    {
        Some(c) => Err(format!(
            "a schedule (systemd OnCalendar) may not contain {}",
            describe_char(c)
        )),
        None => Ok(()),
    }
}

/// An email address, loosely: one `@` with text on both sides, no whitespace.
pub(crate) fn email(text: &str) -> Result<(), String> {
    let local_ok = |local: &str| {
        !local.is_empty()
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c))
    };
    match text.split_once('@') {
        Some((local, domain)) if local_ok(local) && dns_name(domain).is_ok() => Ok(()),
        _ => Err(format!(
            "`{}` is not an email address (letters, digits and ._%+- before the @)",
            shorten(text)
        )),
    }
}

fn describe_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!(
            "whitespace or control characters (found U+{:04X})",
            c as u32
        )
    } else {
        format!("`{c}`")
    }
}

/// Long user text is cut in messages.
fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        text.escape_debug().to_string()
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{}…", head.escape_debug())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(name("vault").is_ok());
        assert!(name("a-1").is_ok());
        assert!(name(&"a".repeat(63)).is_ok());
        assert!(name(&"a".repeat(64)).is_err());
        for bad in ["", "Vault", "1a", "a_b", "a.b", "é"] {
            assert!(name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dns_and_addresses() {
        assert!(dns_name("app.example.com").is_ok());
        assert!(dns_name("-a.com").is_err());
        assert!(dns_name("a..com").is_err());
        assert!(dns_name("a b.com").is_err());
        assert!(address("10.0.0.1").is_ok());
        assert!(address("fd00::1").is_ok());
        assert!(address("10.0.0.1; rm").is_err());
    }

    #[test]
    fn vault_paths_and_keys() {
        assert!(vault_path("kv/data/app/db").is_ok());
        for bad in ["", "kv//x", "kv/../x", "kv/x\"}}", "kv/{{x}}", "/kv/x"] {
            assert!(vault_path(bad).is_err(), "{bad}");
        }
        assert!(vault_key("db_password").is_ok());
        assert!(vault_key("a}}b").is_err());
    }

    #[test]
    fn paths() {
        assert!(absolute_path("/var/lib/vault").is_ok());
        assert!(absolute_path("var/lib").is_err());
        assert!(absolute_path("/var/../etc").is_err());
        assert!(absolute_path("/var/lib vault").is_err());
        for path in [
            "/v1/sys/health?standbyok=true",
            "/api/v1/status:check",
            "/@alice",
            "/ready+live",
            "/health;v=1",
            "/h!",
            "/health(x)",
        ] {
            assert!(health_path(path).is_ok(), "{path}");
        }
        for path in ["health", "/../x", "/a b", "/a\"b", "/a#b", "/${x}", "/a\\b"] {
            assert!(health_path(path).is_err(), "{path}");
        }
        assert!(url_path("/").is_ok());
        assert!(url_path("/api/v1.2_x~%20").is_ok());
        assert!(url_path("/api{").is_err());
        assert!(url_path("api").is_err());
    }
}
