//! The authenticated write mix: each worker owns its own enterprises (so no two writers race
//! for one ETag) and alternates a name change (`PATCH` with `If-Match`) and a refiled annual
//! report (`PUT` with `If-Match`), each after the `GET` that yields its ETag.

use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use reqwest::{Client, StatusCode};
use serde_json::json;

use crate::wrk::Run;

/// What one worker measured: write latencies (ms) and failed requests.
struct Tally {
    latencies: Vec<f64>,
    errors: u64,
}

pub async fn write_mix(
    base: &str,
    token: &str,
    codes: &[String],
    workers: usize,
    seconds: u64,
) -> Result<Run> {
    let client = Client::builder().pool_max_idle_per_host(workers).build()?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let share = codes.len() / workers.max(1);
    let mut tasks = Vec::new();
    for worker in 0..workers {
        let own = codes[worker * share..(worker + 1) * share].to_vec();
        let (client, base, token) = (client.clone(), base.to_owned(), token.to_owned());
        tasks.push(tokio::spawn(async move {
            work(&client, &base, &token, &own, deadline).await
        }));
    }
    let started = Instant::now();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let tally = task.await?;
        latencies.extend(tally.latencies);
        errors += tally.errors;
    }
    Ok(Run::from_latencies(
        "writes (PATCH + report PUT)",
        workers,
        latencies,
        errors,
        started.elapsed().as_secs_f64(),
    ))
}

async fn work(client: &Client, base: &str, token: &str, own: &[String], until: Instant) -> Tally {
    let mut tally = Tally {
        latencies: Vec::new(),
        errors: 0,
    };
    for (round, code) in own.iter().cycle().enumerate() {
        if Instant::now() >= until {
            break;
        }
        let outcome = if round % 2 == 0 {
            rename(client, base, token, code, round).await
        } else {
            refile(client, base, token, code, round).await
        };
        match outcome {
            Ok(ms) => tally.latencies.push(ms),
            Err(e) => {
                tally.errors += 1;
                if tally.errors <= 3 {
                    eprintln!("write failed: {e:#}");
                }
            }
        }
    }
    tally
}

/// GET the enterprise, then PATCH its name with its ETag; the PATCH's latency in ms.
async fn rename(client: &Client, base: &str, token: &str, code: &str, round: usize) -> Result<f64> {
    let url = format!("{base}/api/v1/enterprises/{code}");
    let etag = etag_of(client.get(&url).bearer_auth(token).send().await?)?;
    let started = Instant::now();
    let response = client
        .patch(&url)
        .bearer_auth(token)
        .header("If-Match", etag)
        .json(&json!({ "name": format!("压测企业{code}第{round}次") }))
        .send()
        .await?;
    expect(response, StatusCode::OK).await?;
    Ok(started.elapsed().as_secs_f64() * 1000.0)
}

/// GET last year's annual report, then PUT it again with its ETag (or file it when absent).
async fn refile(client: &Client, base: &str, token: &str, code: &str, round: usize) -> Result<f64> {
    let url = format!("{base}/api/v1/enterprises/{code}/annual-reports/2025");
    let current = client.get(&url).bearer_auth(token).send().await?;
    let etag = match current.status() {
        StatusCode::NOT_FOUND => None,
        _ => Some(etag_of(current)?),
    };
    let mut request = client.put(&url).bearer_auth(token).json(&json!({
        "employees": 50 + round % 50, "st_staff": 12,
        "total_income_yuan": 30_000_000, "sales_revenue_yuan": 28_000_000,
        "hightech_income_yuan": 20_000_000, "rd_expense_yuan": 1_800_000,
        "rd_expense_domestic_yuan": 1_700_000, "total_assets_yuan": 40_000_000,
        "invention_patents": 1, "class2_ip": 4
    }));
    if let Some(etag) = etag {
        request = request.header("If-Match", etag);
    }
    let started = Instant::now();
    let response = request.send().await?;
    let status = response.status();
    if status != StatusCode::OK && status != StatusCode::CREATED {
        return Err(anyhow!("PUT {url}: {status} {}", response.text().await?));
    }
    Ok(started.elapsed().as_secs_f64() * 1000.0)
}

fn etag_of(response: reqwest::Response) -> Result<String> {
    if response.status() != StatusCode::OK {
        return Err(anyhow!("GET {}: {}", response.url(), response.status()));
    }
    let etag = response
        .headers()
        .get("etag")
        .ok_or_else(|| anyhow!("GET {} has no ETag", response.url()))?;
    Ok(etag.to_str()?.to_owned())
}

async fn expect(response: reqwest::Response, status: StatusCode) -> Result<()> {
    if response.status() == status {
        return Ok(());
    }
    let (url, actual) = (response.url().clone(), response.status());
    Err(anyhow!("{url}: {actual} {}", response.text().await?))
}
