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
    if labels_ok(text, |_| false) {
        Ok(())
    } else {
        Err(format!("`{}` is not a valid DNS name", shorten(text)))
    }
}

/// A public name Caddy serves (`route { host }`, `stack { domain }`): a DNS
/// name, written with or without the root's trailing dot (`web.example.com.`,
/// dropped by [`without_root_dot`]); with `wildcard`, a first label `*` for
/// every name one level below (`*.example.com`, as Caddy's site addresses).
pub(crate) fn site_name(text: &str, wildcard: bool) -> Result<(), String> {
    let name = without_root_dot(text);
    let name = match name.strip_prefix("*.") {
        Some(rest) if wildcard => rest,
        Some(_) => {
            return Err(format!(
                "`{}` is a wildcard; only a route's `host` may be one",
                shorten(text)
            ))
        }
        None => name,
    };
    if name.contains('*') {
        return Err(format!(
            "`{}` is not a valid DNS name: a wildcard `*` may only be the whole first label (`*.example.com`)",
            shorten(text)
        ));
    }
    dns_name(name).map_err(|_| format!("`{}` is not a valid DNS name", shorten(text)))
}

/// A DNS name without the trailing dot of its fully qualified form: Caddy
/// matches the `Host` header, which clients send without it.
pub(crate) fn without_root_dot(text: &str) -> &str {
    match text.strip_suffix('.') {
        Some(name) if !name.ends_with('.') => name,
        _ => text,
    }
}

/// Dot-separated labels of letters, digits, inner hyphens and the characters
/// `extra` allows, each 1–63 bytes, 253 in all.
fn labels_ok(text: &str, extra: impl Fn(char) -> bool) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || extra(c))
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// An IP address or a host's DNS name. Names may have `_` in a label
/// (`host_1.lan`): DNS and `/etc/hosts` carry them, and every consumer takes
/// the address as a quoted string or a whole token.
pub(crate) fn address(text: &str) -> Result<(), String> {
    if text.parse::<IpAddr>().is_ok() || labels_ok(text, |c| c == '_') {
        Ok(())
    } else {
        Err(format!(
            "`{}` is neither an IP address nor a DNS name",
            shorten(text)
        ))
    }
}

/// An absolute path without `..` or control characters. Any other
/// character is escaped where the path lands (YAML, HCL, shell, systemd,
/// Docker's `--mount`); the one consumer that cannot carry whitespace, the
/// `/etc/fstab` line of a bare-metal bind mount, is checked where the
/// volume's runtime is known (`check::bind_mounts`).
pub(crate) fn absolute_path(text: &str) -> Result<(), String> {
    if !text.starts_with('/') {
        return Err(format!("`{}` is not an absolute path", shorten(text)));
    }
    if text.split('/').any(|part| part == "..") {
        return Err(format!("`{}` contains `..`", shorten(text)));
    }
    match text.chars().find(|c| c.is_control()) {
        Some(c) => Err(format!("a path may not contain {}", describe_char(c))),
        None => Ok(()),
    }
}

/// The path prefix of an http route: starts with `/`, the characters of a
/// URL path (RFC 3986: unreserved, sub-delims, `:`, `@`, `%`-escapes). Caddy
/// reads `*` in a path matcher as a wildcard, so `*` may only end the prefix
/// in Caddy's own way of writing one (`/files/*`, the same route as
/// `/files`); a query is not part of what a path matcher sees.
pub(crate) fn url_path(text: &str) -> Result<(), String> {
    if let Some((_, query)) = text.split_once('?') {
        return Err(format!(
            "a route path matches the path only, not the query `?{}`",
            shorten(query)
        ));
    }
    let prefix = route_prefix(text);
    if prefix.contains('*') {
        return Err(
            "a route path is a prefix; `*` may only end it after a `/` (`/files/*`)".into(),
        );
    }
    request_path(prefix, "route path", "-._~/%!$&'()+,;=:@")
}

/// A route path without the `*` of Caddy's way of writing a prefix:
/// `/files/*` is the prefix `/files/`.
pub(crate) fn route_prefix(text: &str) -> &str {
    text.strip_suffix("/*").map_or(text, |p| &text[..=p.len()])
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
    let refused =
        |c: char| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '`' | '\\');
    // Most values are printable ASCII without those four: one test a byte.
    let plain_ascii = |b: u8| b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b'`' | b'\\');
    if text.bytes().all(plain_ascii) {
        return Ok(());
    }
    match text.chars().find(|&c| refused(c)) {
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
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
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
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a key of a Vault secret: letters, digits and `_.-`",
            shorten(text)
        ))
    }
}

/// A Debian package, optionally pinned to a version as apt writes it:
/// `nginx` or `nginx=1.24.0-1` (see [`split_package`]).
pub(crate) fn package(text: &str) -> Result<(), String> {
    let (name, version) = split_package(text);
    package_name(name)?;
    match version {
        Some(version) => debian_version(version),
        None => Ok(()),
    }
}

/// A package's name and its pinned version: `nginx=1.24.0-1` is `nginx` at
/// `1.24.0-1`.
pub(crate) fn split_package(text: &str) -> (&str, Option<&str>) {
    match text.split_once('=') {
        Some((name, version)) => (name, Some(version)),
        None => (text, None),
    }
}

