//! (b) Statistics: `GET /api/v1/statistics` against the same grouped SQL on a direct
//! connection to the same database, each timed after warm-ups.

use std::time::Instant;

use anyhow::{Result, bail};
use chrono::{Datelike, NaiveDate};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use enterprise_registry::db::statistics::{
    GroupBy, GroupCounts, GroupNew, StatisticsQuery, counts_sql, new_certificates_sql,
};
use serde_json::{Value, json};

use super::http::http;
use super::{median, ms};

/// Timed runs of the API at one level: the times and the last answer's totals.
fn api_runs(port: u16, token: &str, target: &str, runs: usize) -> Result<(Vec<f64>, Value)> {
    let mut times = Vec::new();
    let mut last = Value::Null;
    for i in 0..(3 + runs) {
        let t = Instant::now();
        let response = http(port, "GET", target, token, None, b"")?;
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
}

/// What the direct SQL found: times, registered and HTE firms, groups with firms.
struct SqlRuns {
    times: Vec<f64>,
    registered: i64,
    hte: i64,
    groups: usize,
}

fn sql_runs(url: &str, group_by: GroupBy, as_of: NaiveDate, runs: usize) -> Result<SqlRuns> {
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
    let mut conn = PgConnection::establish(url)?;
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
    Ok(SqlRuns {
        times,
        registered: last.0.iter().map(|c| c.registered).sum(),
        hte: last.0.iter().map(|c| c.hte).sum(),
        groups: last.0.len(),
    })
}

/// Both sides at the city and the county level; one JSON record per level.
pub async fn compare(
    port: u16,
    token: &str,
    api_url: &str,
    as_of: NaiveDate,
    runs: usize,
) -> Result<Vec<Value>> {
    let mut statistics = Vec::new();
    for (level, group_by) in [("city", GroupBy::City), ("county", GroupBy::County)] {
        let target = format!("/api/v1/statistics?level={level}&as_of={as_of}");
        let token = token.to_owned();
        let (api_times, api_totals) =
            tokio::task::spawn_blocking(move || api_runs(port, &token, &target, runs)).await??;
        let url = api_url.to_owned();
        let sql =
            tokio::task::spawn_blocking(move || sql_runs(&url, group_by, as_of, runs)).await??;
        let (api_median, sql_median) = (median(api_times.clone()), median(sql.times.clone()));
        let api_registered = api_totals.get("registered").and_then(Value::as_i64);
        let api_hte = api_totals.get("hte").and_then(Value::as_i64);
        println!(
            "statistics level={level}: API median {api_median:.1} ms, SQL median {sql_median:.1} ms, ratio {:.2} (groups {}; registered API {api_registered:?} / SQL {}; hte API {api_hte:?} / SQL {})",
            api_median / sql_median.max(1e-9),
            sql.groups,
            sql.registered,
            sql.hte
        );
        statistics.push(json!({
            "level": level,
            "as_of": as_of.to_string(),
            "api_median_ms": api_median,
            "sql_median_ms": sql_median,
            "ratio_api_over_sql": api_median / sql_median.max(1e-9),
            "api_ms": api_times,
            "sql_ms": sql.times,
            "groups_with_firms": sql.groups,
            "registered": {"api": api_registered, "sql": sql.registered},
            "hte": {"api": api_hte, "sql": sql.hte},
        }));
    }
    Ok(statistics)
}
