//! Configuration: environment variables only (figment), typed and validated at start-up.
//! Every error names the variable and what is wrong. Secrets are `SecretString` from the
//! moment they are read; `Debug` and `config check` print them masked.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use figment::Figment;
use figment::providers::Env;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sp_blob::StorageLocation;

/// Every variable the service reads. Anything else in the environment is ignored.
pub const VARIABLES: &[(&str, &str)] = &[
    ("APP_ENV", "dev | staging | prod (default dev)"),
    ("BIND_ADDR", "IP address to listen on (default 127.0.0.1; 0.0.0.0 in containers)"),
    ("PORT", "TCP port (default 8080; 0 picks a free one)"),
    (
        "DATABASE_URL",
        "postgres://user:pass@host/db or sqlite://path?mode=rwc (default sqlite://./var/student-palace.db?mode=rwc)",
    ),
    ("DATABASE_MAX_CONNECTIONS", "pool size (default 10)"),
    (
        "DATABASE_READ_URL",
        "postgres://... optional read replica for searches, listing pages, /cities and /stats (unset: all on DATABASE_URL)",
    ),
    (
        "DATABASE_READ_TIMEOUT_MS",
        "a replica read taking longer is redone on the primary and the replica skipped for 5 s (default 1000)",
    ),
    (
        "READ_YOUR_WRITES_SECONDS",
        "after a client's own write, its reads go to the primary this long (default 5; with DATABASE_READ_URL)",
    ),
    (
        "STORAGE_URL",
        "s3://bucket[/prefix], gs://bucket[/prefix], file:///abs/path, memory:// (default file://<cwd>/var/media)",
    ),
    ("MEDIA_BASE_URL", "absolute URL media is served from, e.g. the CDN (default http://<bind>:<port>/media)"),
    ("REDIS_URL", "redis://... optional cache and shared rate-limit counters; without it in-process ones are used"),
    (
        "REDIS_TIMEOUT_MS",
        "the longest any Redis call may take, connecting included; then Redis counts as down for 1 s (default 50)",
    ),
    (
        "SESSION_STORE",
        "cookie (the session in an encrypted cookie) | redis (server-side in REDIS_URL, shared by every instance); default cookie",
    ),
    ("SECRET_KEY", "at least 32 bytes; signs and encrypts sessions (required in staging/prod)"),
    (
        "METRICS_PORT",
        "serve /metrics (Prometheus text) on a listener of its own on this port, not exposed publicly (0 picks a free one)",
    ),
    (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "http://collector:4317: export traces over OTLP/gRPC (to a collector in front of Cloud Trace or X-Ray); unset: no traces",
    ),
    (
        "OTEL_TRACES_SAMPLER_ARG",
        "the share of new traces sampled, 0..1 (default 0.1); a request with a sampled traceparent is always traced",
    ),
    ("GCP_PROJECT", "the Google Cloud project id: log lines name their trace as projects/<id>/traces/<trace id>"),
    (
        "METRICS_TOKEN",
        "at least 24 characters: serve /metrics on the main port to `Authorization: Bearer <token>` only",
    ),
    ("LOG_FORMAT", "json | pretty (default json)"),
    ("RUST_LOG", "log filter (default info,sqlx=warn)"),
    (
        "LOG_REDACT",
        "false shows e-mail and IP addresses in the logs, for local debugging (default true; refused in staging/prod)",
    ),
    ("SHUTDOWN_GRACE_SECONDS", "time in-flight requests get after SIGTERM (default 10)"),
    ("REQUEST_TIMEOUT_SECONDS", "a request running longer gets 503 (default 30)"),
    ("DATABASE_ACQUIRE_TIMEOUT_MS", "wait for a pooled connection before 503 overloaded (default 2000)"),
    (
        "PASSWORD_HASH_CONCURRENCY",
        "concurrent argon2id hashes, 19 MiB each; more wait 1 s then 503 (default 2 x cores)",
    ),
    ("HEADER_READ_TIMEOUT_SECONDS", "a client must send its request headers within this (default 10)"),
    ("MAX_CONNECTIONS", "open client connections per instance; more wait in the listen backlog (default 1024)"),
    ("AUTO_MIGRATE", "apply migrations at serve start-up (default true in dev, false elsewhere)"),
    (
        "ALLOW_DEMO_SEED",
        "true lets `seed --demo` load demo data outside dev (a load-test database; never the demo admin)",
    ),
    (
        "PUBLIC_CACHE_TTL_SECONDS",
        "how long anonymous first search pages, listing pages, /cities and /stats are reused from the cache; a change to what they show is seen at once (default 30; 0 = off)",
    ),
    (
        "PUBLIC_COUNTS_TTL_SECONDS",
        "how long /cities and /stats counts are cached before one request recomputes them (default 15; 0 = live)",
    ),
    (
        "PUBLIC_BASE_URL",
        "the site's public URL, for links in e-mails (default http://<bind>:<port>; https required in staging/prod)",
    ),
    (
        "SMTP_URL",
        "smtps://user:pass@host:465 or smtp://user:pass@host:587?tls=required (required in staging/prod; unset in dev: .eml files)",
    ),
    ("MAIL_FROM", "the sender of every e-mail (default Student Palace <no-reply@student-palace.co.uk>)"),
    ("MAIL_OUTBOX_DIR", "where dev writes e-mails as .eml files when SMTP_URL is unset (default ./var/outbox)"),
    (
        "EMBEDDED_WORKER",
        "serve also runs the job worker (default true in dev, false elsewhere: run `student-palace worker`)",
    ),
    ("WORKER_CONCURRENCY", "jobs one worker process runs at once (default 4)"),
    ("JOB_LEASE_SECONDS", "a claimed job returns to the queue if its worker goes silent this long (default 60)"),
    ("MAX_UPLOAD_BYTES", "the largest photo accepted, in bytes (default 15728640 = 15 MiB)"),
    ("AWS_ENDPOINT_URL", "S3-compatible endpoint for s3:// storage (unset: AWS itself)"),
    ("AWS_REGION", "S3 region (unset: the SDK's default chain)"),
    ("AWS_ACCESS_KEY_ID", "S3 access key (unset: the task role / instance profile)"),
    ("AWS_SECRET_ACCESS_KEY", "S3 secret key (secret; unset: the task role / instance profile)"),
    ("AWS_ALLOW_HTTP", "true allows a plain-HTTP S3 endpoint (local fakes only; refused in staging/prod)"),
    (
        "TRUSTED_PROXIES",
        "addresses/CIDR ranges of the proxies in front (load balancer, CDN) whose X-Forwarded-For names the client (default none: the TCP peer is the client)",
    ),
    (
        "RATE_LIMITS",
        "rate-limit overrides, name=count/seconds comma-separated (limits: global, login-ip, login-account, register-ip, enquiry-user, enquiry-listing, upload-user); docs/operations.md has the defaults",
    ),
    (
        "GOOGLE_SERVICE_ACCOUNT_KEY",
        "GCS service-account key JSON for gs:// storage (secret; unset: the workload identity or GOOGLE_APPLICATION_CREDENTIALS)",
    ),
    (
        "GCS_ALLOW_HTTP",
        "true allows a plain-HTTP GCS endpoint (the key's gcs_base_url; local fakes only; refused in staging/prod)",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AppEnv {
    Dev,
    Staging,
    Prod,
}

impl AppEnv {
    pub fn as_str(self) -> &'static str {
        match self {
            AppEnv::Dev => "dev",
            AppEnv::Staging => "staging",
            AppEnv::Prod => "prod",
        }
    }

    /// Staging mirrors prod: the same safety rules apply.
    pub fn is_strict(self) -> bool {
        !matches!(self, AppEnv::Dev)
    }
}

/// Where sessions live (`SESSION_STORE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SessionStoreKind {
    /// In the encrypted session cookie (stateless; ended by the session epoch).
    #[default]
    Cookie,
    /// In Redis (`REDIS_URL`), the cookie holding only a random id.
    Redis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

/// The variables as read, before cross-field validation.
#[derive(Deserialize)]
struct Raw {
    app_env: Option<AppEnv>,
    bind_addr: Option<IpAddr>,
    port: Option<u16>,
    database_url: Option<SecretString>,
    database_max_connections: Option<u32>,
    database_read_url: Option<SecretString>,
    database_read_timeout_ms: Option<u64>,
    read_your_writes_seconds: Option<u64>,
    storage_url: Option<String>,
    media_base_url: Option<String>,
    redis_url: Option<SecretString>,
    redis_timeout_ms: Option<u64>,
    session_store: Option<SessionStoreKind>,
    secret_key: Option<SecretString>,
    log_format: Option<LogFormat>,
    rust_log: Option<String>,
    log_redact: Option<bool>,
    shutdown_grace_seconds: Option<u64>,
    request_timeout_seconds: Option<u64>,
    database_acquire_timeout_ms: Option<u64>,
    password_hash_concurrency: Option<usize>,
    header_read_timeout_seconds: Option<u64>,
    max_connections: Option<usize>,
    metrics_port: Option<u16>,
    metrics_token: Option<SecretString>,
    otel_exporter_otlp_endpoint: Option<String>,
    otel_traces_sampler_arg: Option<f64>,
    gcp_project: Option<String>,
    auto_migrate: Option<bool>,
    allow_demo_seed: Option<bool>,
    public_counts_ttl_seconds: Option<u64>,
    public_cache_ttl_seconds: Option<u64>,
    public_base_url: Option<String>,
    smtp_url: Option<SecretString>,
    mail_from: Option<String>,
    mail_outbox_dir: Option<PathBuf>,
    embedded_worker: Option<bool>,
    worker_concurrency: Option<usize>,
    job_lease_seconds: Option<u64>,
    max_upload_bytes: Option<usize>,
    aws_endpoint_url: Option<String>,
    aws_region: Option<String>,
    aws_access_key_id: Option<String>,
    aws_secret_access_key: Option<SecretString>,
    aws_allow_http: Option<bool>,
    google_service_account_key: Option<SecretString>,
    gcs_allow_http: Option<bool>,
    trusted_proxies: Option<String>,
    rate_limits: Option<String>,
}

/// The validated configuration.
#[derive(Clone)]
#[allow(clippy::struct_excessive_bools, reason = "one field per setting; each bool is its own variable")]
pub struct Config {
    pub env: AppEnv,
    pub bind_addr: IpAddr,
    pub port: u16,
    pub database_url: SecretString,
    pub database_max_connections: u32,
    /// A streaming replica for the public reads (`DATABASE_READ_URL`).
    pub database_read_url: Option<SecretString>,
    /// A replica read taking longer is redone on the primary (`DATABASE_READ_TIMEOUT_MS`).
    pub database_read_timeout: Duration,
    /// How long a client's reads go to the primary after its own write.
    pub read_your_writes: Duration,
    pub storage: StorageLocation,
    pub storage_url: String,
    pub media_base_url: String,
    pub redis_url: Option<SecretString>,
    /// Every Redis call is bounded by this (`REDIS_TIMEOUT_MS`).
    pub redis_timeout: Duration,
    /// Where sessions live (`SESSION_STORE`).
    pub session_store: SessionStoreKind,
    /// `/metrics` on a listener of its own (`METRICS_PORT`).
    pub metrics_port: Option<u16>,
    /// `/metrics` on the main listener behind this bearer token (`METRICS_TOKEN`).
    pub metrics_token: Option<SecretString>,
    /// Where traces go (`OTEL_EXPORTER_OTLP_ENDPOINT`); none without it.
    pub otlp_endpoint: Option<url::Url>,
    /// The share of new traces sampled (`OTEL_TRACES_SAMPLER_ARG`).
    pub trace_sample_ratio: f64,
    /// The Google Cloud project for the log lines' trace field (`GCP_PROJECT`).
    pub gcp_project: Option<String>,
    /// `None` only in dev, where a random per-process key is used.
    pub secret_key: Option<SecretString>,
    pub log_format: LogFormat,
    /// Mask e-mail and IP addresses in every log line (`LOG_REDACT`).
    pub log_redact: bool,
    pub log_filter: String,
    pub shutdown_grace: Duration,
    pub request_timeout: Duration,
    /// How long a request waits for a pooled database connection before 503 `overloaded`.
    pub database_acquire_timeout: Duration,
    /// Concurrent argon2id hashes (19 MiB each); more wait briefly, then 503.
    pub password_hash_concurrency: usize,
    /// A client must send a request's headers within this; slower ones are disconnected.
    pub header_read_timeout: Duration,
    /// Open client connections at most; more wait in the listen backlog.
    pub max_connections: usize,
    pub auto_migrate: bool,
    /// `seed --demo` outside dev (load-test databases); it never creates the demo admin there.
    pub allow_demo_seed: bool,
    /// `/cities` and `/stats` counts are at most this old.
    pub public_counts_ttl: Duration,
    /// Public responses are reused from the cache this long (versioned: changes show at once).
    pub public_cache_ttl: Duration,
    /// The site's public URL (links in e-mails), with a trailing slash.
    pub public_base_url: url::Url,
    /// SMTP server; `None` (dev only) writes `.eml` files to `mail_outbox_dir`.
    pub smtp_url: Option<SecretString>,
    pub mail_from: String,
    pub mail_outbox_dir: PathBuf,
    /// `serve` runs the worker loop too.
    pub embedded_worker: bool,
    pub worker_concurrency: usize,
    pub job_lease: Duration,
    pub max_upload_bytes: usize,
    /// S3 settings read with the other variables (the SDK's own environment names).
    pub s3: S3Settings,
    pub gcs: GcsSettings,
    pub trusted_proxies: sp_http::client_ip::TrustedProxies,
    pub rate_limits: application::rate_limit::Limits,
    /// `MEDIA_BASE_URL` / `PUBLIC_BASE_URL` were left to their defaults (built from the
    /// bind address and port; `for_port` fixes them once `PORT=0` has been bound).
    media_base_defaulted: bool,
    public_base_defaulted: bool,
}

/// S3 settings beyond `STORAGE_URL` (all optional; production uses the task role).
#[derive(Clone, Default)]
pub struct S3Settings {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<SecretString>,
    pub allow_http: bool,
}

/// GCS settings beyond `STORAGE_URL` (optional; Cloud Run uses the workload identity).
#[derive(Clone, Default)]
pub struct GcsSettings {
    /// A service-account key: requests are authorised and URLs signed with it.
    pub service_account_key: Option<SecretString>,
    pub allow_http: bool,
}

/// A configuration problem, naming the variable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("configuration error: {var}: {message}")]
pub struct ConfigError {
    pub var: String,
    pub message: String,
}

fn err(var: &str, message: impl Into<String>) -> ConfigError {
    ConfigError { var: var.to_owned(), message: message.into() }
}

pub const MIN_SECRET_KEY_BYTES: usize = 32;
const DEFAULT_SQLITE: &str = "sqlite://./var/student-palace.db?mode=rwc";

impl Config {
    /// The environment as figment sees it (only the known variables).
    pub fn env_figment() -> Figment {
        let names: Vec<&str> = VARIABLES.iter().map(|(n, _)| *n).collect();
        Figment::from(Env::raw().only(&names))
    }

    /// Reads and validates the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_figment(&Self::env_figment())
    }

    /// Reads variables given as `(NAME, value)` pairs, parsed exactly like the
    /// environment (tests, tools).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, ConfigError> {
        let map: std::collections::BTreeMap<String, figment::value::Value> = pairs
            .into_iter()
            .map(|(k, v)| (k.to_lowercase(), v.parse().unwrap_or_else(|_| figment::value::Value::from(v.to_owned()))))
            .collect();
        Self::from_figment(&Figment::from(figment::providers::Serialized::defaults(map)))
    }

    /// Reads and validates any figment (tests merge `(key, value)` pairs, lowercase keys).
    pub fn from_figment(figment: &Figment) -> Result<Self, ConfigError> {
        let raw: Raw = figment.extract().map_err(|e| {
            let first = e.into_iter().next().expect("figment errors are never empty");
            let var = first.path.join("_").to_uppercase();
            let var = if var.is_empty() { "environment".to_owned() } else { var };
            let message = match &first.kind {
                figment::error::Kind::InvalidType(actual, expected) => {
                    // Never echo values of secret variables.
                    if [
                        "DATABASE_URL",
                        "REDIS_URL",
                        "SECRET_KEY",
                        "SMTP_URL",
                        "AWS_SECRET_ACCESS_KEY",
                        "GOOGLE_SERVICE_ACCOUNT_KEY",
                    ]
                    .contains(&var.as_str())
                    {
                        format!("expected {expected}")
                    } else {
                        format!("expected {expected}, got {actual}")
                    }
                }
                other => other.to_string(),
            };
            err(&var, message)
        })?;
        Self::validate(raw)
    }

    #[allow(clippy::too_many_lines)]
    fn validate(raw: Raw) -> Result<Self, ConfigError> {
        let env = raw.app_env.unwrap_or(AppEnv::Dev);
        let bind_addr = raw.bind_addr.unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let port = raw.port.unwrap_or(8080);

        let database_url = raw.database_url.unwrap_or_else(|| SecretString::from(DEFAULT_SQLITE));
        let db = database_url.expose_secret();
        let parsed = url::Url::parse(db).map_err(|e| err("DATABASE_URL", format!("is not a URL ({e})")))?;
        match parsed.scheme() {
            "postgres" | "postgresql" => {}
            "sqlite" => {
                if env.is_strict() {
                    return Err(err(
                        "DATABASE_URL",
                        format!("SQLite is for development only; APP_ENV={} needs postgres://", env.as_str()),
                    ));
                }
            }
            other => {
                return Err(err(
                    "DATABASE_URL",
                    format!("scheme {other:?} is not supported (use postgres:// or sqlite://)"),
                ));
            }
        }
        let log_redact = raw.log_redact.unwrap_or(true);
        if !log_redact && env.is_strict() {
            return Err(err(
                "LOG_REDACT",
                format!("unredacted logs are for local debugging only; APP_ENV={} always redacts", env.as_str()),
            ));
        }
        let database_max_connections = raw.database_max_connections.unwrap_or(10);
        if database_max_connections == 0 {
            return Err(err("DATABASE_MAX_CONNECTIONS", "must be at least 1"));
        }
        if let Some(r) = &raw.database_read_url {
            let scheme = url::Url::parse(r.expose_secret()).map(|u| u.scheme().to_owned()).unwrap_or_default();
            if scheme != "postgres" && scheme != "postgresql" {
                return Err(err("DATABASE_READ_URL", "must be a postgres:// URL"));
            }
            if parsed.scheme() == "sqlite" {
                return Err(err("DATABASE_READ_URL", "needs DATABASE_URL on PostgreSQL (a replica of it)"));
            }
        }
        let database_read_timeout_ms = raw.database_read_timeout_ms.unwrap_or(1000);
        let request_millis = raw.request_timeout_seconds.unwrap_or(30).saturating_mul(1000);
        if !(1..=10_000).contains(&database_read_timeout_ms)
            || (raw.database_read_url.is_some() && database_read_timeout_ms >= request_millis)
        {
            return Err(err(
                "DATABASE_READ_TIMEOUT_MS",
                "must be between 1 and 10000, and below REQUEST_TIMEOUT_SECONDS (a replica read must be able to fall back)",
            ));
        }
        let read_your_writes_s = raw.read_your_writes_seconds.unwrap_or(5);
        if read_your_writes_s > 3600 {
            return Err(err("READ_YOUR_WRITES_SECONDS", "must be at most 3600"));
        }

        let storage_url = if let Some(s) = raw.storage_url {
            s
        } else {
            let cwd = std::env::current_dir()
                .map_err(|e| err("STORAGE_URL", format!("no default: cannot read the working directory ({e})")))?;
            let root: PathBuf = cwd.join("var").join("media");
            url::Url::from_directory_path(&root)
                .map_err(|()| err("STORAGE_URL", "no default: the working directory is not absolute"))?
                .to_string()
        };
        let storage = StorageLocation::parse(&storage_url).map_err(|e| err("STORAGE_URL", e.to_string()))?;
        if env.is_strict() && !storage.is_durable_shared() {
            return Err(err(
                "STORAGE_URL",
                format!("APP_ENV={} needs s3:// or gs:// (container disk is not persistent)", env.as_str()),
            ));
        }

        let media_base_defaulted = raw.media_base_url.is_none();
        let public_base_defaulted = raw.public_base_url.is_none();
        let media_base_url = match raw.media_base_url {
            Some(u) => {
                let parsed =
                    url::Url::parse(&u).map_err(|e| err("MEDIA_BASE_URL", format!("is not an absolute URL ({e})")))?;
                match parsed.scheme() {
                    "https" => {}
                    "http" if !env.is_strict() => {}
                    _ => {
                        return Err(err("MEDIA_BASE_URL", "must be an https:// URL (http:// is allowed in dev)"));
                    }
                }
                u.trim_end_matches('/').to_owned()
            }
            None if env.is_strict() && storage.is_durable_shared() => {
                return Err(err(
                    "MEDIA_BASE_URL",
                    format!("is required when APP_ENV={} (the CDN domain)", env.as_str()),
                ));
            }
            None => format!("http://{}/media", std::net::SocketAddr::new(bind_addr, port)),
        };

        if let Some(r) = &raw.redis_url {
            let scheme = url::Url::parse(r.expose_secret()).map(|u| u.scheme().to_owned()).unwrap_or_default();
            if scheme != "redis" && scheme != "rediss" {
                return Err(err("REDIS_URL", "must be a redis:// or rediss:// URL"));
            }
        }

        if raw.metrics_token.as_ref().is_some_and(|t| t.expose_secret().len() < 24) {
            return Err(err(
                "METRICS_TOKEN",
                "must be at least 24 characters (generate one with `openssl rand -hex 24`)",
            ));
        }
        let otlp_endpoint = match &raw.otel_exporter_otlp_endpoint {
            Some(e) => {
                let u = url::Url::parse(e)
                    .map_err(|e| err("OTEL_EXPORTER_OTLP_ENDPOINT", format!("is not a URL ({e})")))?;
                if !matches!(u.scheme(), "http" | "https") {
                    return Err(err("OTEL_EXPORTER_OTLP_ENDPOINT", "must be an http:// or https:// URL"));
                }
                Some(u)
            }
            None => None,
        };
        let trace_sample_ratio = raw.otel_traces_sampler_arg.unwrap_or(0.1);
        if !(0.0..=1.0).contains(&trace_sample_ratio) {
            return Err(err("OTEL_TRACES_SAMPLER_ARG", "must be between 0 and 1"));
        }
        if raw.gcp_project.as_deref().is_some_and(|p| {
            p.is_empty() || !p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        }) {
            return Err(err("GCP_PROJECT", "must be a project id (lowercase letters, digits and dashes)"));
        }
        if raw.metrics_port.is_some_and(|p| p != 0 && p == port) {
            return Err(err("METRICS_PORT", "must differ from PORT (the metrics listener is not the public one)"));
        }

        let session_store = raw.session_store.unwrap_or_default();
        if session_store == SessionStoreKind::Redis && raw.redis_url.is_none() {
            return Err(err("SESSION_STORE", "redis needs REDIS_URL"));
        }

        match &raw.secret_key {
            Some(k) if k.expose_secret().len() < MIN_SECRET_KEY_BYTES => {
                return Err(err(
                    "SECRET_KEY",
                    format!(
                        "must be at least {MIN_SECRET_KEY_BYTES} bytes (generate one with `openssl rand -base64 48`)"
                    ),
                ));
            }
            None if env.is_strict() => {
                return Err(err("SECRET_KEY", format!("is required when APP_ENV={}", env.as_str())));
            }
            _ => {}
        }

        let shutdown_grace = Duration::from_secs(raw.shutdown_grace_seconds.unwrap_or(10));
        let request_timeout_s = raw.request_timeout_seconds.unwrap_or(30);
        if request_timeout_s == 0 {
            return Err(err("REQUEST_TIMEOUT_SECONDS", "must be at least 1"));
        }

        let database_acquire_timeout_ms = raw.database_acquire_timeout_ms.unwrap_or(2000);
        if database_acquire_timeout_ms == 0 {
            return Err(err("DATABASE_ACQUIRE_TIMEOUT_MS", "must be at least 1"));
        }
        let password_hash_concurrency = raw.password_hash_concurrency.unwrap_or_else(sp_crypto::default_concurrency);
        if password_hash_concurrency == 0 {
            return Err(err("PASSWORD_HASH_CONCURRENCY", "must be at least 1"));
        }
        let header_read_timeout_s = raw.header_read_timeout_seconds.unwrap_or(10);
        if header_read_timeout_s == 0 {
            return Err(err("HEADER_READ_TIMEOUT_SECONDS", "must be at least 1"));
        }
        let max_connections = raw.max_connections.unwrap_or(1024);
        if max_connections == 0 {
            return Err(err("MAX_CONNECTIONS", "must be at least 1"));
        }

        let public_base_url = match raw.public_base_url {
            Some(u) => {
                let mut parsed =
                    url::Url::parse(&u).map_err(|e| err("PUBLIC_BASE_URL", format!("is not an absolute URL ({e})")))?;
                let allowed = match parsed.scheme() {
                    "https" => true,
                    "http" => !env.is_strict(),
                    _ => false,
                };
                if !allowed {
                    return Err(err("PUBLIC_BASE_URL", "must be an https:// URL (http:// is allowed in dev)"));
                }
                if !parsed.path().ends_with('/') {
                    parsed.set_path(&format!("{}/", parsed.path()));
                }
                parsed
            }
            None if env.is_strict() => {
                return Err(err(
                    "PUBLIC_BASE_URL",
                    format!("is required when APP_ENV={} (links in e-mails)", env.as_str()),
                ));
            }
            None => url::Url::parse(&format!("http://{}/", std::net::SocketAddr::new(bind_addr, port)))
                .map_err(|e| err("PUBLIC_BASE_URL", format!("no default ({e})")))?,
        };

        match &raw.smtp_url {
            Some(u) => {
                let parsed = url::Url::parse(u.expose_secret()).map_err(|_| err("SMTP_URL", "is not a URL"))?;
                // lettre reads the first `tls` pair; more than one is refused outright.
                let tls: Vec<String> =
                    parsed.query_pairs().filter(|(k, _)| k == "tls").map(|(_, v)| v.into_owned()).collect();
                if tls.len() > 1 {
                    return Err(err("SMTP_URL", "names tls= more than once"));
                }
                let tls_required = parsed.scheme() == "smtps"
                    || (parsed.scheme() == "smtp" && tls.first().is_some_and(|v| v == "required"));
                if !matches!(parsed.scheme(), "smtp" | "smtps") {
                    return Err(err("SMTP_URL", "must be an smtps:// or smtp:// URL"));
                }
                if env.is_strict() && !tls_required {
                    return Err(err(
                        "SMTP_URL",
                        "needs TLS outside dev: smtps://host:465, or smtp://host:587?tls=required (STARTTLS)",
                    ));
                }
            }
            None if env.is_strict() => {
                return Err(err(
                    "SMTP_URL",
                    format!("is required when APP_ENV={} (enquiry notifications)", env.as_str()),
                ));
            }
            None => {}
        }
        let mail_from = raw.mail_from.unwrap_or_else(|| "Student Palace <no-reply@student-palace.co.uk>".to_owned());
        if !sp_mail::is_mailbox(&mail_from) {
            return Err(err("MAIL_FROM", "must be a mailbox, e.g. Student Palace <no-reply@example.com>"));
        }
        let worker_concurrency = raw.worker_concurrency.unwrap_or(4);
        if worker_concurrency == 0 {
            return Err(err("WORKER_CONCURRENCY", "must be at least 1"));
        }
        let job_lease_s = raw.job_lease_seconds.unwrap_or(60);
        if job_lease_s < 5 {
            return Err(err("JOB_LEASE_SECONDS", "must be at least 5"));
        }

        let max_upload_bytes = raw.max_upload_bytes.unwrap_or(15 * 1024 * 1024);
        if !(1024..=100 * 1024 * 1024).contains(&max_upload_bytes) {
            return Err(err("MAX_UPLOAD_BYTES", "must be between 1024 and 104857600 (100 MiB)"));
        }

        let allow_http = raw.aws_allow_http.unwrap_or(false);
        if allow_http && env.is_strict() {
            return Err(err("AWS_ALLOW_HTTP", "plain-HTTP object storage is for local fakes only"));
        }
        let s3 = S3Settings {
            endpoint: raw.aws_endpoint_url,
            region: raw.aws_region,
            access_key_id: raw.aws_access_key_id,
            secret_access_key: raw.aws_secret_access_key,
            allow_http,
        };
        let redis_timeout_ms = raw.redis_timeout_ms.unwrap_or(50);
        if !(1..=10_000).contains(&redis_timeout_ms) {
            return Err(err("REDIS_TIMEOUT_MS", "must be between 1 and 10000"));
        }
        let redis_timeout = Duration::from_millis(redis_timeout_ms);
        let gcs_allow_http = raw.gcs_allow_http.unwrap_or(false);
        if gcs_allow_http && env.is_strict() {
            return Err(err("GCS_ALLOW_HTTP", "plain-HTTP object storage is for local fakes only"));
        }
        if let Some(key) = &raw.google_service_account_key
            && serde_json::from_str::<serde_json::Value>(key.expose_secret()).map_or(true, |v| !v.is_object())
        {
            return Err(err("GOOGLE_SERVICE_ACCOUNT_KEY", "must be a service-account key (a JSON object)"));
        }
        let gcs = GcsSettings { service_account_key: raw.google_service_account_key, allow_http: gcs_allow_http };
        let trusted_proxies = sp_http::client_ip::TrustedProxies::parse(raw.trusted_proxies.as_deref().unwrap_or(""))
            .map_err(|m| err("TRUSTED_PROXIES", m))?;
        let rate_limits = application::rate_limit::Limits::parse(raw.rate_limits.as_deref().unwrap_or(""))
            .map_err(|m| err("RATE_LIMITS", m))?;

        Ok(Self {
            env,
            bind_addr,
            port,
            database_url,
            metrics_port: raw.metrics_port,
            metrics_token: raw.metrics_token,
            otlp_endpoint,
            trace_sample_ratio,
            gcp_project: raw.gcp_project,
            database_read_url: raw.database_read_url,
            database_read_timeout: Duration::from_millis(database_read_timeout_ms),
            read_your_writes: Duration::from_secs(read_your_writes_s),
            database_max_connections,
            storage,
            storage_url,
            media_base_url,
            redis_url: raw.redis_url,
            redis_timeout,
            session_store,
            secret_key: raw.secret_key,
            log_format: raw.log_format.unwrap_or(LogFormat::Json),
            log_redact,
            log_filter: raw.rust_log.unwrap_or_else(|| "info,sqlx=warn".to_owned()),
            shutdown_grace,
            request_timeout: Duration::from_secs(request_timeout_s),
            database_acquire_timeout: Duration::from_millis(database_acquire_timeout_ms),
            password_hash_concurrency,
            header_read_timeout: Duration::from_secs(header_read_timeout_s),
            max_connections,
            auto_migrate: raw.auto_migrate.unwrap_or(env == AppEnv::Dev),
            allow_demo_seed: raw.allow_demo_seed.unwrap_or(false),
            public_counts_ttl: Duration::from_secs(raw.public_counts_ttl_seconds.unwrap_or(15).min(3600)),
            public_cache_ttl: Duration::from_secs(raw.public_cache_ttl_seconds.unwrap_or(30).min(3600)),
            public_base_url,
            smtp_url: raw.smtp_url,
            mail_from,
            mail_outbox_dir: raw.mail_outbox_dir.unwrap_or_else(|| PathBuf::from("var/outbox")),
            embedded_worker: raw.embedded_worker.unwrap_or(env == AppEnv::Dev),
            worker_concurrency,
            job_lease: Duration::from_secs(job_lease_s),
            max_upload_bytes,
            s3,
            gcs,
            trusted_proxies,
            rate_limits,
            media_base_defaulted,
            public_base_defaulted,
        })
    }

    /// Key material for session cookies: `SECRET_KEY`, or (dev only, checked at start-up)
    /// a random key for this process, so dev sessions end when the process does.
    pub fn session_key(&self) -> Vec<u8> {
        if let Some(k) = &self.secret_key {
            k.expose_secret().as_bytes().to_vec()
        } else {
            use rand::RngCore;
            let mut key = vec![0u8; 64];
            rand::rng().fill_bytes(&mut key);
            key
        }
    }

    /// The configuration as served on `port` (the one `PORT=0` got): default media and
    /// public URLs name it.
    #[must_use]
    pub fn for_port(&self, port: u16) -> Self {
        let mut c = self.clone();
        let origin = std::net::SocketAddr::new(self.bind_addr, port);
        if self.media_base_defaulted {
            c.media_base_url = format!("http://{origin}/media");
        }
        if self.public_base_defaulted
            && let Ok(u) = url::Url::parse(&format!("http://{origin}/"))
        {
            c.public_base_url = u;
        }
        c.port = port;
        c
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose_secret().starts_with("sqlite:")
    }

    /// Each setting with secrets masked, for `config check` and the start-up log.
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        vec![
            ("APP_ENV", self.env.as_str().to_owned()),
            ("BIND_ADDR", self.bind_addr.to_string()),
            ("PORT", self.port.to_string()),
            ("DATABASE_URL", mask_url(&self.database_url)),
            ("DATABASE_MAX_CONNECTIONS", self.database_max_connections.to_string()),
            (
                "DATABASE_READ_URL",
                self.database_read_url.as_ref().map_or_else(|| "(unset: reads on the primary)".to_owned(), mask_url),
            ),
            ("DATABASE_READ_TIMEOUT_MS", self.database_read_timeout.as_millis().to_string()),
            ("READ_YOUR_WRITES_SECONDS", self.read_your_writes.as_secs().to_string()),
            ("STORAGE_URL", self.storage_url.clone()),
            ("MEDIA_BASE_URL", self.media_base_url.clone()),
            ("REDIS_URL", self.redis_url.as_ref().map_or_else(|| "(unset: in-process cache)".to_owned(), mask_url)),
            ("REDIS_TIMEOUT_MS", self.redis_timeout.as_millis().to_string()),
            ("SESSION_STORE", format!("{:?}", self.session_store).to_lowercase()),
            ("METRICS_PORT", self.metrics_port.map_or_else(|| "(unset)".to_owned(), |p| p.to_string())),
            ("METRICS_TOKEN", if self.metrics_token.is_some() { "(set)".to_owned() } else { "(unset)".to_owned() }),
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                self.otlp_endpoint.as_ref().map_or_else(|| "(unset: no traces)".to_owned(), ToString::to_string),
            ),
            ("OTEL_TRACES_SAMPLER_ARG", self.trace_sample_ratio.to_string()),
            ("GCP_PROJECT", self.gcp_project.clone().unwrap_or_else(|| "(unset)".to_owned())),
            (
                "SECRET_KEY",
                match &self.secret_key {
                    Some(_) => "**** (set)".to_owned(),
                    None => "(unset: random per-process key, dev only)".to_owned(),
                },
            ),
            ("LOG_FORMAT", format!("{:?}", self.log_format).to_lowercase()),
            ("RUST_LOG", self.log_filter.clone()),
            ("LOG_REDACT", self.log_redact.to_string()),
            ("SHUTDOWN_GRACE_SECONDS", self.shutdown_grace.as_secs().to_string()),
            ("REQUEST_TIMEOUT_SECONDS", self.request_timeout.as_secs().to_string()),
            ("DATABASE_ACQUIRE_TIMEOUT_MS", self.database_acquire_timeout.as_millis().to_string()),
            ("PASSWORD_HASH_CONCURRENCY", self.password_hash_concurrency.to_string()),
            ("HEADER_READ_TIMEOUT_SECONDS", self.header_read_timeout.as_secs().to_string()),
            ("MAX_CONNECTIONS", self.max_connections.to_string()),
            ("AUTO_MIGRATE", self.auto_migrate.to_string()),
            ("ALLOW_DEMO_SEED", self.allow_demo_seed.to_string()),
            ("PUBLIC_COUNTS_TTL_SECONDS", self.public_counts_ttl.as_secs().to_string()),
            ("PUBLIC_CACHE_TTL_SECONDS", self.public_cache_ttl.as_secs().to_string()),
            ("PUBLIC_BASE_URL", self.public_base_url.to_string()),
            (
                "SMTP_URL",
                self.smtp_url
                    .as_ref()
                    .map_or_else(|| "(unset: .eml files in MAIL_OUTBOX_DIR, dev only)".to_owned(), mask_url),
            ),
            ("MAIL_FROM", self.mail_from.clone()),
            ("MAIL_OUTBOX_DIR", self.mail_outbox_dir.display().to_string()),
            ("EMBEDDED_WORKER", self.embedded_worker.to_string()),
            ("WORKER_CONCURRENCY", self.worker_concurrency.to_string()),
            ("JOB_LEASE_SECONDS", self.job_lease.as_secs().to_string()),
            ("MAX_UPLOAD_BYTES", self.max_upload_bytes.to_string()),
            ("AWS_ENDPOINT_URL", self.s3.endpoint.clone().unwrap_or_else(|| "(unset)".to_owned())),
            ("AWS_REGION", self.s3.region.clone().unwrap_or_else(|| "(unset)".to_owned())),
            ("AWS_ACCESS_KEY_ID", self.s3.access_key_id.clone().unwrap_or_else(|| "(unset)".to_owned())),
            (
                "AWS_SECRET_ACCESS_KEY",
                if self.s3.secret_access_key.is_some() { "**** (set)" } else { "(unset)" }.to_owned(),
            ),
            ("AWS_ALLOW_HTTP", self.s3.allow_http.to_string()),
            (
                "GOOGLE_SERVICE_ACCOUNT_KEY",
                if self.gcs.service_account_key.is_some() { "**** (set)" } else { "(unset)" }.to_owned(),
            ),
            ("GCS_ALLOW_HTTP", self.gcs.allow_http.to_string()),
            ("TRUSTED_PROXIES", self.trusted_proxies.to_string()),
            ("RATE_LIMITS", self.rate_limits.to_string()),
        ]
    }
}

