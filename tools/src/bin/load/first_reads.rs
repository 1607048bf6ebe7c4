//! Every firm read once, before the measured runs: the keyed read's cache (`app::keyed_read`)
//! starts empty, so these are the reads that go to the database, and afterwards the cache
//! holds the province (as a running registry does once its firms have been asked for).

use std::time::Instant;

use anyhow::Result;
use reqwest::{Client, StatusCode};

use crate::wrk::Run;

pub async fn first_reads(base: &str, token: &str, codes: &[String], workers: usize) -> Result<Run> {
    let client = Client::builder().pool_max_idle_per_host(workers).build()?;
    let share = codes.len().div_ceil(workers.max(1));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for own in codes.chunks(share.max(1)) {
        let (client, base, token, own) = (
            client.clone(),
            base.to_owned(),
            token.to_owned(),
            own.to_vec(),
        );
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::with_capacity(own.len()), 0u64);
            for code in own {
                let sent = Instant::now();
                let answer = client
                    .get(format!("{base}/api/v1/enterprises/{code}"))
                    .bearer_auth(&token)
                    .send()
                    .await;
                match answer {
                    Ok(response) if response.status() == StatusCode::OK => {
                        response.bytes().await?;
                        latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                    }
                    Ok(response) => {
                        errors += 1;
                        if errors <= 3 {
                            eprintln!("first read of {code}: {}", response.status());
                        }
                    }
                    Err(e) => {
                        errors += 1;
                        if errors <= 3 {
                            eprintln!("first read of {code}: {e}");
                        }
                    }
                }
            }
            anyhow::Ok((latencies, errors))
        }));
    }
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (own, failed) = task.await??;
        latencies.extend(own);
        errors += failed;
    }
    Ok(Run::from_latencies(
        "keyed GET, each firm's first read",
        workers,
        latencies,
        errors,
        started.elapsed().as_secs_f64(),
    ))
}

/// This process's resident memory in MiB (Linux), for what the cache costs.
pub fn resident_mib() -> Result<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmRSS in /proc/self/status"))?;
    Ok(kib / 1024.0)
}
