//! Benchmark of monitoring on a synthetic Jiangsu province: the three services in-process on
//! port 0, each on its own fresh database (PostgreSQL with `TEST_DATABASE_URL`, as the
//! cross-service tests; dropped at the end), the province imported into the registry
//! through its API.
//!
//! ```text
//! cargo run --release -- synthetic --firms 200000 --out data/synthetic-200k
//! TEST_DATABASE_URL=postgres://hte:hte@127.0.0.1:5432/hte \
//!   cargo run --release -p cross-service-tests --bin monitoring-bench -- --data data/synthetic-200k
//! ```
//!
//! It reports:
//! - a full snapshot (`POST /api/v1/snapshots`: province, 13 cities, counties, every indicator
//!   of a plan with the 2019–2020 plan's seven indicators, alerts evaluated) — target < 5 s —
//!   and the registry calls it makes, each timed alone (statistics by city and by county, the
//!   ready pool firms as CSV, the first page of each compliance alert kind);
//! - the KPI board and a series from stored snapshots (`GET /api/v1/indicators`,
//!   `GET /api/v1/indicators/hte_count/series`) for the province, a city and a county —
//!   target < 50 ms — median, 95th percentile and maximum after warm-up.
//!
//! Flags: `--data DIR` (required: the files of `cargo run -- synthetic`), `--snapshots N`
//! (default 3), `--runs N` requests per read (default 50), `--out DIR` (default
//! `bench-output`; the report is appended to `DIR/monitoring-<date>.md`). The synthetic
//! files are left to the caller.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use cross_service_tests::harness::Suite;
use hte_shared::auth::Role;
use monitoring::domain::period::{Period, PeriodKind};
use reqwest::Method;
use serde_json::{Value, json};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const PLAN: &str = "bench-plan";
/// The registry's import kinds and the synthetic province's files, in import order.
const FILES: [(&str, &str); 5] = [
    ("enterprises", "enterprises.csv"),
    ("annual_reports", "annual_reports.csv"),
    ("pool_entries", "pool_entries.csv"),
    ("certificates", "certificates.csv"),
    ("labels", "labels.csv"),
];

