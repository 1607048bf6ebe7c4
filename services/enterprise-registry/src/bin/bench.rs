//! Benchmark of the enterprise registry on a synthetic Jiangsu province (PostgreSQL).
//!
//! ```text
//! cargo run --release -p enterprise-registry --bin bench -- --firms 200000 --out bench-output/
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
//! (d) candidate screening of the whole province (`GET /api/v1/candidates?scope=all&limit=50`).
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
//! Environment: `BENCH_DATABASE_URL`, a PostgreSQL URL of a role that may CREATE DATABASE
//! (default `postgres://hte:hte@127.0.0.1:5432/hte`). The databases are `bench_<random>_api`
//! and `bench_<random>_copy`, dropped at the end (`DROP DATABASE … WITH (FORCE)`).
//!
//! The HTTP client is a minimal HTTP/1.1 client over `std::net::TcpStream` (one connection
//! per request, `Connection: close`), because the registry crate has no HTTP client among its
//! dependencies; on loopback the connection set-up costs tens of microseconds.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use chrono::{Datelike, NaiveDate};
use diesel::connection::SimpleConnection;
use diesel::pg::{CopyFormat, PgConnection};
use diesel::prelude::*;
use enterprise_registry::config::RegistryConfig;
use enterprise_registry::db::schema;
use enterprise_registry::db::statistics::{
    GroupBy, GroupCounts, GroupNew, StatisticsQuery, counts_sql, new_certificates_sql,
};
use enterprise_registry::startup::{Application, MIGRATIONS};
use enterprise_registry::synthetic::{self, FILES, Summary};
use hte_shared::auth::{AuthKeys, Role};
use hte_shared::config::Env;
use hte_shared::db::{DatabaseUrl, Db, DbSettings};
use hte_shared::regions::{self, PROVINCE_CODE, RegionCode};
use serde_json::{Value, json};

struct Args {
    firms: usize,
    seed: u64,
    out: PathBuf,
    data: Option<PathBuf>,
    runs: usize,
    chunk_rows: usize,
    keep_data: bool,
    keep_databases: bool,
    admin_url: String,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        firms: 200_000,
        seed: 57,
        out: PathBuf::from("bench-output"),
        data: None,
        runs: 20,
        chunk_rows: 0,
        keep_data: false,
        keep_databases: false,
        admin_url: std::env::var("BENCH_DATABASE_URL")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| "postgres://hte:hte@127.0.0.1:5432/hte".to_owned()),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| anyhow!("{name} needs a value"));
        match flag.as_str() {
            "--firms" => args.firms = value("--firms")?.parse().context("--firms")?,
            "--seed" => args.seed = value("--seed")?.parse().context("--seed")?,
            "--out" => args.out = PathBuf::from(value("--out")?),
            "--data" => args.data = Some(PathBuf::from(value("--data")?)),
            "--runs" => args.runs = value("--runs")?.parse().context("--runs")?,
            "--chunk-rows" => {
                args.chunk_rows = value("--chunk-rows")?.parse().context("--chunk-rows")?
            }
            "--keep-data" => args.keep_data = true,
            "--keep-databases" => args.keep_databases = true,
            "-h" | "--help" => {
                println!(
                    "bench [--firms N] [--seed S] [--out DIR] [--data DIR] [--runs N] [--chunk-rows N] [--keep-data] [--keep-databases]\n\
                     env BENCH_DATABASE_URL (default postgres://hte:hte@127.0.0.1:5432/hte)"
                );
                std::process::exit(0);
            }
            other => bail!("unknown flag {other}; see --help"),
        }
    }
    args.runs = args.runs.max(1);
    Ok(args)
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

