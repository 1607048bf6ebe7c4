//! (a) The import through the API: each synthetic file posted to `POST /api/v1/imports`
//! (mode `partial`), whole or in chunks of rows.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::http::{HttpResponse, http};

#[derive(Default)]
pub struct ImportOutcome {
    pub kind: String,
    pub rows_in_file: usize,
    pub bytes: u64,
    pub seconds: f64,
    pub requests: usize,
    pub fallback_413: bool,
    pub statuses: Vec<String>,
    pub counts: BTreeMap<String, i64>,
    /// (column, reason) -> (count, first line)
    pub errors: BTreeMap<(String, String), (usize, i64)>,
    pub failures: Vec<String>,
}

pub fn post_file(
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

impl ImportOutcome {
    pub fn raw(&self) -> Value {
        json!({
            "kind": self.kind, "rows": self.rows_in_file, "bytes": self.bytes, "seconds": self.seconds,
            "rows_per_s": self.rows_in_file as f64 / self.seconds.max(1e-9), "requests": self.requests,
            "fallback_413": self.fallback_413, "statuses": self.statuses, "counts": self.counts,
            "errors": self.errors.iter().map(|((c, r), (n, l))| json!({"column": c, "reason": r, "count": n, "first_line": l})).collect::<Vec<_>>(),
            "failures": self.failures,
        })
    }

    /// The report's note on this file, when it has fallbacks, failures or refused rows.
    pub fn notes(&self, md: &mut String) {
        if !(self.fallback_413 || !self.failures.is_empty() || !self.errors.is_empty()) {
            return;
        }
        md.push_str(&format!(
            "- **{}**: {} request(s){}",
            self.kind,
            self.requests,
            if self.fallback_413 {
                ", whole file refused with 413, resent in chunks of 50 000 rows"
            } else {
                ""
            }
        ));
        for f in &self.failures {
            md.push_str(&format!("; failure: `{f}`"));
        }
        md.push('\n');
        for ((column, reason), (n, line)) in self.errors.iter().take(15) {
            md.push_str(&format!(
                "  - {n} × `{column}`: {reason} (first line {line})\n"
            ));
        }
    }
}
