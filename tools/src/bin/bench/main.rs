//! Benchmark of the enterprise registry on a synthetic Jiangsu province (PostgreSQL).
//!
//! ```text
//! cargo run --release -p hte-tools --bin bench -- --firms 200000 --out bench-output/
//! ```
//!
//! In one run, side by side:
//! (a) import of the synthetic CSV files through `POST /api/v1/imports` (mode `partial`) vs
//!     PostgreSQL `COPY … FROM STDIN (FORMAT csv)` of the same rows into the same tables of a
//!     second fresh database (the limit); rows/s and the ratio API ÷ COPY;
//! (b) `GET /api/v1/statistics?level=city|county&as_of=…` vs the same grouped SQL
//!     (`db::statistics::counts_sql` + `new_certificates_sql`) on a direct connection: median
//!     latency after a warm-up, and the ratio;
//! (c) peak memory (VmHWM of this process, which also runs the service) before and after the
//!     import;
//! (d) candidate screening of the whole province (`GET /api/v1/candidates?scope=all&limit=50`):
//!     assessed live (before), then from the readiness table after a full build (after): first
//!     page, a later page by cursor, the full CSV export, the summary, and the build time.
//!
//! Flags (all optional):
//! - `--firms N`       enterprises in the synthetic province (default 200000)
//! - `--seed S`        generator seed (default 57)
//! - `--out DIR`       results folder (default `bench-output`); the report is appended to
//!   `DIR/registry-<date>.md` and the raw numbers to `DIR/registry-<date>.jsonl`
//! - `--data DIR`      where the synthetic CSV files go (default `DIR/synthetic-<firms>-<seed>`;
//!   deleted at the end unless `--keep-data`)
//! - `--runs N`        timed runs per statistics query, after 3 warm-ups (default 20)
//! - `--chunk-rows N`  POST each file in chunks of N rows (default 0: the whole file in one
//!   request; when the server answers 413 the file is resent in chunks of
//!   50000 rows and the report says so)
//! - `--keep-data`     keep the synthetic CSV files
//! - `--keep-databases` do not drop the two bench databases
//!
//! - `--sqlite-write-during-import` instead of the above: the registry on a fresh SQLite file
//!   imports the enterprises file while a firm is registered through the API every 2 s; each
//!   write's latency and the largest go to `DIR/registry-sqlite-writes-<date>.{md,jsonl}`
//! - `--rebuild-only` instead of the above: one database filled by COPY, then the readiness
//!   build alone, timed twice with the load average around each, appended to
//!   `DIR/registry-rebuild-<date>.md`
//!
//! Environment: `BENCH_DATABASE_URL`, a PostgreSQL URL of a role that may CREATE DATABASE
//! (default `postgres://hte:hte@127.0.0.1:5432/hte`). The databases are `bench_<random>_api`
//! and `bench_<random>_copy`, dropped at the end (`DROP DATABASE … WITH (FORCE)`).
//!

mod copy;
mod databases;
mod http;
mod import;
mod rebuild;
mod report;
mod screening;
mod sqlite_writes;
mod statistics;
mod writes;

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use enterprise_registry::config::RegistryConfig;
use enterprise_registry::startup::Application;
use hte_shared::auth::{AuthKeys, Role};
use hte_shared::config::Env;
use hte_shared::regions::PROVINCE_CODE;
use hte_tools::report::ProvinceArgs;
use hte_tools::synthetic::{self, FILES, Summary};
use serde_json::Value;

use databases::Databases;
use http::http;
use import::{ImportOutcome, post_file};
use report::{Candidates, Copied, Memory, Results};

/// The registry benchmark on a synthetic province (see the module's documentation).
#[derive(clap::Parser)]
#[command(
    name = "bench",
    after_help = "env BENCH_DATABASE_URL (default postgres://hte:hte@127.0.0.1:5432/hte)"
)]
struct Args {
    #[command(flatten)]
    province: ProvinceArgs,
    /// Where the synthetic CSV files go (default OUT/synthetic-FIRMS-SEED; deleted at the
    /// end unless --keep-data).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Timed runs per statistics query, after 3 warm-ups.
    #[arg(long, default_value_t = 20,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    runs: usize,
    /// POST each file in chunks of N rows (0: the whole file in one request; on a 413 the
    /// file is resent in chunks of 50,000 rows and the report says so).
    #[arg(long, default_value_t = 0)]
    chunk_rows: usize,
    /// Keep the synthetic CSV files.
    #[arg(long)]
    keep_data: bool,
    /// Do not drop the two bench databases.
    #[arg(long)]
    keep_databases: bool,
    /// Instead: the registry on a fresh SQLite file imports the enterprises file while a firm
    /// is registered every 2 s; each write's latency goes to OUT/registry-sqlite-writes-DATE.
    #[arg(long)]
    sqlite_write_during_import: bool,
    /// Instead: one database filled by COPY, then the readiness build alone, timed twice
    /// (OUT/registry-rebuild-DATE.md).
    #[arg(long)]
    rebuild_only: bool,
}

