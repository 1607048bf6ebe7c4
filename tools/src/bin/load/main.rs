//! Load benchmark of the enterprise registry on PostgreSQL (issue #12).
//!
//! ```text
//! cargo run --release -p hte-tools --bin load -- --firms 200000 --out bench-output/
//! ```
//!
//! The synthetic province is `COPY`-ed into a fresh database (the service's migrations
//! applied), the registry runs in this process, and in one run, `--seconds` each:
//! keyed `GET /api/v1/enterprises/{credit_code}` over random codes with `wrk` at 16 and 50
//! connections; the same lookup by `pgbench -M prepared` straight against PostgreSQL (the
//! database's own limit); `/livez` (the HTTP ceiling); a filtered list page; statistics; and
//! an authenticated write mix (PATCH with If-Match, annual report PUT). The report goes to
//! `DIR/load-<date>.md`, the raw figures to `DIR/load-<date>.jsonl`. Needs `wrk` and
//! `pgbench` on the PATH; `BENCH_DATABASE_URL` as for `bench`.

// Shared with the `bench` binary; this one needs only part of each.
#[allow(dead_code)]
#[path = "../bench/copy.rs"]
mod copy;
#[allow(dead_code)]
#[path = "../bench/databases.rs"]
mod databases;
mod first_reads;
mod report;
mod writes;
mod wrk;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use enterprise_registry::config::RegistryConfig;
use enterprise_registry::db::enterprises::find_with_facts_sql_on_postgres;
use enterprise_registry::startup::Application;
use hte_shared::auth::{AuthKeys, Role};
use hte_shared::config::Env;
use hte_shared::regions::PROVINCE_CODE;
use hte_tools::report::ProvinceArgs;
use hte_tools::synthetic::{self, FILES};

use databases::Databases;
use report::Report;

/// Load on the registry's keyed GET, lists, statistics and writes, with pgbench's figures
/// for the same lookup and `/livez` as the references.
#[derive(clap::Parser)]
#[command(name = "load")]
struct Args {
    #[command(flatten)]
    province: ProvinceArgs,
    /// Seconds per measured run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Only the keyed GET and its pgbench references (for profiling and tuning runs).
    #[arg(long)]
    keyed_only: bool,
}

/// The synthetic province in a fresh database: generated, migrated, `COPY`-ed, analysed, the
/// keyed read's tables vacuumed, and a numbered list of its credit codes for pgbench
/// (`bench_codes`).
async fn load_province(args: &Args, url: &str, work: &Path) -> Result<Vec<String>> {
    let t = Instant::now();
    let (firms, seed, dir) = (args.province.firms, args.province.seed, work.to_owned());
    let summary =
        tokio::task::spawn_blocking(move || synthetic::generate(firms, seed, &dir)).await??;
    hte_tools::migrate_registry(url).await?;
    let (url, dir) = (url.to_owned(), work.to_owned());
    let codes = tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url)?;
        for (kind, file) in FILES {
            copy::copy_file(&mut conn, kind, &dir.join(file))?;
        }
        conn.batch_execute(
            "CREATE TABLE bench_codes AS \
               SELECT (row_number() OVER ())::int AS n, credit_code FROM enterprises; \
             ALTER TABLE bench_codes ADD PRIMARY KEY (n); ANALYZE;",
        )?;
        // The keyed read's tables vacuumed too, as autovacuum leaves them in a live database:
        // otherwise autovacuum takes them in the middle of the runs (seen at 16:56 UTC on
        // 2026-12-03, during the 50-connection keyed GET), and until it has, index-only scans
        // fetch every row from the heap. VACUUM cannot run in a transaction block, hence a
        // statement of its own.
        conn.batch_execute("VACUUM enterprises, certificates, pool_entries, bench_codes")?;
        use enterprise_registry::db::schema::enterprises::dsl;
        let codes: Vec<String> = dsl::enterprises.select(dsl::credit_code).load(&mut conn)?;
        Ok::<_, anyhow::Error>(codes)
    })
    .await??;
    println!("{summary} loaded in {:.1} s", t.elapsed().as_secs_f64());
    Ok(codes)
}

/// The registry in this process; its budgets are raised so the limiter measures nothing.
async fn start_registry(
    url: &str,
    work: &Path,
) -> Result<(
    u16,
    String,
    actix_web::dev::ServerHandle,
    Vec<(String, String)>,
)> {
    let keys = AuthKeys::random().map_err(|e| anyhow!("{e}"))?;
    let data_dir = work.join("data").display().to_string();
    let settings = [
        ("REGISTRY_DATABASE_URL", url),
        ("DATA_DIR", data_dir.as_str()),
        ("LOG_LEVEL", "warn"),
        ("RATE_LIMIT_PER_MINUTE", "100000000"),
        ("RATE_LIMIT_BURST", "10000000"),
    ];
    // The service's sizing may be tuned from the bench's environment; it is reported.
    let tuning: Vec<(&str, String)> =
        ["HTTP_WORKERS", "DB_POOL_SIZE", "REGISTRY_KEYED_CACHE_FIRMS"]
            .into_iter()
            .filter_map(|name| std::env::var(name).ok().map(|value| (name, value)))
            .collect();
    let pairs = settings
        .into_iter()
        .chain(tuning.iter().map(|(name, value)| (*name, value.as_str())));
    let config = RegistryConfig::from_env(&Env::from_pairs(pairs))?;
    let described = vec![
        (
            "HTTP workers".to_owned(),
            config.common.http_workers.to_string(),
        ),
        (
            "pool size".to_owned(),
            config.common.db_pool_size.to_string(),
        ),
        (
            "keyed read cache, firms".to_owned(),
            config.own.keyed_cache_firms.to_string(),
        ),
    ];
    let app =
        Application::build_with_listener(config, keys.clone(), TcpListener::bind("127.0.0.1:0")?)
            .await?;
    let (port, handle) = (app.port(), app.handle());
    tokio::spawn(app.into_server().run_until_stopped());
    let token = keys.sign(
        "load",
        Role::Province,
        &PROVINCE_CODE,
        chrono::Duration::hours(2),
    )?;
    Ok((port, token, handle, described))
}

