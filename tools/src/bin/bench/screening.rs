//! (d) Candidate screening before and after the readiness table: the first page assessed live,
//! then a full readiness build, then the first page, a later page by cursor, the full CSV
//! export and the summary read from the table.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde_json::Value;

use crate::http::http;
use crate::ms;
use crate::writes::{TimedWrite, probe_until};

const FIRST_PAGE: &str = "/api/v1/candidates?scope=all&limit=50";
/// How many pages the cursor is followed before the timed one.
pub const LATER_PAGE: usize = 20;

/// The timings of screening read from the readiness table.
#[derive(Debug, Clone, Default)]
pub struct FromTable {
    /// Full build of every firm's readiness (background batches), seconds.
    pub rebuild_s: f64,
    /// Firms registered through the API, one a second, while the build ran.
    pub writes_during_build: Vec<TimedWrite>,
    pub first_ms: f64,
    /// The page after following the cursor `LATER_PAGE` times.
    pub later_ms: f64,
    /// Median of the cursor pages 2..=LATER_PAGE.
    pub cursor_median_ms: f64,
    /// The whole ranking as CSV.
    pub export_ms: f64,
    pub export_bytes: usize,
    /// Peak resident memory of the process during the export above its resident memory
    /// before it (the peak reset first), KiB.
    pub export_hwm_growth_kib: u64,
    /// The whole ranking as XLSX.
    pub xlsx_ms: f64,
    pub xlsx_bytes: usize,
    pub xlsx_hwm_growth_kib: u64,
    pub summary_ms: f64,
}

fn get(port: u16, token: &str, target: &str) -> Result<(f64, Value, usize)> {
    let t = Instant::now();
    let response = http(port, "GET", target, token, None, b"")?;
    let elapsed = ms(t.elapsed());
    if response.status != 200 {
        bail!("GET {target}: HTTP {} {}", response.status, response.text());
    }
    Ok((elapsed, response.json(), response.body.len()))
}

/// Starts a build and waits for it, polling its progress; meanwhile a firm is registered
/// through the API every second, to show the build does not hold writes up (serials from
/// `first_serial`, so a later build registers new firms).
pub fn rebuild(port: u16, token: &str, first_serial: u32) -> Result<(f64, Vec<TimedWrite>)> {
    let t = Instant::now();
    let started = http(
        port,
        "POST",
        "/api/v1/candidates/readiness",
        token,
        None,
        b"",
    )?;
    if started.status != 202 {
        bail!(
            "readiness build: HTTP {} {}",
            started.status,
            started.text()
        );
    }
    let done = Arc::new(AtomicBool::new(false));
    let probing = {
        let (token, done) = (token.to_owned(), Arc::clone(&done));
        std::thread::spawn(move || {
            let every = (first_serial, Duration::from_secs(1));
            probe_until(port, &token, every, t, || done.load(Ordering::SeqCst))
        })
    };
    let waited = wait_for_build(port, token, t);
    done.store(true, Ordering::SeqCst);
    let writes = probing
        .join()
        .map_err(|_| anyhow::anyhow!("the write probe panicked"))??;
    Ok((waited?, writes))
}

fn wait_for_build(port: u16, token: &str, t: Instant) -> Result<f64> {
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let (_, builds, _) = get(port, token, "/api/v1/candidates/readiness")?;
        let finished = builds["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|b| b["finished_at"].is_string()));
        if finished {
            return Ok(t.elapsed().as_secs_f64());
        }
        if t.elapsed() > Duration::from_secs(3_600) {
            bail!("readiness build still running after an hour");
        }
    }
}

/// The whole ranking as a file, drained by the client: milliseconds, bytes, and how far the
/// process's peak resident memory rose above its resident memory before (KiB). The peak is
/// reset first (`/proc/self/clear_refs`), so earlier phases' peaks do not hide this one.
fn export(
    port: u16,
    token: &str,
    format: &str,
    memory: fn() -> (u64, u64),
) -> Result<(f64, usize, u64)> {
    if let Err(e) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("cannot reset the peak resident set ({e}); the export's growth is a lower bound");
    }
    let (_, rss_before) = memory();
    let t = Instant::now();
    let target = format!("/api/v1/candidates?scope=all&format={format}");
    let (status, bytes) = crate::http::get_drained(port, &target, token)?;
    let elapsed = ms(t.elapsed());
    if status != 200 {
        bail!("GET {target}: HTTP {status}");
    }
    Ok((elapsed, bytes, memory().0.saturating_sub(rss_before)))
}

pub fn from_table(port: u16, token: &str, memory: fn() -> (u64, u64)) -> Result<FromTable> {
    let (rebuild_s, writes_during_build) = rebuild(port, token, 500_000)?;
    let mut out = FromTable {
        rebuild_s,
        writes_during_build,
        ..FromTable::default()
    };
    let (first_ms, mut page, _) = get(port, token, FIRST_PAGE)?;
    out.first_ms = first_ms;
    let mut cursor_ms = Vec::new();
    for _ in 0..LATER_PAGE {
        let Some(cursor) = page["next_cursor"].as_str() else {
            break;
        };
        let (elapsed, next, _) = get(port, token, &format!("{FIRST_PAGE}&cursor={cursor}"))?;
        cursor_ms.push(elapsed);
        page = next;
    }
    out.later_ms = cursor_ms.last().copied().unwrap_or(0.0);
    cursor_ms.sort_by(f64::total_cmp);
    out.cursor_median_ms = cursor_ms.get(cursor_ms.len() / 2).copied().unwrap_or(0.0);
    (out.export_ms, out.export_bytes, out.export_hwm_growth_kib) =
        export(port, token, "csv", memory)?;
    (out.xlsx_ms, out.xlsx_bytes, out.xlsx_hwm_growth_kib) = export(port, token, "xlsx", memory)?;
    out.summary_ms = get(port, token, "/api/v1/candidates/summary")?.0;
    Ok(out)
}
