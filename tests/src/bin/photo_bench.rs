//! `make bench`'s photo step: how fast the worker turns a 12 MP phone JPEG into every
//! variant, and how much memory that takes.
//!
//! Usage: `photo-bench [IMAGES=12]`. Processes IMAGES copies of one generated 4000 × 3000
//! JPEG (orientation 6, EXIF, XMP; noise, so ~15 MB: the slowest case to decode) with one image at a time (images per second
//! per core), then with one per core (the worker's default), and reports the process's
//! peak resident memory (what a worker needs for image work on top of its baseline).
//! Prints `RESULT` lines for scripts/bench.sh.

use std::time::{Duration, Instant};

use application::ports::ImageProcessor;
use bytes::Bytes;
use sp_images::{ImageLimits, Images};

fn kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn mib(kib: u64) -> String {
    format!("{}.{}", kib / 1024, (kib % 1024) * 10 / 1024)
}

async fn run(images: &Images, photo: &Bytes, n: u32, parallel: usize) -> Duration {
    let started = Instant::now();
    let mut left = usize::try_from(n).unwrap_or(usize::MAX);
    while left > 0 {
        let batch = left.min(parallel);
        let jobs = (0..batch).map(|_| images.process(photo.clone()));
        for r in futures::future::join_all(jobs).await {
            let p = r.expect("the photo processes");
            assert_eq!(p.variants.len(), 4);
        }
        left -= batch;
    }
    started.elapsed()
}

#[tokio::main]
async fn main() {
    let n: u32 = std::env::args().nth(1).and_then(|v| v.parse().ok()).unwrap_or(12);
    let photo = Bytes::from(sp_tests::images::phone_jpeg(4000, 3000, 6, 90));
    let baseline = kib("VmRSS:");
    let cores = Images::default_concurrency();
    let one = Images::new(ImageLimits::default(), 1, Duration::from_secs(600));
    let t1 = run(&one, &photo, n, 1).await;
    let per_core = f64::from(n) / t1.as_secs_f64();
    println!(
        "RESULT photo-bench images={n} bytes={} megapixels=12 workers=1 seconds={:.2} per_s={per_core:.2} ms_each={:.0}",
        photo.len(),
        t1.as_secs_f64(),
        t1.as_secs_f64() * 1000.0 / f64::from(n)
    );
    let all = Images::new(ImageLimits::default(), cores, Duration::from_secs(600));
    let tn = run(&all, &photo, n, cores).await;
    let per_s = f64::from(n) / tn.as_secs_f64();
    println!("RESULT photo-bench-cores images={n} workers={cores} seconds={:.2} per_s={per_s:.2}", tn.as_secs_f64());
    println!("RESULT photo-bench-rss baseline_mib={} peak_mib={}", mib(baseline), mib(kib("VmHWM:")));
}