/// Writes one path per line for wrk's script to pick from.
fn paths_file(work: &Path, name: &str, paths: impl Iterator<Item = String>) -> Result<PathBuf> {
    let file = work.join(name);
    let text: Vec<String> = paths.collect();
    std::fs::write(&file, text.join("\n") + "\n")?;
    Ok(file)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = <Args as clap::Parser>::parse();
    hte_shared::http_client::install_crypto_provider();
    let mut report = Report::new(args.province.firms);
    let work = std::env::temp_dir().join(format!("hte-load-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let mut databases = Databases {
        admin_url: args.province.admin_url.clone(),
        names: Vec::new(),
        keep: false,
    };
    let url = databases.create(&format!("load_{}", std::process::id()))?;
    let codes = load_province(&args, &url, &work).await?;
    let (port, token, handle, described) = start_registry(&url, &work).await?;
    report.service = described;
    measure(&args, &mut report, &work, &url, port, &token, &codes).await?;
    handle.stop(true).await;
    hte_shared::db::changes::stop(None);
    drop(databases);
    std::fs::remove_dir_all(&work).context("removing the work folder")?;
    let written = report.write(&args.province.out)?;
    println!("{}", report.summary());
    println!("written to {}", written.display());
    if report.errors() > 0 {
        bail!(
            "{} requests failed: the run does not count",
            report.errors()
        );
    }
    Ok(())
}

/// Every load run, in the order the issue names them.
async fn measure(
    args: &Args,
    report: &mut Report,
    work: &Path,
    url: &str,
    port: u16,
    token: &str,
    codes: &[String],
) -> Result<()> {
    let base = format!("http://127.0.0.1:{port}");
    let script = work.join("random-path.lua");
    std::fs::write(&script, wrk::SCRIPT)?;
    let keyed = paths_file(
        work,
        "keyed.txt",
        codes.iter().map(|c| format!("/api/v1/enterprises/{c}")),
    )?;
    let pgbench_script = work.join("keyed.sql");
    std::fs::write(
        &pgbench_script,
        format!(
            "\\set n random(1, {})\nSELECT e.* FROM bench_codes b JOIN enterprises e \
             ON e.credit_code = b.credit_code WHERE b.n = :n;\n",
            codes.len()
        ),
    )?;
    // The API's own statement, its code picked the same way: the database's limit for the
    // work one keyed GET asks of it (a firm with its certificates, pool entries and zone).
    let statement_script = work.join("keyed-statement.sql");
    std::fs::write(
        &statement_script,
        format!(
            "\\set n random(1, {})\n{};\n",
            codes.len(),
            find_with_facts_sql_on_postgres()
                .replace("$1", "(SELECT credit_code FROM bench_codes WHERE n = :n)")
        ),
    )?;
    let seconds = args.seconds;
    let wrk_run = |name: &str, file: &Path, connections| {
        wrk::wrk(name, &base, token, (&script, file), connections, seconds)
    };
    println!("load runs, {seconds} s each");
    let before = first_reads::resident_mib()?;
    report
        .runs
        .push(first_reads::first_reads(&base, token, codes, 16).await?);
    let after = first_reads::resident_mib()?;
    report.service.push((
        "resident memory before / after the first reads".to_owned(),
        format!("{before:.0} / {after:.0} MiB"),
    ));
    for connections in [16, 50] {
        report.runs.push(wrk_run("keyed GET", &keyed, connections)?);
        report.runs.push(wrk::pgbench(
            report::PGBENCH_ROW,
            url,
            &pgbench_script,
            connections,
            seconds,
        )?);
        report.runs.push(wrk::pgbench(
            report::PGBENCH_STATEMENT,
            url,
            &statement_script,
            connections,
            seconds,
        )?);
    }
    if args.keyed_only {
        return Ok(());
    }
    let livez = paths_file(work, "livez.txt", std::iter::once("/livez".to_owned()))?;
    report.runs.push(wrk_run("/livez", &livez, 50)?);
    let cities = ["320100", "320200", "320500", "320583", "321000", "320300"];
    let lists = cities
        .iter()
        .map(|c| format!("/api/v1/enterprises?region={c}&status=registered&limit=50"));
    report.runs.push(wrk_run(
        "filtered list page",
        &paths_file(work, "list.txt", lists)?,
        16,
    )?);
    let levels = ["city", "county"].map(|l| format!("/api/v1/statistics?level={l}"));
    report.runs.push(wrk_run(
        "statistics",
        &paths_file(work, "statistics.txt", levels.into_iter())?,
        8,
    )?);
    report
        .runs
        .push(writes::write_mix(&base, token, codes, 16, seconds).await?);
    Ok(())
}