/// The admin URL with its database replaced by `name`.
fn database_url(admin: &str, name: &str) -> Result<String> {
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin, None),
    };
    let scheme_end = base
        .find("://")
        .ok_or_else(|| anyhow!("BENCH_DATABASE_URL is not a URL"))?
        + 3;
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut url = format!("{}/{name}", &base[..authority_end]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    Ok(url)
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

/// Creates and (on drop) force-drops the bench databases.
struct Databases {
    admin_url: String,
    names: Vec<String>,
    keep: bool,
}

impl Databases {
    fn create(&mut self, name: &str) -> Result<String> {
        let mut admin =
            PgConnection::establish(&self.admin_url).context("connecting to BENCH_DATABASE_URL")?;
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .with_context(|| format!("creating database {name}"))?;
        self.names.push(name.to_owned());
        database_url(&self.admin_url, name)
    }
}

impl Drop for Databases {
    fn drop(&mut self) {
        if self.keep || self.names.is_empty() {
            return;
        }
        match PgConnection::establish(&self.admin_url) {
            Ok(mut admin) => {
                for name in &self.names {
                    let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    // Autovacuum may still be analysing the fresh tables, and its worker is
                    // not ours to terminate: wait for it rather than leave the database.
                    let mut attempt = 0;
                    while let Err(e) = admin.batch_execute(&drop) {
                        attempt += 1;
                        if attempt == 30 {
                            eprintln!("could not drop {name}: {e}");
                            break;
                        }
                        std::thread::sleep(Duration::from_secs(2));
                    }
                }
            }
            Err(e) => eprintln!("could not drop the bench databases: {e}"),
        }
    }
}

// ---- a minimal HTTP/1.1 client -------------------------------------------------------------

struct HttpResponse {
    status: u16,
    body: Vec<u8>,
}

impl HttpResponse {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn text(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        text.chars().take(600).collect()
    }
}

fn http(
    port: u16,
    method: &str,
    target: &str,
    token: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<HttpResponse> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(3_600)))?;
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n\
         Accept: application/json\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    // The server may answer (413, 401) before reading the whole body and close: keep the
    // answer rather than the broken pipe.
    let written = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body));
    let mut raw = Vec::new();
    let read = stream.read_to_end(&mut raw);
    if raw.is_empty() {
        written?;
        read?;
        bail!("{method} {target}: empty response");
    }
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Result<HttpResponse> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| anyhow!("malformed HTTP response"))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let rest = &raw[split + 4..];
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("malformed status line"))?;
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            if name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked") {
                chunked = true;
            } else if name == "content-length" {
                length = value.parse::<usize>().ok();
            }
        }
    }
    let body = if chunked {
        let mut body = Vec::new();
        let mut at = 0;
        loop {
            let eol = rest[at..]
                .windows(2)
                .position(|w| w == b"\r\n")
                .ok_or_else(|| anyhow!("malformed chunk"))?;
            let size_text = String::from_utf8_lossy(&rest[at..at + eol]);
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)?;
            at += eol + 2;
            if size == 0 {
                break;
            }
            body.extend_from_slice(rest.get(at..at + size).unwrap_or(&rest[at..]));
            at += size + 2;
            if at >= rest.len() {
                break;
            }
        }
        body
    } else {
        let n = length.unwrap_or(rest.len()).min(rest.len());
        rest[..n].to_vec()
    };
    Ok(HttpResponse { status, body })
}

// ---- (a) import through the API --------------------------------------------------------------

#[derive(Default)]
struct ImportOutcome {
    kind: String,
    rows_in_file: usize,
    bytes: u64,
    seconds: f64,
    requests: usize,
    fallback_413: bool,
    statuses: Vec<String>,
    counts: BTreeMap<String, i64>,
    /// (column, reason) -> (count, first line)
    errors: BTreeMap<(String, String), (usize, i64)>,
    failures: Vec<String>,
}

fn post_file(
    port: u16,
    token: &str,
    kind: &str,
    path: &Path,
    rows: usize,
    chunk_rows: usize,
) -> Result<ImportOutcome> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut outcome = ImportOutcome {
        kind: kind.to_owned(),
        rows_in_file: rows,
        bytes: bytes.len() as u64,
        ..Default::default()
    };
    let target = format!("/api/v1/imports?kind={kind}&mode=partial");
    if chunk_rows == 0 {
        let started = Instant::now();
        let response = http(port, "POST", &target, token, Some("text/csv"), &bytes)?;
        let elapsed = started.elapsed();
        if response.status != 413 {
            outcome.seconds = elapsed.as_secs_f64();
            outcome.requests = 1;
            record(&mut outcome, &response, 0);
            return Ok(outcome);
        }
        outcome.fallback_413 = true;
        eprintln!(
            "  {kind}: 413 for the whole file ({} bytes); resending in chunks of 50000 rows",
            bytes.len()
        );
    }
    let chunk_rows = if chunk_rows == 0 { 50_000 } else { chunk_rows };
    let header_end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| i + 1);
    let header = &bytes[..header_end];
    let mut chunks = Vec::new();
    let mut start = header_end;
    let mut lines = 0;
    let mut line_offset = 0;
    for (i, &b) in bytes.iter().enumerate().skip(header_end) {
        if b == b'\n' {
            lines += 1;
            if lines == chunk_rows {
                chunks.push((start, i + 1, line_offset));
                line_offset += lines;
                start = i + 1;
                lines = 0;
            }
        }
    }
    if start < bytes.len() {
        chunks.push((start, bytes.len(), line_offset));
    }
    let started = Instant::now();
    for (from, to, offset) in chunks {
        let mut body = Vec::with_capacity(header.len() + to - from);
        body.extend_from_slice(header);
        body.extend_from_slice(&bytes[from..to]);
        let response = http(port, "POST", &target, token, Some("text/csv"), &body)?;
        outcome.requests += 1;
        record(&mut outcome, &response, offset as i64);
    }
    outcome.seconds = started.elapsed().as_secs_f64();
    Ok(outcome)
}

