//! (d) Candidate screening before and after the readiness table: the first page assessed live,
//! then a full readiness build, then the first page, a later page by cursor, the full CSV
//! export and the summary read from the table.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde_json::Value;

use crate::http::http;
use crate::ms;

const FIRST_PAGE: &str = "/api/v1/candidates?scope=all&limit=50";
/// How many pages the cursor is followed before the timed one.
pub const LATER_PAGE: usize = 20;

/// The timings of screening read from the readiness table.
#[derive(Debug, Clone, Default)]
pub struct FromTable {
    /// Full build of every firm's readiness (background batches), seconds.
    pub rebuild_s: f64,
    pub first_ms: f64,
    /// The page after following the cursor `LATER_PAGE` times.
    pub later_ms: f64,
    /// Median of the cursor pages 2..=LATER_PAGE.
    pub cursor_median_ms: f64,
    /// The whole ranking as CSV.
    pub export_ms: f64,
    pub export_bytes: usize,
    /// Peak resident memory growth of the process across the export, KiB.
    pub export_hwm_growth_kib: u64,
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

/// Starts a build and waits for it, polling its progress.
fn rebuild(port: u16, token: &str) -> Result<f64> {
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

pub fn from_table(port: u16, token: &str, memory: fn() -> (u64, u64)) -> Result<FromTable> {
    let mut out = FromTable {
        rebuild_s: rebuild(port, token)?,
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
    let (hwm_before, _) = memory();
    let (export_ms, _, bytes) = get(port, token, "/api/v1/candidates?scope=all&format=csv")?;
    out.export_ms = export_ms;
    out.export_bytes = bytes;
    out.export_hwm_growth_kib = memory().0.saturating_sub(hwm_before);
    out.summary_ms = get(port, token, "/api/v1/candidates/summary")?.0;
    Ok(out)
}
