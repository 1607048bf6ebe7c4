//! Single API writes timed while something long runs (an import, a readiness build): each
//! registers a new firm through `POST /api/v1/enterprises`, in a credit-code space the
//! synthetic province never uses (subject identifiers `XY…`), so none collides with it.

use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use enterprise_registry::domain::credit_code::check_character;
use serde_json::{Value, json};

use crate::http::http;
use crate::ms;

/// One timed write: when it started (seconds after the long job began), how long it took and
/// the status it got.
#[derive(Debug, Clone, Copy)]
pub struct TimedWrite {
    pub at_s: f64,
    pub ms: f64,
    pub status: u16,
}

impl TimedWrite {
    pub fn raw(&self) -> Value {
        json!({"at_s": self.at_s, "ms": self.ms, "status": self.status})
    }
}

/// The `serial`th probe firm's credit code (Nanjing Xuanwu, 320102).
fn probe_code(serial: u32) -> Result<String> {
    let first17 = format!("91320102XY{:06}0", serial % 1_000_000);
    let check = check_character(&first17).ok_or_else(|| anyhow!("no check character"))?;
    Ok(format!("{first17}{check}"))
}

/// Registers the `serial`th probe firm and times it.
pub fn timed_create(port: u16, token: &str, serial: u32, since: Instant) -> Result<TimedWrite> {
    let body = json!({
        "credit_code": probe_code(serial)?,
        "name": format!("写入探测{serial}号科技有限公司"),
        "region_code": "320102",
        "registered_on": "2018-03-01",
        "industry_code": "C3491",
        "tech_domain": "advanced_manufacturing_and_automation",
        "above_scale": true
    });
    let bytes = serde_json::to_vec(&body)?;
    let at_s = since.elapsed().as_secs_f64();
    let started = Instant::now();
    let response = http(
        port,
        "POST",
        "/api/v1/enterprises",
        token,
        Some("application/json"),
        &bytes,
    )?;
    let write = TimedWrite {
        at_s,
        ms: ms(started.elapsed()),
        status: response.status,
    };
    if response.status != 201 {
        eprintln!(
            "  probe write {serial}: HTTP {} {}",
            response.status,
            response.text()
        );
    }
    Ok(write)
}

/// Writes one probe firm every `every` until `done()` says the long job is over; the first
/// write goes after one interval, so it lands inside the job.
pub fn probe_until(
    port: u16,
    token: &str,
    (first_serial, every): (u32, Duration),
    since: Instant,
    done: impl Fn() -> bool,
) -> Result<Vec<TimedWrite>> {
    let mut writes = Vec::new();
    let mut serial = first_serial;
    let mut next = Instant::now() + every;
    loop {
        while Instant::now() < next {
            if done() {
                return Ok(writes);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        writes.push(timed_create(port, token, serial, since)?);
        serial += 1;
        next += every;
    }
}

/// The largest latency of `writes`, in milliseconds.
pub fn max_ms(writes: &[TimedWrite]) -> f64 {
    writes.iter().map(|w| w.ms).fold(0.0, f64::max)
}
