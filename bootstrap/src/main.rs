//! `student-palace`: the one binary. Reads config, wires adapters, runs a subcommand.

use std::process::ExitCode;

use bootstrap::cli::{Cli, Command, ConfigAction, run};
use bootstrap::config::{Config, VARIABLES};
use bootstrap::telemetry;
use clap::Parser;

/// mimalloc: the service allocates many small, short-lived objects per request (rows,
/// JSON values); glibc's malloc showed as a quarter of the CPU under load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit code for configuration errors (sysexits EX_CONFIG).
const EX_CONFIG: u8 = 78;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Config { action: ConfigAction::Vars } = cli.command {
        for (name, help) in VARIABLES {
            println!("{name:<26} {help}");
        }
        return ExitCode::SUCCESS;
    }
    if let Command::Openapi = cli.command {
        // No configuration needed: only the session cookie's name depends on APP_ENV.
        let secure_cookies = std::env::var("APP_ENV").is_ok_and(|e| !e.is_empty() && e != "dev");
        println!("{}", sp_http::openapi_json(env!("CARGO_PKG_VERSION"), secure_cookies));
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EX_CONFIG);
        }
    };
    if let Command::Config { action: ConfigAction::Check } = cli.command {
        for (k, v) in config.describe() {
            println!("{k}={v}");
        }
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Traces export on the runtime (OTLP over gRPC needs its reactor).
    let traces = match config.otlp_endpoint.as_ref().map(|e| {
        let _inside = runtime.enter();
        telemetry::Traces::otlp(e.as_str(), config.trace_sample_ratio)
    }) {
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            eprintln!("{e:#}");
            return ExitCode::from(EX_CONFIG);
        }
        None => None,
    };
    // A server or worker logs to stdout (collected by the platform); one-shot commands keep stdout
    // for their output and log to stderr.
    if matches!(cli.command, Command::Serve | Command::Worker) {
        telemetry::init(&telemetry::Logging::of(&config), std::io::stdout, traces.as_ref());
    } else {
        telemetry::init(&telemetry::Logging::of(&config), std::io::stderr, traces.as_ref());
    }
    let code = match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error.chain = format!("{e:#}"), "fatal");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    };
    if let Some(t) = traces {
        t.shutdown();
    }
    code
}
