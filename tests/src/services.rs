//! Where the test services live. Defaults match `scripts/services.sh`.

fn var(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
}

/// PostgreSQL admin URL (a database the tests may connect to for CREATE/DROP DATABASE).
pub fn postgres_url() -> String {
    var("TEST_DATABASE_URL", "postgres://postgres:postgres@127.0.0.1:5432/postgres")
}

/// The streaming replica of `postgres_url()`'s server (`scripts/services.sh` starts it).
pub fn replica_url() -> String {
    var("TEST_REPLICA_URL", "postgres://postgres:postgres@127.0.0.1:5433/postgres")
}

pub fn redis_url() -> String {
    var("TEST_REDIS_URL", "redis://127.0.0.1:6379")
}

pub fn s3_endpoint() -> String {
    var("TEST_S3_ENDPOINT", "http://127.0.0.1:9000")
}

pub fn s3_bucket() -> String {
    var("TEST_S3_BUCKET", "student-palace-test")
}

/// The settings that put the service's media on the fake S3 (moto), under a fresh
/// prefix of the test bucket: `STORAGE_URL`, `MEDIA_BASE_URL` (the bucket itself, as a
/// CDN in front of it would read it) and the SDK's credentials. Fails, saying what to
/// start, when the fake S3 is not running.
pub fn fake_s3(name: &str) -> Vec<(&'static str, String)> {
    let endpoint = s3_endpoint();
    require("the fake S3 server (moto)", &endpoint);
    let bucket = s3_bucket();
    let prefix = format!("{name}-{}", uuid::Uuid::new_v4().simple());
    vec![
        ("STORAGE_URL", format!("s3://{bucket}/{prefix}")),
        ("MEDIA_BASE_URL", format!("{endpoint}/{bucket}/{prefix}")),
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("AWS_ALLOW_HTTP", "true".to_owned()),
    ]
}

pub fn gcs_endpoint() -> String {
    var("TEST_GCS_ENDPOINT", "http://127.0.0.1:4443")
}

/// The second fake GCS (gcp-storage-emulator): GCS's XML API (uploads, reads).
pub fn gcs_xml_endpoint() -> String {
    var("TEST_GCS_XML_ENDPOINT", "http://127.0.0.1:9023")
}

/// The XML fake's bucket (no dashes: see scripts/services.sh).
pub fn gcs_xml_bucket() -> String {
    var("TEST_GCS_XML_BUCKET", "studentpalacetest")
}

pub fn gcs_bucket() -> String {
    var("TEST_GCS_BUCKET", "student-palace-test")
}

/// Panics with instructions when a TCP service does not accept connections.
pub fn require(name: &str, url: &str) {
    let parsed = url::Url::parse(url).unwrap_or_else(|e| panic!("{name}: bad test URL {url}: {e}"));
    let host = parsed.host_str().unwrap_or("127.0.0.1").to_owned();
    let port = parsed.port_or_known_default().unwrap_or(0);
    let addr = format!("{host}:{port}");
    let ok = std::net::ToSocketAddrs::to_socket_addrs(&addr)
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|a| std::net::TcpStream::connect_timeout(&a, std::time::Duration::from_secs(2)).is_ok());
    assert!(
        ok,
        "{name} is not reachable at {addr}. Start the test services with `make services` \
         (scripts/services.sh), or point the TEST_* variable at a running one."
    );
}

fn tools_dir() -> std::path::PathBuf {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    std::env::var("SP_TOOLS_DIR")
        .ok()
        .filter(|v| !v.is_empty())
        .map_or_else(|| std::path::Path::new(&home).join(".cache/student-palace/tools"), Into::into)
}

/// A tool the contract tests run, or a panic saying how to install it.
fn tool(var_name: &str, default: std::path::PathBuf, what: &str) -> std::path::PathBuf {
    let path = std::env::var(var_name).ok().filter(|v| !v.is_empty()).map_or(default, Into::into);
    assert!(
        path.exists(),
        "{what} is not installed at {}. Install it with `make services` (scripts/services.sh), \
         or set {var_name}.",
        path.display()
    );
    path
}

/// The schemathesis CLI (`st`).
pub fn schemathesis() -> std::path::PathBuf {
    tool("TEST_SCHEMATHESIS", tools_dir().join("venv/bin/st"), "schemathesis")
}

/// The folder of the Node.js tools' executables (openapi-typescript, tsc, spectral).
pub fn node_bin() -> std::path::PathBuf {
    tool("TEST_NODE_BIN", tools_dir().join("node/node_modules/.bin"), "the Node.js contract tools")
}

/// The tools venv's Python (it has aiosmtpd).
pub fn python() -> std::path::PathBuf {
    let py = tool("TEST_PYTHON", tools_dir().join("venv/bin/python"), "the tools venv (python with aiosmtpd)");
    let ok = std::process::Command::new(&py).args(["-c", "import aiosmtpd"]).status().is_ok_and(|s| s.success());
    assert!(
        ok,
        "aiosmtpd is not installed in {}. Install it with `make services` (scripts/services.sh).",
        py.display()
    );
    py
}