/// A URL with any password replaced by `****`. Unparseable input is masked whole.
pub fn mask_url(secret: &SecretString) -> String {
    match url::Url::parse(secret.expose_secret()) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("****"));
            }
            u.to_string()
        }
        Err(_) => "****".to_owned(),
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Config");
        for (k, v) in self.describe() {
            d.field(k, &v);
        }
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn defaults_are_the_embedded_dev_setup() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.env, AppEnv::Dev);
        assert_eq!(c.port, 8080);
        assert!(c.is_sqlite());
        assert!(matches!(c.storage, StorageLocation::Local { .. }));
        assert!(c.auto_migrate);
        assert!(c.redis_url.is_none());
        assert_eq!(c.shutdown_grace, Duration::from_secs(10));
    }

    #[test]
    fn port_must_be_a_number() {
        let e = cfg(&[("PORT", "abc")]).unwrap_err();
        assert_eq!(e.var, "PORT");
        assert!(e.to_string().contains("PORT"), "{e}");
        assert_eq!(cfg(&[("PORT", "70000")]).unwrap_err().var, "PORT");
    }

    #[test]
    fn unknown_env_is_named() {
        let e = cfg(&[("APP_ENV", "production")]).unwrap_err();
        assert_eq!(e.var, "APP_ENV");
        assert!(e.message.contains("production"), "{e}");
    }

    const KEY: &str = "0123456789abcdef0123456789abcdef-long-enough";

    #[test]
    fn prod_refuses_sqlite_local_storage_and_weak_keys() {
        let pg = ("DATABASE_URL", "postgres://sp:pw@db/sp");
        let s3 = ("STORAGE_URL", "s3://media");
        let cdn = ("MEDIA_BASE_URL", "https://cdn.student-palace.co.uk");
        let key = ("SECRET_KEY", KEY);
        let site = ("PUBLIC_BASE_URL", "https://student-palace.co.uk");
        let smtp = ("SMTP_URL", "smtps://mailer:pw@smtp.example.com:465");
        let prod = |extra: &[(&'static str, &'static str)], drop: &str| {
            let mut v = vec![("APP_ENV", "prod"), pg, s3, cdn, key, site, smtp];
            v.retain(|(k, _)| *k != drop);
            v.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
            v.extend_from_slice(extra);
            cfg(&v)
        };
        assert!(prod(&[], "").is_ok());
        for var in ["DATABASE_URL", "STORAGE_URL", "SECRET_KEY", "MEDIA_BASE_URL", "PUBLIC_BASE_URL", "SMTP_URL"] {
            assert_eq!(prod(&[], var).unwrap_err().var, var, "{var} is required in prod");
        }
        assert_eq!(prod(&[("STORAGE_URL", "memory://")], "").unwrap_err().var, "STORAGE_URL");
        assert_eq!(prod(&[("SECRET_KEY", "short")], "").unwrap_err().var, "SECRET_KEY");
        assert_eq!(prod(&[("PUBLIC_BASE_URL", "http://student-palace.co.uk")], "").unwrap_err().var, "PUBLIC_BASE_URL");
        assert_eq!(prod(&[("SMTP_URL", "smtp://smtp.example.com:587")], "").unwrap_err().var, "SMTP_URL", "no TLS");
        assert!(prod(&[("SMTP_URL", "smtp://u:p@smtp.example.com:587?tls=required")], "").is_ok(), "STARTTLS");
        assert_eq!(
            prod(&[("SMTP_URL", "smtp://smtp.example.com:587?tls=opportunistic&tls=required")], "").unwrap_err().var,
            "SMTP_URL",
            "lettre would use the first (opportunistic)"
        );
        assert_eq!(cfg(&[("APP_ENV", "staging"), s3, cdn, key, site, smtp]).unwrap_err().var, "DATABASE_URL");
        for var in ["AWS_ALLOW_HTTP", "GCS_ALLOW_HTTP"] {
            assert_eq!(prod(&[(var, "true")], "").unwrap_err().var, var, "plain HTTP storage in prod");
        }
        assert_eq!(prod(&[("LOG_REDACT", "false")], "").unwrap_err().var, "LOG_REDACT", "unredacted logs in prod");
        let c = prod(&[], "").unwrap();
        assert!(c.log_redact, "prod redacts");
        assert!(!cfg(&[("LOG_REDACT", "false")]).unwrap().log_redact, "dev may turn it off");
        assert!(!c.auto_migrate && !c.embedded_worker, "migrations and the worker run on their own in prod");
        assert_eq!(c.public_base_url.as_str(), "https://student-palace.co.uk/");
    }

    #[test]
    fn dev_runs_the_worker_in_serve_and_writes_mail_to_files() {
        let c = cfg(&[]).unwrap();
        assert!(c.embedded_worker && c.smtp_url.is_none());
        assert_eq!(c.mail_outbox_dir, PathBuf::from("var/outbox"));
        assert_eq!(c.public_base_url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!((c.worker_concurrency, c.job_lease), (4, Duration::from_secs(60)));
        assert_eq!(cfg(&[("WORKER_CONCURRENCY", "0")]).unwrap_err().var, "WORKER_CONCURRENCY");
        assert_eq!(cfg(&[("JOB_LEASE_SECONDS", "1")]).unwrap_err().var, "JOB_LEASE_SECONDS");
        assert_eq!(cfg(&[("TRUSTED_PROXIES", "10.0.0.0/8, lb")]).unwrap_err().var, "TRUSTED_PROXIES");
        assert_eq!(cfg(&[("RATE_LIMITS", "login=5/60")]).unwrap_err().var, "RATE_LIMITS");
        assert!(cfg(&[("TRUSTED_PROXIES", "10.0.0.0/8,35.191.0.0/16"), ("RATE_LIMITS", "login-ip=5/60")]).is_ok());
        assert_eq!(cfg(&[("MAIL_FROM", "not a mailbox")]).unwrap_err().var, "MAIL_FROM");
        assert_eq!(cfg(&[("SMTP_URL", "http://x")]).unwrap_err().var, "SMTP_URL");
        assert!(cfg(&[("SMTP_URL", "smtp://127.0.0.1:1025")]).is_ok(), "a plain local sink is fine in dev");
    }

    #[test]
    fn dev_allows_sqlite_memory_and_no_key() {
        assert!(cfg(&[("STORAGE_URL", "memory://")]).is_ok());
    }

    #[test]
    fn secrets_never_reach_debug_or_describe() {
        let c = cfg(&[
            ("DATABASE_URL", "postgres://sp:hunter2-db@db/sp"),
            ("REDIS_URL", "redis://:hunter2-redis@cache:6379"),
            ("SECRET_KEY", "hunter2-key-hunter2-key-hunter2-key"),
            ("SMTP_URL", "smtp://mailer:hunter2-smtp@smtp.example.com:587?tls=required"),
            ("GOOGLE_SERVICE_ACCOUNT_KEY", r#"{"private_key": "hunter2-gcs"}"#),
        ])
        .unwrap();
        let debug = format!("{c:?} {:?}", c.describe());
        for s in ["hunter2-db", "hunter2-redis", "hunter2-key", "hunter2-smtp", "hunter2-gcs"] {
            assert!(!debug.contains(s), "{s} leaked: {debug}");
        }
        assert!(debug.contains("postgres://sp:****@db/sp"), "{debug}");
    }

    #[test]
    fn bad_secret_types_do_not_echo_the_value() {
        let e = cfg(&[("DATABASE_URL", "mysql://u:hunter2@x/y")]).unwrap_err();
        assert_eq!(e.var, "DATABASE_URL");
        assert!(!e.to_string().contains("hunter2"));
        let e = cfg(&[("GOOGLE_SERVICE_ACCOUNT_KEY", "hunter2 is not JSON")]).unwrap_err();
        assert_eq!(e.var, "GOOGLE_SERVICE_ACCOUNT_KEY");
        assert!(!e.to_string().contains("hunter2"));
    }

    #[test]
    fn redis_sessions_need_redis() {
        assert_eq!(cfg(&[]).unwrap().session_store, SessionStoreKind::Cookie);
        let e = cfg(&[("SESSION_STORE", "redis")]).unwrap_err();
        assert_eq!(e.var, "SESSION_STORE");
        let c = cfg(&[("SESSION_STORE", "redis"), ("REDIS_URL", "redis://127.0.0.1:6379")]).unwrap();
        assert_eq!(c.session_store, SessionStoreKind::Redis);
        assert_eq!(cfg(&[("SESSION_STORE", "memcached")]).unwrap_err().var, "SESSION_STORE");
    }

    #[test]
    fn a_read_replica_is_postgres_beside_a_postgres_primary() {
        let pg = ("DATABASE_URL", "postgres://u@127.0.0.1/db");
        let c = cfg(&[pg]).unwrap();
        assert!(c.database_read_url.is_none());
        assert_eq!((c.database_read_timeout, c.read_your_writes), (Duration::from_secs(1), Duration::from_secs(5)));
        let c = cfg(&[pg, ("DATABASE_READ_URL", "postgres://u@127.0.0.1:5433/db"), ("READ_YOUR_WRITES_SECONDS", "0")])
            .unwrap();
        assert!(c.database_read_url.is_some());
        assert_eq!(c.read_your_writes, Duration::ZERO);
        assert_eq!(cfg(&[pg, ("DATABASE_READ_URL", "mysql://x/db")]).unwrap_err().var, "DATABASE_READ_URL");
        assert_eq!(
            cfg(&[("DATABASE_READ_URL", "postgres://u@h/db")]).unwrap_err().var,
            "DATABASE_READ_URL",
            "SQLite primary"
        );
        assert_eq!(cfg(&[pg, ("DATABASE_READ_TIMEOUT_MS", "0")]).unwrap_err().var, "DATABASE_READ_TIMEOUT_MS");
        let read = ("DATABASE_READ_URL", "postgres://u@127.0.0.1:5433/db");
        let slow = [pg, read, ("DATABASE_READ_TIMEOUT_MS", "5000"), ("REQUEST_TIMEOUT_SECONDS", "5")];
        assert_eq!(cfg(&slow).unwrap_err().var, "DATABASE_READ_TIMEOUT_MS", "no time left to fall back");
        assert!(
            cfg(&[pg, ("DATABASE_READ_TIMEOUT_MS", "5000"), ("REQUEST_TIMEOUT_SECONDS", "5")]).is_ok(),
            "no replica"
        );
    }

    #[test]
    fn metrics_are_off_unless_asked_for_and_their_token_is_long() {
        let c = cfg(&[]).unwrap();
        assert!(c.metrics_port.is_none() && c.metrics_token.is_none());
        assert_eq!(cfg(&[("METRICS_TOKEN", "short")]).unwrap_err().var, "METRICS_TOKEN");
        assert!(cfg(&[("METRICS_TOKEN", "0123456789abcdef01234567")]).unwrap().metrics_token.is_some());
        assert_eq!(cfg(&[("PORT", "9000"), ("METRICS_PORT", "9000")]).unwrap_err().var, "METRICS_PORT");
        assert_eq!(cfg(&[("METRICS_PORT", "9464")]).unwrap().metrics_port, Some(9464));
    }

    #[test]
    fn traces_are_off_unless_an_endpoint_is_given_and_sample_a_tenth() {
        let c = cfg(&[]).unwrap();
        assert!(c.otlp_endpoint.is_none() && c.gcp_project.is_none());
        assert!((c.trace_sample_ratio - 0.1).abs() < f64::EPSILON);
        let c =
            cfg(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"), ("GCP_PROJECT", "student-palace-prod")])
                .unwrap();
        assert_eq!(c.otlp_endpoint.unwrap().as_str(), "http://collector:4317/");
        assert_eq!(
            cfg(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "collector")]).unwrap_err().var,
            "OTEL_EXPORTER_OTLP_ENDPOINT"
        );
        assert_eq!(cfg(&[("OTEL_TRACES_SAMPLER_ARG", "1.5")]).unwrap_err().var, "OTEL_TRACES_SAMPLER_ARG");
        assert_eq!(cfg(&[("GCP_PROJECT", "Not A Project")]).unwrap_err().var, "GCP_PROJECT");
    }
}