// ---- small helpers -------------------------------------------------------------------------

/// VmHWM (peak resident set) and VmRSS of this process, in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn random_hex() -> Result<String> {
    let mut bytes = [0u8; 8];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("reading /dev/urandom")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

// ---- phases --------------------------------------------------------------------------------

/// The registry running in-process on the API database.
struct Service {
    port: u16,
    token: String,
    handle: actix_web::dev::ServerHandle,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    http_workers: usize,
    pool_size: u32,
    tmp_data: PathBuf,
}

impl Service {
    /// Stops the service, drops the run's databases (unless kept) and removes its files and,
    /// unless `--keep-data`, the generated province. Clean-up is best effort: a run's
    /// figures are already measured.
    async fn stop(self, databases: Databases, args: &Args, data_dir: &Path) {
        self.handle.stop(true).await;
        let _ = self.server.await;
        drop(databases);
        let _ = std::fs::remove_dir_all(&self.tmp_data);
        if !args.keep_data {
            let _ = std::fs::remove_dir_all(data_dir);
        }
    }
}

async fn start_service(api_url: &str, id: &str) -> Result<Service> {
    let keys = AuthKeys::random().map_err(|e| anyhow!("{e}"))?;
    let tmp_data = std::env::temp_dir().join(format!("hte-bench-{id}"));
    let tmp_data_text = tmp_data.display().to_string();
    let env = Env::from_pairs([
        ("REGISTRY_DATABASE_URL", api_url),
        ("DATA_DIR", tmp_data_text.as_str()),
        ("LOG_FORMAT", "text"),
    ]);
    let config = RegistryConfig::from_env(&env)?;
    let http_workers = config.common.http_workers;
    let pool_size = config.common.db_pool_size;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let app = Application::build_with_listener(config, keys.clone(), listener).await?;
    let port = app.port();
    let handle = app.handle();
    let server = tokio::spawn(app.into_server().run_until_stopped());
    let token = keys.sign(
        "bench",
        Role::Province,
        &PROVINCE_CODE,
        chrono::Duration::hours(12),
    )?;
    Ok(Service {
        port,
        token,
        handle,
        server,
        http_workers,
        pool_size,
        tmp_data,
    })
}

/// (a) Each file through `POST /api/v1/imports`, in import order.
async fn import_through_api(
    service: &Service,
    summary: &Summary,
    data_dir: &Path,
    chunk_rows: usize,
) -> Result<Vec<ImportOutcome>> {
    println!("import through the API (port {})", service.port);
    let mut api = Vec::new();
    for (kind, file) in FILES {
        let (port, path, token, rows) = (
            service.port,
            data_dir.join(file),
            service.token.clone(),
            summary.rows_of(kind),
        );
        let outcome = tokio::task::spawn_blocking(move || {
            post_file(port, &token, kind, &path, rows, chunk_rows)
        })
        .await??;
        println!(
            "  {kind:<15} {:>9} rows {:>8.1} s {:>9.0} rows/s  {:?} {:?}{}",
            outcome.rows_in_file,
            outcome.seconds,
            outcome.rows_in_file as f64 / outcome.seconds.max(1e-9),
            outcome
                .statuses
                .iter()
                .collect::<std::collections::BTreeSet<_>>(),
            outcome.counts,
            if outcome.failures.is_empty() {
                String::new()
            } else {
                format!("  FAILED: {}", outcome.failures.join(" | "))
            }
        );
        for ((column, reason), (count, line)) in outcome.errors.iter().take(10) {
            println!("      {count} × {column}: {reason} (first line {line})");
        }
        api.push(outcome);
    }
    Ok(api)
}

/// (a) The same files `COPY`-ed into a second database with the same schema.
async fn copy_into(copy_url: &str, data_dir: &Path) -> Result<Vec<Copied>> {
    hte_tools::migrate_registry(copy_url).await?;
    println!("COPY into the same tables (second database)");
    let (dir, url) = (data_dir.to_owned(), copy_url.to_owned());
    let copy: Vec<Copied> = tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url)?;
        let mut out = Vec::new();
        for (kind, file) in FILES {
            let t = Instant::now();
            let n = copy::copy_file(&mut conn, kind, &dir.join(file))?;
            out.push((kind.to_owned(), n, t.elapsed().as_secs_f64()));
        }
        Ok::<_, anyhow::Error>(out)
    })
    .await??;
    for (kind, n, s) in &copy {
        println!(
            "  {kind:<15} {n:>9} rows {s:>8.2} s {:>9.0} rows/s",
            *n as f64 / s.max(1e-9)
        );
    }
    Ok(copy)
}

