//! A `redis-server` of the test's own on a free loopback port, so a test can stop it, or
//! put `proxy::Proxy` in front of it and make it hang, without touching the shared one.

use std::time::{Duration, Instant};

pub struct RedisServer {
    /// `127.0.0.1:port`.
    pub addr: String,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl RedisServer {
    /// Starts it (no persistence) and waits until it answers `PING`.
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server (Debian package redis-server; `make services` installs it)");
        let server = Self { addr: format!("127.0.0.1:{port}"), child, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !server.answers() {
            assert!(Instant::now() < deadline, "redis-server on {} did not answer within 10 s", server.addr);
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    fn answers(&self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut s) = std::net::TcpStream::connect(&self.addr) else { return false };
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        let mut buf = [0u8; 7];
        s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