fn record(outcome: &mut ImportOutcome, response: &HttpResponse, line_offset: i64) {
    let body = response.json();
    if response.status != 201 && response.status != 200 {
        outcome
            .failures
            .push(format!("HTTP {}: {}", response.status, response.text()));
        return;
    }
    outcome.statuses.push(
        body.get("status")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned(),
    );
    if let Some(counts) = body.get("counts").and_then(Value::as_object) {
        for (name, value) in counts {
            *outcome.counts.entry(name.clone()).or_default() += value.as_i64().unwrap_or(0);
        }
    }
    for error in body
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let text = |name: &str| {
            error
                .get(name)
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .unwrap_or_default()
        };
        let line = error.get("line").and_then(Value::as_i64).unwrap_or(0) + line_offset;
        let entry = outcome
            .errors
            .entry((text("column"), text("reason")))
            .or_insert((0, line));
        entry.0 += 1;
    }
}

// ---- (a) COPY ------------------------------------------------------------------------------

fn io_error(e: impl std::fmt::Display) -> diesel::result::Error {
    diesel::result::Error::SerializationError(e.to_string().into())
}

/// Streams the CSV file (header skipped) into the COPY sink, appending the server-owned
/// columns that `extra` computes for each record.
fn stream_rows(
    path: &Path,
    sink: &mut dyn Write,
    extra: &dyn Fn(&csv::ByteRecord) -> Result<Vec<String>, String>,
) -> Result<(), diesel::result::Error> {
    let mut reader = csv::Reader::from_path(path).map_err(io_error)?;
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(sink);
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record).map_err(io_error)? {
        let more = extra(&record).map_err(io_error)?;
        for field in record.iter() {
            writer.write_field(field).map_err(io_error)?;
        }
        for field in &more {
            writer.write_field(field.as_bytes()).map_err(io_error)?;
        }
        writer
            .write_record(std::iter::empty::<&[u8]>())
            .map_err(io_error)?;
    }
    writer.flush().map_err(io_error)
}

fn field(record: &csv::ByteRecord, i: usize) -> &str {
    record
        .get(i)
        .and_then(|f| std::str::from_utf8(f).ok())
        .unwrap_or("")
}