/// (d) Candidate screening of the whole province.
async fn screen_candidates(service: &Service) -> Result<Candidates> {
    let (port, token) = (service.port, service.token.clone());
    let candidates = tokio::task::spawn_blocking(move || {
        let t = Instant::now();
        let target = "/api/v1/candidates?scope=all&limit=50";
        let response = http(port, "GET", target, &token, None, b"")?;
        let elapsed = ms(t.elapsed());
        let items = response
            .json()
            .get("items")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        let note = if response.status == 200 {
            String::new()
        } else {
            response.text()
        };
        Ok::<_, anyhow::Error>(Candidates {
            ms: elapsed,
            status: response.status,
            items,
            note,
        })
    })
    .await??;
    println!(
        "candidates scope=all limit=50: {:.0} ms, HTTP {}, {} items {}",
        candidates.ms, candidates.status, candidates.items, candidates.note
    );
    Ok(candidates)
}

async fn generate(args: &Args, data_dir: &Path) -> Result<(Summary, f64)> {
    println!(
        "generating {} firms (seed {}) into {}",
        args.province.firms,
        args.province.seed,
        data_dir.display()
    );
    let t = Instant::now();
    let (firms, seed, dir) = (args.province.firms, args.province.seed, data_dir.to_owned());
    let summary: Summary =
        tokio::task::spawn_blocking(move || synthetic::generate(firms, seed, &dir)).await??;
    let seconds = t.elapsed().as_secs_f64();
    println!("  {summary} in {seconds:.1} s");
    Ok((summary, seconds))
}

/// (d) after: a full readiness build, then the pages, the export and the summary from it.
async fn screen_from_table(service: &Service) -> Result<screening::FromTable> {
    let (port, token) = (service.port, service.token.clone());
    let from_table =
        tokio::task::spawn_blocking(move || screening::from_table(port, &token, memory_kib))
            .await??;
    println!(
        "readiness build {:.1} s; from the table: first page {:.0} ms, page {} by cursor {:.0} ms \
         (median {:.0} ms), CSV export {:.0} ms ({} bytes), summary {:.0} ms",
        from_table.rebuild_s,
        from_table.first_ms,
        screening::LATER_PAGE + 1,
        from_table.later_ms,
        from_table.cursor_median_ms,
        from_table.export_ms,
        from_table.export_bytes,
        from_table.summary_ms
    );
    Ok(from_table)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = <Args as clap::Parser>::parse();
    hte_shared::http_client::install_crypto_provider();
    if args.sqlite_write_during_import {
        std::fs::create_dir_all(&args.province.out)
            .with_context(|| format!("creating {}", args.province.out.display()))?;
        return sqlite_writes::run(&args).await;
    }
    if args.rebuild_only {
        std::fs::create_dir_all(&args.province.out)
            .with_context(|| format!("creating {}", args.province.out.display()))?;
        return rebuild::run(&args).await;
    }
    let started_at = chrono::Utc::now();
    let load_at_start = hte_tools::report::load_average();
    let today = hte_shared::time::today();
    std::fs::create_dir_all(&args.province.out)
        .with_context(|| format!("creating {}", args.province.out.display()))?;
    let data_dir = args.data.clone().unwrap_or_else(|| {
        args.province.out.join(format!(
            "synthetic-{}-{}",
            args.province.firms, args.province.seed
        ))
    });
    let (summary, generate_seconds) = generate(&args, &data_dir).await?;

    let id = random_hex()?;
    let mut databases = Databases {
        admin_url: args.province.admin_url.clone(),
        names: Vec::new(),
        keep: args.keep_databases,
    };
    let api_url = databases.create(&format!("bench_{id}_api"))?;
    let copy_url = databases.create(&format!("bench_{id}_copy"))?;
    let service = start_service(&api_url, &id).await?;

    let (hwm_before_import, rss_before_import) = memory_kib();
    let api = import_through_api(&service, &summary, &data_dir, args.chunk_rows).await?;
    let (hwm_after_import, rss_after_import) = memory_kib();
    let copy = copy_into(&copy_url, &data_dir).await?;
    let table_counts = (
        copy::table_counts(&api_url)?,
        copy::table_counts(&copy_url)?,
    );
    let database_mb = (
        copy::database_size_mb(&api_url)?,
        copy::database_size_mb(&copy_url)?,
    );
    let statistics =
        statistics::compare(service.port, &service.token, &api_url, today, args.runs).await?;
    let candidates = screen_candidates(&service).await?;
    let (hwm_after_candidates, rss_after_candidates) = memory_kib();
    let from_table = screen_from_table(&service).await?;

    let (http_workers, pool_size) = (service.http_workers, service.pool_size);
    service.stop(databases, &args, &data_dir).await;

    let results = Results {
        started_at,
        as_of: today,
        firms: args.province.firms,
        seed: args.province.seed,
        runs: args.runs,
        summary,
        generate_seconds,
        http_workers,
        pool_size,
        api,
        copy,
        table_counts,
        database_mb,
        statistics,
        candidates,
        from_table,
        memory: Memory {
            hwm_before_import,
            rss_before_import,
            hwm_after_import,
            rss_after_import,
            hwm_after_candidates,
            rss_after_candidates,
        },
        load: (load_at_start, hte_tools::report::load_average()),
    };
    let report = results.write(&args.province.out)?;
    results.print_summary(&report);
    Ok(())
}