struct Args {
    data: PathBuf,
    snapshots: usize,
    runs: usize,
    out: PathBuf,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        data: PathBuf::new(),
        snapshots: 3,
        runs: 50,
        out: PathBuf::from("bench-output"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--data" => args.data = PathBuf::from(value),
            "--snapshots" => args.snapshots = value.parse()?,
            "--runs" => args.runs = value.parse()?,
            "--out" => args.out = PathBuf::from(value),
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    if args.data.as_os_str().is_empty() {
        return Err("--data DIR is required (the files of `cargo run -- synthetic`)".into());
    }
    args.snapshots = args.snapshots.max(1);
    args.runs = args.runs.max(1);
    Ok(args)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// (median, 95th percentile, max) of timings in ms.
fn spread(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let i = ((values.len() as f64 - 1.0) * q).round() as usize;
        values.get(i).copied().unwrap_or(0.0)
    };
    (at(0.5), at(0.95), at(1.0))
}

/// A request as the province, failing on any status but `want`: the body and the time.
async fn call(
    suite: &Suite,
    (method, url): (Method, String),
    body: Option<Value>,
    etag: Option<&str>,
    want: u16,
) -> Result<(Value, Duration)> {
    let mut request = suite
        .client
        .request(method, &url)
        .bearer_auth(suite.token(Role::Province, "320000"));
    if let Some(tag) = etag {
        request = request.header("If-Match", tag);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let started = Instant::now();
    let response = request.send().await?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await?;
    let elapsed = started.elapsed();
    if status != want {
        let text: String = String::from_utf8_lossy(&bytes).chars().take(400).collect();
        return Err(format!("{url}: HTTP {status}: {text}").into());
    }
    Ok((
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        elapsed,
    ))
}

async fn import(suite: &Suite, args: &Args, report: &mut String) -> Result<()> {
    writeln!(report, "| registry import | rows | s |\n|---|---:|---:|")?;
    for (kind, file) in FILES {
        let bytes = std::fs::read(args.data.join(file))?;
        let url = suite
            .registry
            .url(&format!("/api/v1/imports?kind={kind}&mode=partial"));
        let started = Instant::now();
        let response = suite
            .client
            .post(url)
            .bearer_auth(suite.token(Role::Province, "320000"))
            .header("Content-Type", "text/csv")
            .body(bytes)
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await?;
        if !status.is_success() {
            return Err(format!("import {kind}: HTTP {status}: {body}").into());
        }
        let seconds = started.elapsed().as_secs_f64();
        println!("import {kind}: {} in {seconds:.1} s", body["counts"]);
        writeln!(
            report,
            "| {kind} | {} | {seconds:.1} |",
            body["counts"]["rows"]
        )?;
    }
    Ok(())
}

/// A plan around today with the 2019–2020 plan's indicators and formulas; its HTE target
/// for this year split among the cities in proportion to their HTEs today.
async fn plan(suite: &Suite, year: i32, today: &str) -> Result<()> {
    let mut indicators: Vec<Value> =
        serde_json::from_str(monitoring::domain::indicator::JIANGSU_2019_57)?;
    for indicator in &mut indicators {
        let formula = indicator["formula"].to_string();
        let (registry, inputs) = (
            formula.contains("\"registry\""),
            formula.contains("\"input\""),
        );
        indicator["source"] = json!(match (registry, inputs) {
            (true, true) => "registry_and_external",
            (false, true) => "external",
            _ => "registry",
        });
        indicator["splittable"] = json!(indicator["unit"] != "ratio");
    }
    let url = |path: &str| suite.allocation.url(path);
    let body = json!({"id": PLAN, "name": "基准测试规划", "starts_on": format!("{}-01-01", year - 1),
                      "ends_on": format!("{}-12-31", year + 1), "indicators": indicators});
    call(
        suite,
        (Method::POST, url("/api/v1/plans")),
        Some(body),
        None,
        201,
    )
    .await?;
    let target = json!({"indicator": "hte_count", "period": year.to_string(), "value": 60000,
                        "reason": "基准测试"});
    // A new plan's tree is at version 0.
    let path = format!("/api/v1/plans/{PLAN}/targets/320000");
    call(
        suite,
        (Method::PUT, url(&path)),
        Some(target),
        Some("\"v0\""),
        200,
    )
    .await?;
    let split = json!({"indicator": "hte_count", "period": year.to_string(), "region_code": "320000",
                       "method": "proportional", "baseline": "hte", "baseline_as_of": today});
    let path = format!("/api/v1/plans/{PLAN}/allocations");
    let (proposal, _) = call(suite, (Method::POST, url(&path)), Some(split), None, 201).await?;
    let id = proposal["id"].as_str().ok_or("the proposal has no id")?;
    let path = format!("/api/v1/plans/{PLAN}/allocations/{id}/accept");
    let accept = json!({"reason": "按有效高企数分解"});
    call(suite, (Method::POST, url(&path)), Some(accept), None, 200).await?;
    Ok(())
}

/// Statistics inputs for the province and the cities: last year's R&D spend, and the output
/// of the last quarter that has ended.
async fn inputs(suite: &Suite, year: i32, quarter: Period) -> Result<()> {
    let cities = hte_shared::regions::cities().map(|c| c.code.to_string());
    for region in std::iter::once("320000".to_owned()).chain(cities) {
        let scale = if region == "320000" { 13 } else { 1 };
        for (measure, period, value) in [
            (
                "enterprise_rd_expense_yuan",
                (year - 1).to_string(),
                200 * scale,
            ),
            (
                "above_scale_industrial_output_yuan",
                quarter.to_string(),
                10_000 * scale,
            ),
            (
                "hightech_industry_output_yuan",
                quarter.to_string(),
                4_600 * scale,
            ),
        ] {
            let path = format!("/api/v1/statistics-inputs/{measure}/{period}/{region}");
            let body = json!({"value": value.to_string(), "unit": "yi_yuan", "source_document": "基准测试数据"});
            call(
                suite,
                (Method::PUT, suite.monitoring.url(&path)),
                Some(body),
                None,
                201,
            )
            .await?;
        }
    }
    Ok(())
}

/// Times the registry calls a snapshot makes, each alone.
async fn upstream_calls(suite: &Suite, today: &str, year: i32, report: &mut String) -> Result<()> {
    let calls = [
        (
            "statistics, level=city",
            format!(
                "/api/v1/statistics?level=city&as_of={today}&report_year={}",
                year - 1
            ),
        ),
        (
            "statistics, level=county",
            format!(
                "/api/v1/statistics?level=county&as_of={today}&report_year={}",
                year - 1
            ),
        ),
        (
            "ready pool firms (candidates CSV)",
            format!("/api/v1/candidates?scope=pool&max_failing=0&as_of={today}&format=csv&lang=en"),
        ),
        (
            "compliance certificate_expiring, first page",
            format!("/api/v1/compliance-alerts?kind=certificate_expiring&as_of={today}&limit=500"),
        ),
        (
            "compliance missing_annual_report, first page",
            format!("/api/v1/compliance-alerts?kind=missing_annual_report&as_of={today}&limit=500"),
        ),
    ];
    writeln!(report, "\n| registry call, alone | ms |\n|---|---:|")?;
    for (name, path) in calls {
        let (_, elapsed) = call(
            suite,
            (Method::GET, suite.registry.url(&path)),
            None,
            None,
            200,
        )
        .await?;
        println!("{name}: {:.0} ms", ms(elapsed));
        writeln!(report, "| {name} | {:.0} |", ms(elapsed))?;
    }
    Ok(())
}

async fn snapshots(
    suite: &Suite,
    args: &Args,
    (period, today): (Period, &str),
    report: &mut String,
) -> Result<()> {
    let mut times = Vec::new();
    let mut last = Value::Null;
    for _ in 0..args.snapshots {
        let body = json!({"plan": PLAN, "period": period.to_string(), "as_of": today});
        let url = suite.monitoring.url("/api/v1/snapshots");
        let (taken, elapsed) = call(suite, (Method::POST, url), Some(body), None, 201).await?;
        println!(
            "snapshot: {:.0} ms ({} values, {})",
            ms(elapsed),
            taken["values"],
            taken["snapshot"]["status"]
        );
        times.push(ms(elapsed));
        last = taken;
    }
    let (median, _, max) = spread(times);
    writeln!(
        report,
        "\nFull snapshot (`POST /api/v1/snapshots`, {} runs): median **{median:.0} ms**, max {max:.0} ms; {} values, status {}, alerts {} (target < 5000 ms).",
        args.snapshots, last["values"], last["snapshot"]["status"], last["alerts"]
    )?;
    Ok(())
}

async fn reads(suite: &Suite, args: &Args, report: &mut String) -> Result<()> {
    writeln!(
        report,
        "\n| read from stored snapshots | median ms | p95 ms | max ms |\n|---|---:|---:|---:|"
    )?;
    let paths = [
        (
            "board, province",
            format!("/api/v1/indicators?plan={PLAN}&region=320000"),
        ),
        (
            "board, 苏州市",
            format!("/api/v1/indicators?plan={PLAN}&region=320500"),
        ),
        (
            "board, 昆山市",
            format!("/api/v1/indicators?plan={PLAN}&region=320583"),
        ),
        (
            "series hte_count, 苏州市",
            format!("/api/v1/indicators/hte_count/series?plan={PLAN}&region=320500"),
        ),
    ];
    for (name, path) in paths {
        let url = suite.monitoring.url(&path);
        let mut times = Vec::new();
        for i in 0..(args.runs + 5) {
            let (_, elapsed) = call(suite, (Method::GET, url.clone()), None, None, 200).await?;
            if i >= 5 {
                times.push(ms(elapsed));
            }
        }
        let (median, p95, max) = spread(times);
        println!("{name}: median {median:.1} ms, p95 {p95:.1} ms, max {max:.1} ms");
        writeln!(report, "| {name} | {median:.1} | {p95:.1} | {max:.1} |")?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    let backend = std::env::var("TEST_DATABASE_URL").unwrap_or_default();
    let on = if backend.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let suite = Suite::start_with(&[
        ("HTTP_WORKERS", "2"),
        ("DB_POOL_SIZE", "8"),
        ("UPSTREAM_TIMEOUT_SECS", "300"),
    ])
    .await;
    let today = hte_shared::time::today();
    let today_text = today.to_string();
    let year: i32 = today_text[..4].parse()?;
    let month = Period::containing(PeriodKind::Month, today).ok_or("today has no period")?;
    let quarter = Period::containing(PeriodKind::Quarter, today)
        .and_then(Period::previous)
        .ok_or("no quarter before today")?;
    let mut report = String::new();
    writeln!(
        report,
        "\n## Monitoring benchmark — {} ({on}, as of {today})\n",
        args.data.display()
    )?;
    import(&suite, &args, &mut report).await?;
    plan(&suite, year, &today_text).await?;
    inputs(&suite, year, quarter).await?;
    upstream_calls(&suite, &today_text, year, &mut report).await?;
    snapshots(&suite, &args, (month, &today_text), &mut report).await?;
    reads(&suite, &args, &mut report).await?;
    writeln!(
        report,
        "\nMachine: {} CPUs, shared with other work; each service in-process with 2 HTTP workers and 8 database connections.",
        std::thread::available_parallelism().map_or(0, usize::from)
    )?;
    std::fs::create_dir_all(&args.out)?;
    let path = args.out.join(format!("monitoring-{today}.md"));
    let mut text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            format!("# Monitoring benchmarks — {today}\n")
        }
        Err(e) => return Err(e.into()),
    };
    text.push_str(&report);
    std::fs::write(&path, text)?;
    println!("report: {}", path.display());
    Ok(())
}
