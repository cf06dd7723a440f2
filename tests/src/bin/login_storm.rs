//! `make bench`'s login storm: `CONCURRENCY` clients sign in as fast as they can for
//! `SECONDS` (wrong passwords for a real account and unknown e-mails, half each, so
//! every attempt costs a full argon2id verification), while a few other clients search
//! and the server's resident memory is sampled.
//!
//! Usage: `login-storm BASE_URL SERVER_PID [CONCURRENCY=500] [SECONDS=20] [EMAIL]`
//! Prints `RESULT` lines for scripts/bench.sh.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The `permille`th per-mille of `sorted`, in milliseconds.
fn percentile_ms(sorted: &[Duration], permille: usize) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = (sorted.len() * permille).div_ceil(1000).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

/// KiB as MiB with one decimal, without float casts.
fn mib(kib: u64) -> String {
    format!("{}.{}", kib / 1024, (kib % 1024) * 10 / 1024)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let base = args.get(1).cloned().unwrap_or_else(|| "http://127.0.0.1:8090".into());
    let pid: u32 = args.get(2).map(|p| p.parse()).transpose()?.unwrap_or(0);
    let concurrency: usize = args.get(3).map(|c| c.parse()).transpose()?.unwrap_or(500);
    let seconds: u64 = args.get(4).map(|s| s.parse()).transpose()?.unwrap_or(20);
    let email = args.get(5).cloned().unwrap_or_else(|| "student@demo.student-palace.co.uk".into());

    let client =
        reqwest::Client::builder().pool_max_idle_per_host(concurrency).timeout(Duration::from_secs(60)).build()?;
    let stop = Arc::new(AtomicBool::new(false));
    let rss_before = rss_kib(pid).unwrap_or(0);

    let sampler = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut peak = 0;
            while !stop.load(Ordering::Relaxed) {
                peak = peak.max(rss_kib(pid).unwrap_or(0));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            peak
        })
    };

    let logins = (0..concurrency).map(|i| {
        let (client, base, email, stop) = (client.clone(), base.clone(), email.clone(), stop.clone());
        tokio::spawn(async move {
            let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let who = if (i as u64 + n).is_multiple_of(2) {
                    email.clone()
                } else {
                    format!("nobody-{i}-{n}@example.com")
                };
                let r = client
                    .post(format!("{base}/api/v1/auth/login"))
                    .json(&serde_json::json!({"email": who, "password": "not the password at all"}))
                    .send()
                    .await;
                let key = match r {
                    Ok(r) => format!("s{}", r.status().as_u16()),
                    Err(e) if e.is_timeout() => "client_timeout".into(),
                    Err(_) => "connection_error".into(),
                };
                *statuses.entry(key).or_default() += 1;
                n += 1;
            }
            statuses
        })
    });
    let logins: Vec<_> = logins.collect();

    // Searches meanwhile: 4 clients, each one request after the other.
    let searches: Vec<_> = (0..4)
        .map(|i| {
            let (client, base, stop) = (client.clone(), base.clone(), stop.clone());
            tokio::spawn(async move {
                let paths = [
                    "/api/v1/listings?city=leeds",
                    "/api/v1/listings?city=manchester&bedrooms_min=3",
                    "/api/v1/listings",
                    "/api/v1/listings?sort=rent_asc",
                ];
                let mut latencies = Vec::new();
                let mut failures = 0u64;
                let mut n = i;
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    match client.get(format!("{base}{}", paths[n % paths.len()])).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            latencies.push(started.elapsed());
                        }
                        _ => failures += 1,
                    }
                    n += 1;
                }
                (latencies, failures)
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);

    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    for l in logins {
        for (k, v) in l.await? {
            *statuses.entry(k).or_default() += v;
        }
    }
    let mut latencies = Vec::new();
    let mut search_failures = 0;
    for s in searches {
        let (l, f) = s.await?;
        latencies.extend(l);
        search_failures += f;
    }
    latencies.sort_unstable();
    let peak = sampler.await?;
    let total: u64 = statuses.values().sum();
    let tally: Vec<String> = statuses.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!(
        "RESULT login-storm concurrency={concurrency} seconds={seconds} attempts={total} per_s={} {}",
        total / seconds.max(1),
        tally.join(" ")
    );
    println!("RESULT login-storm-rss before_mib={} peak_mib={}", mib(rss_before), mib(peak));
    println!(
        "RESULT login-storm-search requests={} failures={search_failures} p50_ms={:.1} p95_ms={:.1} p99_ms={:.1}",
        latencies.len(),
        percentile_ms(&latencies, 500),
        percentile_ms(&latencies, 950),
        percentile_ms(&latencies, 990)
    );
    Ok(())
}
