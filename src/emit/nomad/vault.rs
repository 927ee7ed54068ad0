//! Secrets into a Nomad task: a consul-template per `secret` block that reads
//! the mapped keys from Vault and renders them as an env file.
//!
//! The template is Go template text, so the spec values that land in it (the
//! Vault path and the keys) are refused unless they are plain: segments of
//! `[A-Za-z0-9_.-]` (a `"` or `}}` there would change the template). The same
//! check guards the Vault policy, where a `*` or `+` would widen the grant.
//!
//! The rendered file is parsed by Nomad with go-envparse, which knows double
//! quotes with the escapes `\\`, `\"`, `\n` and `\t`: each value is written in
//! double quotes and escaped by consul-template's `replaceAll`, so a secret
//! holding `#`, quotes, backslashes, tabs or newlines arrives intact (other
//! control characters are refused by Nomad when it reads the file).

use crate::ast::SecretDecl;

/// The escaping of a rendered value for go-envparse, backslash first.
const ENV_ESCAPES: &str = r#" | replaceAll "\\" "\\\\" | replaceAll "\"" "\\\"" | replaceAll "\n" "\\n" | replaceAll "\t" "\\t""#;

/// Text allowed in Vault paths and keys inside templates and policies.
fn plain(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-'))
}

/// The secret's Vault path, if it is safe to write into a template and a
/// policy: `[A-Za-z0-9_./-]`, no empty, `.` or `..` segment.
pub(crate) fn checked_path(secret: &SecretDecl) -> Result<&str, String> {
    let path = secret.path.value.as_str();
    let segments_ok = path
        .split('/')
        .all(|s| !s.is_empty() && s != "." && s != "..");
    if plain(path) && segments_ok {
        Ok(path)
    } else {
        Err(format!(
            "secret `{}`: Vault path {path:?} must be `/`-separated segments of letters, digits, `_`, `.` and `-`",
            secret.name.value
        ))
    }
}

/// Whether a path is a KV version 2 path (`<mount>/data/…`), whose values sit
/// under `.Data.data` instead of `.Data`.
pub(crate) fn is_kv2(path: &str) -> bool {
    path.split('/').nth(1) == Some("data")
}

/// The consul-template that renders the secret's env file.
pub(crate) fn template_data(secret: &SecretDecl) -> Result<String, String> {
    let path = checked_path(secret)?;
    let data = if is_kv2(path) { ".Data.data" } else { ".Data" };
    let mut text = format!("{{{{ with secret \"{path}\" }}}}\n");
    for var in &secret.env {
        let (name, key) = (var.key.value.as_str(), var.value.value.as_str());
        if !env_name(name) {
            return Err(format!(
                "secret `{}`: {name:?} is not an environment variable name",
                secret.name.value
            ));
        }
        if !plain(key) {
            return Err(format!(
                "secret `{}`: key {key:?} of {name} must be letters, digits, `_`, `.`, `/` and `-`",
                secret.name.value
            ));
        }
        let value = if go_identifier(key) {
            format!("{data}.{key}")
        } else {
            format!("index {data} \"{key}\"")
        };
        text.push_str(&format!("{name}=\"{{{{ {value}{ENV_ESCAPES} }}}}\"\n"));
    }
    text.push_str("{{ end }}\n");
    Ok(text)
}

/// A name go-envparse accepts as a key: `[A-Za-z_][A-Za-z0-9_]*`.
fn env_name(name: &str) -> bool {
    go_identifier(name)
}

fn go_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::EnvVar;
    use crate::span::{Span, Spanned};

    fn secret(path: &str, env: &[(&str, &str)]) -> SecretDecl {
        let s = |text: &str| Spanned::new(text.into(), Span::default());
        SecretDecl {
            name: s("db"),
            head: Span::default(),
            path: s(path),
            env: env
                .iter()
                .map(|(k, v)| EnvVar {
                    key: s(k),
                    value: s(v),
                })
                .collect(),
        }
    }

    #[test]
    fn renders_kv2_keys_as_quoted_env_lines() {
        let data = template_data(&secret(
            "kv/data/app/db",
            &[("DB_PASSWORD", "password"), ("DB_USER", "user-name")],
        ))
        .unwrap();
        let want = concat!(
            "{{ with secret \"kv/data/app/db\" }}\n",
            r#"DB_PASSWORD="{{ .Data.data.password | replaceAll "\\" "\\\\" | replaceAll "\"" "\\\"" | replaceAll "\n" "\\n" | replaceAll "\t" "\\t" }}""#,
            "\n",
            r#"DB_USER="{{ index .Data.data "user-name" | replaceAll "\\" "\\\\" | replaceAll "\"" "\\\"" | replaceAll "\n" "\\n" | replaceAll "\t" "\\t" }}""#,
            "\n{{ end }}\n",
        );
        assert_eq!(data, want);
    }

    #[test]
    fn kv1_paths_read_data_directly() {
        let data = template_data(&secret("secret/app", &[("A", "a")])).unwrap();
        assert!(data.contains("{{ .Data.a |"), "{data}");
        assert!(is_kv2("kv/data/x"));
        assert!(!is_kv2("kv/x/data"));
    }

    #[test]
    fn refuses_template_syntax_in_paths_and_keys() {
        for path in [
            "kv/data/x\" }}{{ .Data }}",
            "kv/data/{{x}}",
            "kv/data/a b",
            "kv/data/*",
            "kv/data/+/x",
            "kv//data",
            "/kv/data/x",
            "kv/data/../sys",
            "",
        ] {
            assert!(
                template_data(&secret(path, &[("A", "a")])).is_err(),
                "{path:?}"
            );
        }
        for key in ["a\"b", "}}", "a b", "", "é"] {
            assert!(
                template_data(&secret("kv/data/x", &[("A", key)])).is_err(),
                "{key:?}"
            );
        }
        assert!(template_data(&secret("kv/data/x", &[("1A", "a")])).is_err());
        assert!(template_data(&secret("kv/data/x", &[("A", "a.b/c-d_e")])).is_ok());
    }
}
