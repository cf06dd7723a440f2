//! A real SMTP server for the mail tests: aiosmtpd (from the tools venv) on a free
//! loopback port, storing every message it accepts in a maildir the test reads.

use std::path::PathBuf;
use std::time::{Duration, Instant};

pub struct SmtpSink {
    pub port: u16,
    maildir: tempfile::TempDir,
    child: std::process::Child,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SmtpSink {
    /// Starts the server and waits until it accepts connections.
    pub fn start() -> Self {
        let python = crate::services::python();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let maildir = tempfile::tempdir().unwrap();
        let child = std::process::Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("mail"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not listen on 127.0.0.1:{port} within 20 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { port, maildir, child }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The raw messages received so far.
    pub fn messages(&self) -> Vec<String> {
        let new: PathBuf = self.maildir.path().join("mail/new");
        let Ok(entries) = std::fs::read_dir(&new) else { return vec![] };
        entries.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok()).collect()
    }

    /// Waits until `n` messages arrived (the server writes them after it answers).
    pub fn wait_for(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            assert!(Instant::now() < deadline, "{n} messages not received within 20 s (got {})", got.len());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
