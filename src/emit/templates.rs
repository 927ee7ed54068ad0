//! The minijinja templates of the line-based configs (Caddyfile, nginx.conf):
//! embedded in the binary, overridable with `--templates DIR`. Every value a
//! template prints goes through a formatter that only lets through characters
//! that are inert in the target syntax — a value that is not is a build error,
//! never an injection, whatever a (user-supplied) template does.

use std::collections::BTreeMap;

use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};
use serde::Serialize;

use super::EmitError;

/// Template names, which are also the file names looked for in `--templates`.
pub(super) const CADDYFILE: &str = "Caddyfile.j2";
pub(super) const NGINX_CONF: &str = "nginx.conf.j2";

#[derive(Debug, Clone)]
pub struct Templates {
    sources: BTreeMap<&'static str, String>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Templates {
    /// The templates shipped in `templates/`.
    pub fn builtin() -> Self {
        let mut sources = BTreeMap::new();
        sources.insert(
            CADDYFILE,
            include_str!("../../templates/Caddyfile.j2").to_string(),
        );
        sources.insert(
            NGINX_CONF,
            include_str!("../../templates/nginx.conf.j2").to_string(),
        );
        Self { sources }
    }

    /// The template names a `--templates` folder may override.
    pub fn names() -> [&'static str; 2] {
        [CADDYFILE, NGINX_CONF]
    }

    /// Replaces one template's source (the CLI reads the folder).
    pub fn set(&mut self, name: &str, source: String) -> bool {
        match Self::names().into_iter().find(|n| *n == name) {
            Some(known) => {
                self.sources.insert(known, source);
                true
            }
            None => false,
        }
    }

    pub(crate) fn render(
        &self,
        name: &'static str,
        artifact: &str,
        context: impl Serialize,
    ) -> Result<String, EmitError> {
        let fail = |error: Error| EmitError {
            artifact: artifact.to_string(),
            message: format!("template {name}: {error:#}"),
        };
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        let inert: fn(char) -> bool = if name == CADDYFILE {
            caddy_inert
        } else {
            nginx_inert
        };
        env.set_formatter(move |out, _state, value| write_inert(out, value, inert));
        env.add_template(name, &self.sources[name]).map_err(fail)?;
        env.get_template(name)
            .and_then(|t| t.render(context))
            .map_err(fail)
    }
}

/// Writes a value only if every character is inert in the target syntax, or
/// if it is a whole token the emitter quoted itself ([`caddy_token`]).
fn write_inert(
    out: &mut minijinja::Output<'_>,
    value: &Value,
    inert: fn(char) -> bool,
) -> Result<(), Error> {
    let text = value.to_string();
    if value.is_safe() {
        return out.write_str(&text).map_err(Error::from);
    }
    if let Some(bad) = text.chars().find(|c| !inert(*c)) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("refusing to write {text:?}: {bad:?} is syntax in this file, not data"),
        ));
    }
    out.write_str(&text).map_err(Error::from)
}

/// Characters that carry no meaning in a Caddyfile token: no whitespace,
/// quotes, braces (placeholders, `{$ENV}`), `#` or `;`.
fn caddy_inert(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._:/-@*[]+=~%,_".contains(c)
}

/// A whole Caddyfile token for `text`: as it is when every character is
/// inert, else in double quotes, where whitespace, `#`, `;`, `'`, `(` and a
/// leading backtick or `@` are plain characters. Braces, `"`, `\` and
/// control characters cannot be written this way (Caddy expands `{$ENV}` and
/// placeholders inside quotes too): such text stays unmarked, and the
/// template refuses it.
pub(super) fn caddy_token(text: &str) -> Value {
    let quotable = |c: char| !(c.is_control() || "{}\"\\".contains(c));
    if !text.is_empty() && text.chars().all(caddy_inert) {
        Value::from(text)
    } else if !text.is_empty() && text.chars().all(quotable) {
        Value::from_safe_string(format!("\"{text}\""))
    } else {
        Value::from(text)
    }
}

/// Characters that carry no meaning in an nginx token: no whitespace, quotes,
/// `;`, braces, `$` (variables) or `#`.
fn nginx_inert(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._:/-[]=_".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_values_are_checked_against_the_target_syntax() {
        let mut templates = Templates::builtin();
        assert!(templates.set(CADDYFILE, "site {{ host }} {\n}\n".into()));
        let ok = templates.render(
            CADDYFILE,
            "caddy/Caddyfile",
            minijinja::context! { host => "a.example.com" },
        );
        assert_eq!(ok.unwrap(), "site a.example.com {\n}\n");
        for hostile in ["a.com {\n", "{$HOME}", "a b", "x\"y", "a#b"] {
            let err = templates.render(
                CADDYFILE,
                "caddy/Caddyfile",
                minijinja::context! { host => hostile },
            );
            assert!(err.is_err(), "{hostile:?} got through");
        }
    }

    #[test]
    fn caddy_tokens_are_quoted_whole_or_refused() {
        let mut templates = Templates::builtin();
        assert!(templates.set(CADDYFILE, "email {{ email }}\n".into()));
        let render = |text: &str| {
            templates.render(
                CADDYFILE,
                "caddy/Caddyfile",
                minijinja::context! { email => caddy_token(text) },
            )
        };
        assert_eq!(
            render("ops@example.com").unwrap(),
            "email ops@example.com\n"
        );
        assert_eq!(
            render("o'brien#1@example.com").unwrap(),
            "email \"o'brien#1@example.com\"\n"
        );
        assert_eq!(render("`a`").unwrap(), "email \"`a`\"\n");
        for refused in ["{$HOME}@x.com", "a\"b", "a\\b", "a\nb"] {
            assert!(render(refused).is_err(), "{refused:?} got through");
        }
    }

    #[test]
    fn unknown_variables_are_errors() {
        let mut templates = Templates::builtin();
        templates.set(NGINX_CONF, "{{ nope }}".into());
        assert!(templates
            .render(NGINX_CONF, "nginx/nginx.conf", minijinja::context! {})
            .is_err());
        assert!(!templates.set("other.j2", String::new()));
    }
}
