//! The HTTP APIs of Nomad and Consul, found and authenticated as the
//! `HashiCorp` CLIs find them: an address (`NOMAD_ADDR`, `CONSUL_HTTP_ADDR`, or
//! `--nomad`/`--consul`), a token (`NOMAD_TOKEN`; `CONSUL_HTTP_TOKEN` or
//! `CONSUL_HTTP_TOKEN_FILE`), a CA file (`NOMAD_CACERT`, `CONSUL_CACERT`), a
//! client certificate and key (`NOMAD_CLIENT_CERT`/`_KEY`,
//! `CONSUL_CLIENT_CERT`/`_KEY`), and skipping verification
//! (`NOMAD_SKIP_VERIFY=true`, `CONSUL_HTTP_SSL_VERIFY=false`). Consul's address
//! may lack a scheme (`127.0.0.1:8500`): `https` when `CONSUL_HTTP_SSL=true`.
//!
//! Every call has a connect timeout of 5 s and a total of 30 s. The token
//! travels only in its header (`X-Nomad-Token`, `X-Consul-Token`) and is never
//! part of a message: [`ApiError`] texts carry the address, the path and the
//! API's answer with the token masked.

use std::time::Duration;

use serde_json::Value;
use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig};

/// Which API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    Nomad,
    Consul,
}

impl Product {
    pub fn name(self) -> &'static str {
        match self {
            Self::Nomad => "Nomad",
            Self::Consul => "Consul",
        }
    }

    fn token_header(self) -> &'static str {
        match self {
            Self::Nomad => "X-Nomad-Token",
            Self::Consul => "X-Consul-Token",
        }
    }
}

/// A call that did not get an answer to use: the run stops with exit 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError(pub String);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The settings of one API, read from the environment and the flags.
#[derive(Clone, Default)]
pub struct Settings {
    pub address: String,
    token: Option<String>,
    ca_file: Option<String>,
    client_cert: Option<(String, String)>,
    skip_verify: bool,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("address", &self.address)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("ca_file", &self.ca_file)
            .finish_non_exhaustive()
    }
}

/// Reads a variable; an empty value counts as unset, as in the `HashiCorp` CLIs.
fn var(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    env(name).filter(|v| !v.trim().is_empty())
}

/// The flag, else the variable, else the CLIs' default.
fn address(
    flag: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    name: &str,
    default: &str,
) -> String {
    flag.map(str::to_string)
        .or_else(|| var(env, name))
        .unwrap_or_else(|| default.to_string())
}

fn truthy(value: Option<String>) -> Option<bool> {
    value.map(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "t" | "yes"
        )
    })
}