/// A Debian package name (Debian Policy 5.6.1).
fn package_name(text: &str) -> Result<(), String> {
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

/// A Debian version (Debian Policy 5.6.12): `[epoch:]upstream[-revision]`,
/// the upstream part starting with a digit.
fn debian_version(text: &str) -> Result<(), String> {
    let (epoch, rest) = match text.split_once(':') {
        Some((epoch, rest)) => (Some(epoch), rest),
        None => (None, text),
    };
    let epoch_ok = epoch.is_none_or(|e| !e.is_empty() && e.chars().all(|c| c.is_ascii_digit()));
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((upstream, revision)) => (upstream, Some(revision)),
        None => (rest, None),
    };
    let upstream_ok = upstream.starts_with(|c: char| c.is_ascii_digit())
        && upstream
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".+~-:".contains(c));
    let revision_ok = revision.is_none_or(|r| {
        !r.is_empty()
            && r.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.~".contains(c))
    });
    if epoch_ok && upstream_ok && revision_ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a Debian version (such as `1.24.0-1` or `1:2.3-4`)",
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

/// A systemd `OnCalendar=` expression (`daily`, `*-*-* 02:00`,
/// `Mon *-*-* 02:00:00 America/New_York`): the characters calendar specs and
/// time zone names use, and nothing that means something in a unit file
/// (`%` specifiers, quotes, `\` continuations).
pub(crate) fn schedule(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("a schedule may not be empty".into());
    }
    match text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || " *-:/.,~+_".contains(*c)))
    {
        Some(c) => Err(format!(
            "a schedule (systemd OnCalendar) may not contain {}",
            describe_char(c)
        )),
        None => Ok(()),
    }
}

/// An email address: a local part of RFC 5322's `atext` and dots, `@`, a
/// DNS name. `{` and `}` are refused: Caddy reads `{$NAME}` anywhere in its
/// file as an environment variable, with no way to escape it.
pub(crate) fn email(text: &str) -> Result<(), String> {
    let local_ok = |local: &str| {
        !local.is_empty()
            && local.len() <= 64
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".!#$%&'*+-/=?^_`|~".contains(c))
    };
    match text.rsplit_once('@') {
        Some((local, domain)) if local_ok(local) && dns_name(domain).is_ok() => Ok(()),
        _ => Err(format!(
            "`{}` is not an email address (letters, digits and .!#$%&'*+-/=?^_`|~ before the @, a DNS name after it)",
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
    fn plain_text_refuses_whitespace_quotes_and_controls_in_any_script() {
        for ok in ["registry.example.com/app:1.2", "café/app:1", "a~b@c#d"] {
            assert_eq!(plain_text(ok, "an image"), Ok(()), "{ok:?}");
        }
        for bad in [
            "a b", "a\tb", "a\"b", "a'b", "a`b", "a\\b", "a\u{7f}", "a\u{a0}b", "",
        ] {
            assert!(plain_text(bad, "an image").is_err(), "{bad:?}");
        }
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
        assert!(absolute_path("/var/lib vault").is_ok());
        assert!(absolute_path("/srv/o'brien/$HOME/%i").is_ok());
        assert!(absolute_path("/var/lib\nvault").is_err());
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
        for path in [
            "/api/v1/status:check",
            "/@alice",
            "/ready+live",
            "/health;v=1",
            "/h!",
            "/health(x)",
            "/files/*",
            "/it's",
        ] {
            assert!(url_path(path).is_ok(), "{path}");
        }
        for path in [
            "/v1/sys/health?standbyok=true",
            "/a*b",
            "/a*",
            "/a b",
            "/a#b",
            "/a\"b",
        ] {
            assert!(url_path(path).is_err(), "{path}");
        }
        assert_eq!(route_prefix("/files/*"), "/files/");
        assert_eq!(route_prefix("/files"), "/files");
        assert_eq!(route_prefix("/*"), "/");
    }

    #[test]
    fn names_consumers_carry() {
        assert!(site_name("*.example.com", true).is_ok());
        assert!(site_name("*.example.com", false).is_err());
        assert!(site_name("web.example.com.", false).is_ok());
        assert_eq!(without_root_dot("web.example.com."), "web.example.com");
        for bad in ["a.*.com", "*", "**.a.com", "web..", "a_b.com"] {
            assert!(site_name(bad, true).is_err(), "{bad}");
        }
        assert!(address("host_1.lan").is_ok());
        assert!(address("host 1.lan").is_err());
        assert!(email("o'brien@example.com").is_ok());
        assert!(email("a+b.c!#$%&*/=?^_`|~@example.com").is_ok());
        for bad in [
            "{$HOME}@example.com",
            "a@b@",
            "@example.com",
            "a b@example.com",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
        for good in [
            "nginx",
            "nginx=1.24.0-1",
            "libc6=2.36-9+deb12u4",
            "vim=2:9.0.1378-2",
            "x11-apps=7.7+9",
        ] {
            assert!(package(good).is_ok(), "{good}");
        }
        for bad in [
            "nginx=",
            "nginx=v1",
            "nginx=1.2-",
            "Nginx=1",
            "nginx=1 2",
            "nginx=a:1",
        ] {
            assert!(package(bad).is_err(), "{bad}");
        }
        assert_eq!(split_package("nginx=1.24.0-1"), ("nginx", Some("1.24.0-1")));
        assert!(schedule("*-*-* 02:00:00 America/New_York").is_ok());
        assert!(schedule("daily %i").is_err());
    }
}