fn copy_file(conn: &mut PgConnection, kind: &str, path: &Path) -> Result<usize> {
    let ts = hte_shared::time::now()
        .format("%Y-%m-%d %H:%M:%S%.6f")
        .to_string();
    let n = match kind {
        "enterprises" => {
            use schema::enterprises::dsl as t;
            let extra = |r: &csv::ByteRecord| -> Result<Vec<String>, String> {
                let code = RegionCode::parse(field(r, 2)).map_err(|e| e.to_string())?;
                let city = regions::city_of(&code)
                    .ok_or_else(|| format!("{code} has no city"))?
                    .code
                    .to_string();
                Ok(vec![city, "1".to_owned(), ts.clone(), ts.clone()])
            };
            diesel::copy_from(t::enterprises)
                .from_raw_data(
                    (
                        t::credit_code,
                        t::name,
                        t::region_code,
                        t::registered_on,
                        t::industry_code,
                        t::tech_domain,
                        t::zone_level,
                        t::zone_id,
                        t::above_scale,
                        t::carrier_id,
                        t::listing_status,
                        t::city_code,
                        t::version,
                        t::created_at,
                        t::updated_at,
                    ),
                    |sink| stream_rows(path, sink, &extra),
                )
                .with_format(CopyFormat::Csv)
                .execute(conn)?
        }
        "annual_reports" => {
            use schema::annual_reports::dsl as t;
            let extra = |_: &csv::ByteRecord| Ok(vec!["1".to_owned(), ts.clone()]);
            diesel::copy_from(t::annual_reports)
                .from_raw_data(
                    (
                        t::credit_code,
                        t::year,
                        t::employees,
                        t::st_staff,
                        t::total_income_yuan,
                        t::sales_revenue_yuan,
                        t::hightech_income_yuan,
                        t::rd_expense_yuan,
                        t::rd_expense_domestic_yuan,
                        t::total_costs_yuan,
                        t::net_assets_yuan,
                        t::total_assets_yuan,
                        t::industrial_output_yuan,
                        t::tax_paid_yuan,
                        t::invention_patents,
                        t::class1_ip,
                        t::class2_ip,
                        t::new_ip,
                        t::conversions,
                        t::rd_institution,
                        t::version,
                        t::updated_at,
                    ),
                    |sink| stream_rows(path, sink, &extra),
                )
                .with_format(CopyFormat::Csv)
                .execute(conn)?
        }
        "pool_entries" => {
            use schema::pool_entries::dsl as t;
            let extra = |_: &csv::ByteRecord| Ok(vec![ts.clone()]);
            diesel::copy_from(t::pool_entries)
                .from_raw_data(
                    (
                        t::credit_code,
                        t::year,
                        t::batch,
                        t::source,
                        t::entered_on,
                        t::exited_on,
                        t::exit_reason,
                        t::created_at,
                    ),
                    |sink| stream_rows(path, sink, &extra),
                )
                .with_format(CopyFormat::Csv)
                .execute(conn)?
        }
        "certificates" => {
            use schema::certificates::dsl as t;
            let extra = |r: &csv::ByteRecord| -> Result<Vec<String>, String> {
                let issued: NaiveDate = field(r, 2).parse().map_err(|e| format!("{e}"))?;
                Ok(vec![
                    enterprise_registry::domain::programme::certificate_expiry(issued).to_string(),
                    ts.clone(),
                ])
            };
            diesel::copy_from(t::certificates)
                .from_raw_data(
                    (
                        t::credit_code,
                        t::certificate_no,
                        t::issued_on,
                        t::revoked_on,
                        t::revoke_reason,
                        t::expires_on,
                        t::created_at,
                    ),
                    |sink| stream_rows(path, sink, &extra),
                )
                .with_format(CopyFormat::Csv)
                .execute(conn)?
        }
        "labels" => {
            use schema::labels::dsl as t;
            let extra = |_: &csv::ByteRecord| Ok(vec![ts.clone()]);
            diesel::copy_from(t::labels)
                .from_raw_data(
                    (
                        t::credit_code,
                        t::kind,
                        t::year,
                        t::level,
                        t::issuer,
                        t::created_at,
                    ),
                    |sink| stream_rows(path, sink, &extra),
                )
                .with_format(CopyFormat::Csv)
                .execute(conn)?
        }
        other => bail!("unknown kind {other}"),
    };
    Ok(n)
}

fn table_counts(url: &str) -> Result<BTreeMap<String, i64>> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = PgConnection::establish(url)?;
    let mut counts = BTreeMap::new();
    for table in [
        "enterprises",
        "annual_reports",
        "pool_entries",
        "certificates",
        "labels",
        "audit_log",
    ] {
        let c: Count = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result(&mut conn)?;
        counts.insert(table.to_owned(), c.n);
    }
    Ok(counts)
}