impl Settings {
    /// Nomad's settings: `flag` over `NOMAD_ADDR` over `http://127.0.0.1:4646`.
    pub fn nomad(
        flag: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ApiError> {
        let address = address(flag, env, "NOMAD_ADDR", "http://127.0.0.1:4646");
        Ok(Self {
            address: normalize(Product::Nomad, &address, false)?,
            token: var(env, "NOMAD_TOKEN"),
            ca_file: var(env, "NOMAD_CACERT"),
            client_cert: var(env, "NOMAD_CLIENT_CERT").zip(var(env, "NOMAD_CLIENT_KEY")),
            skip_verify: truthy(var(env, "NOMAD_SKIP_VERIFY")).unwrap_or(false),
        })
    }

    /// Consul's settings: `flag` over `CONSUL_HTTP_ADDR` over `127.0.0.1:8500`.
    pub fn consul(
        flag: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ApiError> {
        let address = address(flag, env, "CONSUL_HTTP_ADDR", "127.0.0.1:8500");
        let ssl = truthy(var(env, "CONSUL_HTTP_SSL")).unwrap_or(false);
        let token = match var(env, "CONSUL_HTTP_TOKEN") {
            Some(token) => Some(token),
            None => match var(env, "CONSUL_HTTP_TOKEN_FILE") {
                Some(path) => Some(
                    std::fs::read_to_string(&path)
                        .map_err(|e| {
                            ApiError(format!("cannot read CONSUL_HTTP_TOKEN_FILE {path}: {e}"))
                        })?
                        .trim()
                        .to_string(),
                ),
                None => None,
            },
        };
        Ok(Self {
            address: normalize(Product::Consul, &address, ssl)?,
            token,
            ca_file: var(env, "CONSUL_CACERT"),
            client_cert: var(env, "CONSUL_CLIENT_CERT").zip(var(env, "CONSUL_CLIENT_KEY")),
            skip_verify: !truthy(var(env, "CONSUL_HTTP_SSL_VERIFY")).unwrap_or(true),
        })
    }
}

/// `host:port` → `http(s)://host:port`, without a trailing `/`.
fn normalize(product: Product, address: &str, ssl: bool) -> Result<String, ApiError> {
    let address = address.trim().trim_end_matches('/');
    if address.starts_with("unix://") {
        return Err(ApiError(format!(
            "{} address {address}: unix sockets are not supported; give an http(s) address",
            product.name()
        )));
    }
    if address.starts_with("http://") || address.starts_with("https://") {
        return Ok(address.to_string());
    }
    if address.contains("://") {
        return Err(ApiError(format!(
            "{} address {address}: the scheme must be http or https",
            product.name()
        )));
    }
    Ok(format!(
        "{}://{address}",
        if ssl { "https" } else { "http" }
    ))
}

/// A client of one API.
#[derive(Clone)]
pub struct Api {
    pub product: Product,
    settings: Settings,
    agent: ureq::Agent,
}

/// Answers larger than this are refused (a job list of 100,000 jobs is ~60 MB).
const MAX_ANSWER: u64 = 512 << 20;

impl Api {
    pub fn new(product: Product, settings: Settings) -> Result<Self, ApiError> {
        let tls = tls_config(product, &settings)?;
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_global(Some(Duration::from_secs(30)))
            .tls_config(tls)
            .user_agent(concat!("eosc/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Ok(Self {
            product,
            settings,
            agent,
        })
    }

    pub fn address(&self) -> &str {
        &self.settings.address
    }

    /// `GET /v1/<path>`: `None` on 404.
    pub fn get(&self, path: &str) -> Result<Option<Value>, ApiError> {
        let url = self.url(path);
        let mut request = self.agent.get(&url);
        if let Some(token) = &self.settings.token {
            request = request.header(self.product.token_header(), token);
        }
        self.answer(path, request.call())
    }

    /// `PUT /v1/<path>` with a JSON body.
    pub fn put(&self, path: &str, body: &Value) -> Result<Option<Value>, ApiError> {
        let url = self.url(path);
        let mut request = self
            .agent
            .put(&url)
            .header("Content-Type", "application/json");
        if let Some(token) = &self.settings.token {
            request = request.header(self.product.token_header(), token);
        }
        self.answer(path, request.send(body.to_string()))
    }

    fn url(&self, path: &str) -> String {
        [self.settings.address.as_str(), "/v1/", path].concat()
    }

    fn answer(
        &self,
        path: &str,
        result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Option<Value>, ApiError> {
        let name = self.product.name();
        let address = &self.settings.address;
        let mut response = result
            .map_err(|e| ApiError(self.mask(&format!("cannot reach {name} at {address}: {e}"))))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_string()
            .map_err(|e| ApiError(self.mask(&format!("{name} at {address}: /v1/{path}: {e}"))))?;
        match status {
            200..=299 => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| ApiError(format!("{name} at {address}: /v1/{path}: not JSON: {e}"))),
            404 => Ok(None),
            401 | 403 => Err(ApiError(self.mask(&format!(
                "{name} at {address} refused the request ({status} {}): {}",
                first_line(&text),
                if self.settings.token.is_some() {
                    "check the token's policy"
                } else {
                    "set a token"
                }
            )))),
            _ => Err(ApiError(self.mask(&format!(
                "{name} at {address}: /v1/{path} answered {status}: {}",
                first_line(&text)
            )))),
        }
    }

    /// `text` with the token replaced: an API may echo what it was sent.
    fn mask(&self, text: &str) -> String {
        match &self.settings.token {
            Some(token) if !token.is_empty() => text.replace(token.as_str(), "<token>"),
            _ => text.to_string(),
        }
    }
}

/// The first line of an answer, at most 200 characters, controls escaped.
pub(crate) fn first_line(text: &str) -> String {
    let line = text.trim().lines().next().unwrap_or("");
    let short: String = line.chars().take(200).collect();
    crate::diag::render::printable(&short).into_owned()
}

fn tls_config(product: Product, settings: &Settings) -> Result<TlsConfig, ApiError> {
    let name = product.name();
    let read = |what: &str, path: &str| {
        std::fs::read(path).map_err(|e| ApiError(format!("{name} {what} {path}: {e}")))
    };
    let mut tls = TlsConfig::builder().disable_verification(settings.skip_verify);
    if let Some(path) = &settings.ca_file {
        let pem = read("CA file", path)?;
        let certs =
            certificates(&pem).map_err(|e| ApiError(format!("{name} CA file {path}: {e}")))?;
        tls = tls.root_certs(RootCerts::new_with_certs(&certs));
    }
    if let Some((cert, key)) = &settings.client_cert {
        let chain = certificates(&read("client certificate", cert)?)
            .map_err(|e| ApiError(format!("{name} client certificate {cert}: {e}")))?;
        let key = PrivateKey::from_pem(&read("client key", key)?)
            .map_err(|e| ApiError(format!("{name} client key {key}: {e}")))?;
        tls = tls.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
    }
    Ok(tls.build())
}

fn certificates(pem: &[u8]) -> Result<Vec<Certificate<'static>>, String> {
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(pem) {
        if let ureq::tls::PemItem::Certificate(cert) = item.map_err(|e| e.to_string())? {
            certs.push(cert);
        }
    }
    if certs.is_empty() {
        return Err("no PEM certificate in it".to_string());
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_string())
        }
    }

    #[test]
    fn addresses_are_read_as_the_hashicorp_clis_read_them() {
        let none = env(&[]);
        assert_eq!(
            Settings::nomad(None, &none).unwrap().address,
            "http://127.0.0.1:4646"
        );
        assert_eq!(
            Settings::consul(None, &none).unwrap().address,
            "http://127.0.0.1:8500"
        );
        let set = env(&[
            ("NOMAD_ADDR", "https://nomad.lan:4646/"),
            ("CONSUL_HTTP_ADDR", "consul.lan:8501"),
            ("CONSUL_HTTP_SSL", "true"),
        ]);
        assert_eq!(
            Settings::nomad(None, &set).unwrap().address,
            "https://nomad.lan:4646"
        );
        assert_eq!(
            Settings::consul(None, &set).unwrap().address,
            "https://consul.lan:8501"
        );
        assert_eq!(
            Settings::nomad(Some("http://10.0.0.1:4646"), &set)
                .unwrap()
                .address,
            "http://10.0.0.1:4646"
        );
        assert!(Settings::nomad(Some("unix:///run/nomad.sock"), &none).is_err());
        assert!(Settings::nomad(Some("ftp://x"), &none).is_err());
    }

    #[test]
    fn the_token_is_never_in_a_debug_or_error_text() {
        let set = env(&[("NOMAD_TOKEN", "s3cr3t-token-value")]);
        let settings = Settings::nomad(Some("http://127.0.0.1:9"), &set).unwrap();
        assert!(!format!("{settings:?}").contains("s3cr3t"));
        let api = Api::new(Product::Nomad, settings).unwrap();
        assert_eq!(
            api.mask("echo s3cr3t-token-value back"),
            "echo <token> back"
        );
    }
}