fn database_size_mb(url: &str) -> Result<f64> {
    #[derive(QueryableByName)]
    struct Size {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = PgConnection::establish(url)?;
    let s: Size = diesel::sql_query("SELECT pg_database_size(current_database()) AS n")
        .get_result(&mut conn)?;
    Ok(s.n as f64 / 1_048_576.0)
}

// ---- main ----------------------------------------------------------------------------------

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    hte_shared::http_client::install_crypto_provider();
    let started_at = chrono::Utc::now();
    let today = hte_shared::time::today();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let data_dir = args.data.clone().unwrap_or_else(|| {
        args.out
            .join(format!("synthetic-{}-{}", args.firms, args.seed))
    });

    // Synthetic province.
    println!(
        "generating {} firms (seed {}) into {}",
        args.firms,
        args.seed,
        data_dir.display()
    );
    let t = Instant::now();
    let (firms, seed, dir) = (args.firms, args.seed, data_dir.clone());
    let summary: Summary =
        tokio::task::spawn_blocking(move || synthetic::generate(firms, seed, &dir)).await??;
    let generate_seconds = t.elapsed().as_secs_f64();
    println!("  {summary} in {generate_seconds:.1} s");

    let id = random_hex()?;
    let mut databases = Databases {
        admin_url: args.admin_url.clone(),
        names: Vec::new(),
        keep: args.keep_databases,
    };
    let api_url = databases.create(&format!("bench_{id}_api"))?;
    let copy_url = databases.create(&format!("bench_{id}_copy"))?;

    // The registry in-process, on its own database.
    let keys = AuthKeys::random().map_err(|e| anyhow!("{e}"))?;
    let tmp_data = std::env::temp_dir().join(format!("hte-bench-{id}"));
    let tmp_data_text = tmp_data.display().to_string();
    let env = Env::from_pairs([
        ("REGISTRY_DATABASE_URL", api_url.as_str()),
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

    // (a) import through the API.
    let (hwm_before_import, rss_before_import) = memory_kib();
    println!("import through the API (port {port})");
    let mut api = Vec::new();
    for (kind, file) in FILES {
        let (path, token, rows, chunk) = (
            data_dir.join(file),
            token.clone(),
            summary.rows_of(kind),
            args.chunk_rows,
        );
        let outcome =
            tokio::task::spawn_blocking(move || post_file(port, &token, kind, &path, rows, chunk))
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
    let (hwm_after_import, rss_after_import) = memory_kib();
    let api_seconds: f64 = api.iter().map(|o| o.seconds).sum();
    let total_rows = summary.total();
    let api_rows_per_s = total_rows as f64 / api_seconds.max(1e-9);

    // (a) COPY into a second database with the same schema.
    let copy_settings = DbSettings {
        url: DatabaseUrl::parse(&copy_url).map_err(|e| anyhow!(e))?,
        pool_size: 1,
        connect_timeout: Duration::from_secs(10),
    };
    tokio::task::spawn_blocking(move || Db::connect(&copy_settings, MIGRATIONS).map(drop))
        .await??;
    println!("COPY into the same tables (second database)");
    let (dir, url) = (data_dir.clone(), copy_url.clone());
    let copy: Vec<(String, usize, f64)> = tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url)?;
        let mut out = Vec::new();
        for (kind, file) in FILES {
            let t = Instant::now();
            let n = copy_file(&mut conn, kind, &dir.join(file))?;
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
    let copy_seconds: f64 = copy.iter().map(|c| c.2).sum();
    let copy_rows: usize = copy.iter().map(|c| c.1).sum();
    let copy_rows_per_s = copy_rows as f64 / copy_seconds.max(1e-9);
    let api_counts = table_counts(&api_url)?;
    let copy_counts = table_counts(&copy_url)?;
    let api_size = database_size_mb(&api_url)?;
    let copy_size = database_size_mb(&copy_url)?;

    // (b) statistics: the API vs the same SQL on a direct connection (same database).
    let as_of = today;
    let mut statistics = Vec::new();
    for (level, group_by) in [("city", GroupBy::City), ("county", GroupBy::County)] {
        let target = format!("/api/v1/statistics?level={level}&as_of={as_of}");
        let (token, runs) = (token.clone(), args.runs);
        let (api_times, api_totals) = tokio::task::spawn_blocking(move || {
            let mut times = Vec::new();
            let mut last = Value::Null;
            for i in 0..(3 + runs) {
                let t = Instant::now();
                let response = http(port, "GET", &target, &token, None, b"")?;
                let elapsed = t.elapsed();
                if response.status != 200 {
                    bail!("GET {target}: HTTP {} {}", response.status, response.text());
                }
                if i >= 3 {
                    times.push(ms(elapsed));
                }
                last = response.json();
            }
            Ok((times, last.get("totals").cloned().unwrap_or(Value::Null)))
        })
        .await??;
        let (url, runs) = (api_url.clone(), args.runs);
        let (sql_times, sql_registered, sql_hte, groups) = tokio::task::spawn_blocking(move || {
            let query = StatisticsQuery {
                group_by,
                city: None,
                county: None,
                as_of,
                report_year: as_of.year() - 1,
                new_from: NaiveDate::from_ymd_opt(as_of.year(), 1, 1).unwrap_or(as_of),
                new_to: as_of,
            };
            let (counts, new) = (counts_sql(&query), new_certificates_sql(&query));
            let mut conn = PgConnection::establish(&url)?;
            // The service's own session setting, so both sides run the same plan.
            diesel::connection::SimpleConnection::batch_execute(&mut conn, "SET jit = off")?;
            let mut times = Vec::new();
            let mut last = (Vec::new(), Vec::new());
            for i in 0..(3 + runs) {
                let t = Instant::now();
                let c: Vec<GroupCounts> = diesel::sql_query(&counts).load(&mut conn)?;
                let n: Vec<GroupNew> = diesel::sql_query(&new).load(&mut conn)?;
                let elapsed = t.elapsed();
                if i >= 3 {
                    times.push(ms(elapsed));
                }
                last = (c, n);
            }
            let registered: i64 = last.0.iter().map(|c| c.registered).sum();
            let hte: i64 = last.0.iter().map(|c| c.hte).sum();
            Ok::<_, anyhow::Error>((times, registered, hte, last.0.len()))
        })
        .await??;
        let (api_median, sql_median) = (median(api_times.clone()), median(sql_times.clone()));
        let api_registered = api_totals.get("registered").and_then(Value::as_i64);
        let api_hte = api_totals.get("hte").and_then(Value::as_i64);
        println!(
            "statistics level={level}: API median {api_median:.1} ms, SQL median {sql_median:.1} ms, ratio {:.2} (groups {groups}; registered API {api_registered:?} / SQL {sql_registered}; hte API {api_hte:?} / SQL {sql_hte})",
            api_median / sql_median.max(1e-9)
        );
        statistics.push(json!({
            "level": level,
            "as_of": as_of.to_string(),
            "api_median_ms": api_median,
            "sql_median_ms": sql_median,
            "ratio_api_over_sql": api_median / sql_median.max(1e-9),
            "api_ms": api_times,
            "sql_ms": sql_times,
            "groups_with_firms": groups,
            "registered": {"api": api_registered, "sql": sql_registered},
            "hte": {"api": api_hte, "sql": sql_hte},
        }));
    }

    // (d) candidate screening of the whole province.
    let token_c = token.clone();
    let (candidates_ms, candidates_status, candidates_items, candidates_note) =
        tokio::task::spawn_blocking(move || {
            let t = Instant::now();
            let response = http(
                port,
                "GET",
                "/api/v1/candidates?scope=all&limit=50",
                &token_c,
                None,
                b"",
            )?;
            let elapsed = ms(t.elapsed());
            let body = response.json();
            let items = body
                .get("items")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let note = if response.status == 200 {
                String::new()
            } else {
                response.text()
            };
            Ok::<_, anyhow::Error>((elapsed, response.status, items, note))
        })
        .await??;
    let (hwm_after_candidates, rss_after_candidates) = memory_kib();
    println!(
        "candidates scope=all limit=50: {candidates_ms:.0} ms, HTTP {candidates_status}, {candidates_items} items {candidates_note}"
    );

    handle.stop(true).await;
    let _ = server.await;
    drop(databases);
    let _ = std::fs::remove_dir_all(&tmp_data);
    if !args.keep_data {
        let _ = std::fs::remove_dir_all(&data_dir);
    }

    // Report.
    let rejected: i64 = api
        .iter()
        .map(|o| o.counts.get("rejected").copied().unwrap_or(0))
        .sum();
    let ratio = api_rows_per_s / copy_rows_per_s.max(1e-9);
    let raw = json!({
        "started_at": started_at.to_rfc3339(),
        "firms": args.firms,
        "seed": args.seed,
        "summary": {
            "enterprises": summary.enterprises, "annual_reports": summary.annual_reports,
            "pool_entries": summary.pool_entries, "certificates": summary.certificates,
            "labels": summary.labels, "total": total_rows,
        },
        "generate_seconds": generate_seconds,
        "machine": {"cpus": std::thread::available_parallelism().map_or(0, usize::from), "http_workers": http_workers, "db_pool_size": pool_size},
        "import_api": api.iter().map(|o| json!({
            "kind": o.kind, "rows": o.rows_in_file, "bytes": o.bytes, "seconds": o.seconds,
            "rows_per_s": o.rows_in_file as f64 / o.seconds.max(1e-9), "requests": o.requests,
            "fallback_413": o.fallback_413, "statuses": o.statuses, "counts": o.counts,
            "errors": o.errors.iter().map(|((c, r), (n, l))| json!({"column": c, "reason": r, "count": n, "first_line": l})).collect::<Vec<_>>(),
            "failures": o.failures,
        })).collect::<Vec<_>>(),
        "import_api_total": {"rows": total_rows, "seconds": api_seconds, "rows_per_s": api_rows_per_s, "rejected": rejected},
        "copy": copy.iter().map(|(k, n, s)| json!({"kind": k, "rows": n, "seconds": s, "rows_per_s": *n as f64 / s.max(1e-9)})).collect::<Vec<_>>(),
        "copy_total": {"rows": copy_rows, "seconds": copy_seconds, "rows_per_s": copy_rows_per_s},
        "ratio_api_over_copy": ratio,
        "table_counts": {"api": api_counts, "copy": copy_counts},
        "database_mb": {"api": api_size, "copy": copy_size},
        "statistics": statistics,
        "candidates": {"ms": candidates_ms, "status": candidates_status, "items": candidates_items},
        "memory_kib": {
            "vmhwm_before_import": hwm_before_import, "vmrss_before_import": rss_before_import,
            "vmhwm_after_import": hwm_after_import, "vmrss_after_import": rss_after_import,
            "vmhwm_after_candidates": hwm_after_candidates, "vmrss_after_candidates": rss_after_candidates,
        },
    });

    let mut md = String::new();
    md.push_str(&format!(
        "\n## Registry benchmark — {} firms, seed {} ({})\n\n",
        args.firms,
        args.seed,
        started_at.format("%Y-%m-%d %H:%M UTC")
    ));
    md.push_str(&format!(
        "Synthetic province: {summary}; generated in {generate_seconds:.1} s. Machine: {} CPUs; the service ran in-process with {http_workers} HTTP workers and a pool of {pool_size} PostgreSQL connections.\n\n",
        std::thread::available_parallelism().map_or(0, usize::from)
    ));
    md.push_str("### (a) Import: API vs COPY\n\n| file | rows | API s | API rows/s | COPY s | COPY rows/s | API ÷ COPY | rejected |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (o, (_, n, s)) in api.iter().zip(&copy) {
        let a = o.rows_in_file as f64 / o.seconds.max(1e-9);
        let c = *n as f64 / s.max(1e-9);
        md.push_str(&format!(
            "| {} | {} | {:.1} | {:.0} | {:.2} | {:.0} | {:.3} | {} |\n",
            o.kind,
            o.rows_in_file,
            o.seconds,
            a,
            s,
            c,
            a / c.max(1e-9),
            o.counts.get("rejected").copied().unwrap_or(0)
        ));
    }
    md.push_str(&format!(
        "| **total** | {total_rows} | {api_seconds:.1} | {api_rows_per_s:.0} | {copy_seconds:.2} | {copy_rows_per_s:.0} | **{ratio:.3}** | {rejected} |\n\n"
    ));
    md.push_str("COPY method: the CSV is streamed through Rust (csv reader → `COPY <table> (<columns>) FROM STDIN (FORMAT csv)` via diesel's `copy_from`), appending the server-owned columns per row (enterprises: city_code from the division table, version 1, created_at/updated_at; annual_reports: version, updated_at; pool_entries/labels: created_at; certificates: expires_on = issued_on + 3 years − 1 day, created_at). Same schema, indexes and foreign keys as the API database (migrations applied); no audit log rows, no validation.\n\n");
    for o in &api {
        if o.fallback_413 || !o.failures.is_empty() || !o.errors.is_empty() {
            md.push_str(&format!(
                "- **{}**: {} request(s){}",
                o.kind,
                o.requests,
                if o.fallback_413 {
                    ", whole file refused with 413, resent in chunks of 50 000 rows"
                } else {
                    ""
                }
            ));
            for f in &o.failures {
                md.push_str(&format!("; failure: `{f}`"));
            }
            md.push('\n');
            for ((c, r), (n, l)) in o.errors.iter().take(15) {
                md.push_str(&format!("  - {n} × `{c}`: {r} (first line {l})\n"));
            }
        }
    }
    md.push_str(&format!(
        "\nRows in the tables afterwards — API DB: {api_counts:?}; COPY DB: {copy_counts:?}. Database size: API {api_size:.0} MB, COPY {copy_size:.0} MB.\n\n"
    ));
    md.push_str("### (b) Statistics (median of timed runs after 3 warm-ups)\n\n| level | API ms | SQL ms | API ÷ SQL |\n|---|---:|---:|---:|\n");
    for s in &statistics {
        md.push_str(&format!(
            "| {} | {:.1} | {:.1} | {:.2} |\n",
            s["level"].as_str().unwrap_or(""),
            s["api_median_ms"].as_f64().unwrap_or(0.0),
            s["sql_median_ms"].as_f64().unwrap_or(0.0),
            s["ratio_api_over_sql"].as_f64().unwrap_or(0.0)
        ));
    }
    md.push_str(&format!(
        "\nas_of {as_of}, report year {}, {} timed runs each; the SQL side is `counts_sql` + `new_certificates_sql` on one direct connection to the API database; the API side includes HTTP on loopback, auth, pooling and JSON.\n\n",
        as_of.year() - 1,
        args.runs
    ));
    md.push_str(&format!(
        "### (c) Memory (VmHWM of the bench process, which also runs the service)\n\n| point | VmHWM MiB | VmRSS MiB |\n|---|---:|---:|\n| before import | {:.0} | {:.0} |\n| after import | {:.0} | {:.0} |\n| after candidates | {:.0} | {:.0} |\n\nCaveat: the service runs in-process, so these figures include the benchmark's own memory: the client holds each CSV file in memory while it is posted (largest file {:.0} MiB), plus the generator's buffers. The increase across the import is an upper bound on what the service needed.\n\n",
        hwm_before_import as f64 / 1024.0,
        rss_before_import as f64 / 1024.0,
        hwm_after_import as f64 / 1024.0,
        rss_after_import as f64 / 1024.0,
        hwm_after_candidates as f64 / 1024.0,
        rss_after_candidates as f64 / 1024.0,
        api.iter().map(|o| o.bytes).max().unwrap_or(0) as f64 / 1_048_576.0
    ));
    md.push_str(&format!(
        "### (d) Candidate screening\n\n`GET /api/v1/candidates?scope=all&limit=50`: {candidates_ms:.0} ms, HTTP {candidates_status}, {candidates_items} items{}.\n\n",
        if candidates_note.is_empty() { String::new() } else { format!(" — `{candidates_note}`") }
    ));
    md.push_str(&format!(
        "<details><summary>raw numbers</summary>\n\n```json\n{}\n```\n</details>\n",
        serde_json::to_string_pretty(&raw)?
    ));
    let stem = format!("registry-{}", today.format("%Y-%m-%d"));
    let md_path = args.out.join(format!("{stem}.md"));
    let new_file = !md_path.exists();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&md_path)?;
    if new_file {
        writeln!(file, "# Enterprise registry benchmarks — {}", today)?;
    }
    file.write_all(md.as_bytes())?;
    let mut jsonl = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(args.out.join(format!("{stem}.jsonl")))?;
    writeln!(jsonl, "{}", serde_json::to_string(&raw)?)?;

    println!();
    println!("firms {}  rows {total_rows}", args.firms);
    println!("{:<28} {:>12} {:>12} {:>10}", "", "API", "direct", "ratio");
    println!(
        "{:<28} {:>12.0} {:>12.0} {:>10.3}",
        "import rows/s (vs COPY)", api_rows_per_s, copy_rows_per_s, ratio
    );
    for s in &statistics {
        println!(
            "{:<28} {:>12.1} {:>12.1} {:>10.2}",
            format!("statistics {} median ms", s["level"].as_str().unwrap_or("")),
            s["api_median_ms"].as_f64().unwrap_or(0.0),
            s["sql_median_ms"].as_f64().unwrap_or(0.0),
            s["ratio_api_over_sql"].as_f64().unwrap_or(0.0)
        );
    }
    println!("{:<28} {:>12.0}", "candidates scope=all ms", candidates_ms);
    println!("{:<28} {:>12}", "rejected rows (API)", rejected);
    println!(
        "VmHWM MiB: before import {:.0}, after import {:.0}, after candidates {:.0}",
        hwm_before_import as f64 / 1024.0,
        hwm_after_import as f64 / 1024.0,
        hwm_after_candidates as f64 / 1024.0
    );
    println!("report: {}", md_path.display());
    Ok(())
}
