//! `cargo run`: all three services in one process on embedded SQLite, with demo data.
//! `cargo run -- token --role city --region 320500`: a signed bearer token on stdout.
//! `cargo run -- openapi`: regenerates the committed OpenAPI documents.
//! `hte-suite healthcheck enterprise-registry`: exit 0 when that service on this machine is
//! ready (containers' health checks: the slim image has no curl).
//! `cargo run -- synthetic --firms 200000 --seed 57 --out data/synthetic`: a synthetic
//! province as import CSV files.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use hte_shared::auth::{AuthKeys, Role};
use hte_shared::config::{CommonConfig, Env};
use hte_shared::regions::{PROVINCE_CODE, RegionCode};
use hte_shared::service::{Application, Config, openapi};

use enterprise_registry::startup::EnterpriseRegistry;
use monitoring::startup::Monitoring;
use target_allocation::startup::TargetAllocation;

#[derive(Parser)]
#[command(
    name = "hte-suite",
    version,
    about = "Jiangsu HTE cultivation services"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start enterprise-registry, target-allocation and monitoring (the default).
    Serve,
    /// Print a signed bearer token (uses JWT_SECRET, or the development key in DATA_DIR).
    Token {
        /// province, city, county, auditor or service
        #[arg(long)]
        role: Role,
        /// Region the caller acts for, e.g. 320000 (province), 320500 (苏州市), 320583 (昆山市)
        #[arg(long, default_value = "320000")]
        region: RegionCode,
        /// Subject (who the token is for)
        #[arg(long, default_value = "developer")]
        subject: String,
        /// Lifetime in hours
        #[arg(long, default_value_t = 12)]
        ttl_hours: i64,
    },
    /// Exit 0 when a service on this machine answers GET /readyz with 200, else 1.
    Healthcheck {
        /// The service; its port comes from its configuration (e.g. REGISTRY_PORT)
        service: ServiceName,
        /// Port to ask instead of the configured one
        #[arg(long)]
        port: Option<u16>,
        /// Seconds to wait for the answer
        #[arg(long, default_value_t = 3)]
        timeout_secs: u64,
    },
    /// Write the three OpenAPI documents generated from the code.
    Openapi {
        #[arg(long, default_value = "openapi")]
        out: PathBuf,
    },
    /// Write a synthetic Jiangsu province as the registry's import CSV files.
    Synthetic {
        /// Number of enterprises
        #[arg(long, default_value_t = 200_000)]
        firms: usize,
        /// Seed (the same seed gives the same files on the same day)
        #[arg(long, default_value_t = 57)]
        seed: u64,
        /// Output folder
        #[arg(long, default_value = "data/synthetic")]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ServiceName {
    EnterpriseRegistry,
    TargetAllocation,
    Monitoring,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve().await,
        Command::Token {
            role,
            region,
            subject,
            ttl_hours,
        } => {
            if hte_shared::regions::find(&region).is_none() {
                anyhow::bail!("{region} is not a Jiangsu region code");
            }
            let keys = AuthKeys::from_config(&CommonConfig::from_env(&Env::Process)?)
                .context("loading the JWT key")?;
            let token = keys.sign(&subject, role, &region, chrono::Duration::hours(ttl_hours))?;
            // Never print a token the services would refuse (e.g. a city role with a county).
            if let Err(problem) = keys.verify(&token) {
                anyhow::bail!("{}", problem.detail.unwrap_or_default());
            }
            println!("{token}");
            Ok(())
        }
        Command::Healthcheck {
            service,
            port,
            timeout_secs,
        } => healthcheck(service, port, std::time::Duration::from_secs(timeout_secs)).await,
        Command::Openapi { out } => write_openapi(&out),
        Command::Synthetic { firms, seed, out } => {
            let summary = hte_tools::synthetic::generate(firms, seed, &out)
                .with_context(|| format!("writing the synthetic province to {}", out.display()))?;
            println!("wrote {} (seed {seed}): {summary}", out.display());
            Ok(())
        }
    }
}

async fn serve() -> anyhow::Result<()> {
    let env = Env::Process;
    let registry_config = Config::<EnterpriseRegistry>::from_env(&env)?;
    let allocation_config = Config::<TargetAllocation>::from_env(&env)?;
    let monitoring_config = Config::<Monitoring>::from_env(&env)?;
    let common = registry_config.common.clone();
    hte_shared::telemetry::init_tracing(common.log_format, "info");
    let keys = AuthKeys::from_config(&common).context("loading the JWT key")?;

    let registry = Application::build(registry_config, keys.clone())
        .await
        .context("starting enterprise-registry")?;
    let seeded = hte_tools::demo::seed_if_empty(registry.db())
        .await
        .map_err(|e| anyhow::anyhow!("seeding demo data: {e}"))?;
    if seeded > 0 {
        tracing::info!(enterprises = seeded, "demo registry seeded");
    }
    let allocation = Application::build(allocation_config, keys.clone())
        .await
        .context("starting target-allocation")?;
    let monitoring = Application::build(monitoring_config, keys.clone())
        .await
        .context("starting monitoring")?;

    let host = match common.host {
        std::net::IpAddr::V4(v4) if v4.is_unspecified() => "127.0.0.1".to_owned(),
        ip => ip.to_string(),
    };
    let token = keys.sign(
        "demo-province-official",
        Role::Province,
        &PROVINCE_CODE,
        chrono::Duration::hours(12),
    )?;
    println!();
    println!(
        "Jiangsu HTE services are running (data in {}):",
        common.data_dir.display()
    );
    for (name, port) in [
        ("enterprise-registry", registry.port()),
        ("target-allocation", allocation.port()),
        ("monitoring", monitoring.port()),
    ] {
        println!("  {name:<20} http://{host}:{port}/api/v1   docs http://{host}:{port}/docs/");
    }
    println!();
    if keys.accepts_hs256() {
        println!("Province token for the demo (valid 12 hours):");
        println!("  export TOKEN={token}");
        println!(
            "  curl -H \"Authorization: Bearer $TOKEN\" http://{host}:{}/api/v1/regions/320500",
            registry.port()
        );
    } else {
        println!("Sign-on is through the identity platform (OIDC_ISSUER): no demo token.");
    }
    println!("Other roles: cargo run -- token --role city --region 320500");
    println!();

    hte_shared::server::run_until_signal(vec![
        registry.into_server(),
        allocation.into_server(),
        monitoring.into_server(),
    ])
    .await?;
    Ok(())
}

/// GET /readyz on the service's own address (loopback when it binds every interface).
async fn healthcheck(
    service: ServiceName,
    port: Option<u16>,
    timeout: std::time::Duration,
) -> anyhow::Result<()> {
    let env = Env::Process;
    let config = match service {
        ServiceName::EnterpriseRegistry => {
            enterprise_registry::config::RegistryConfig::from_env(&env)?.service
        }
        ServiceName::TargetAllocation => {
            target_allocation::config::AllocationConfig::from_env(&env)?.service
        }
        ServiceName::Monitoring => monitoring::config::MonitoringConfig::from_env(&env)?.service,
    };
    let host = match config.host {
        ip if ip.is_unspecified() => std::net::IpAddr::from([127, 0, 0, 1]),
        ip => ip,
    };
    let address = std::net::SocketAddr::new(host, port.unwrap_or(config.port));
    hte_shared::http_client::install_crypto_provider();
    let client = reqwest::Client::builder().timeout(timeout).build()?;
    let response = client
        .get(format!("http://{address}/readyz"))
        .send()
        .await
        .with_context(|| format!("{} at {address} does not answer", config.name))?;
    let status = response.status();
    if !status.is_success() {
        let body = match response.text().await {
            Ok(body) => body,
            Err(e) => format!("(the body could not be read: {e})"),
        };
        anyhow::bail!(
            "{} at {address} is not ready ({status}): {body}",
            config.name
        );
    }
    Ok(())
}

fn write_openapi(out: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    for (file, doc) in [
        ("enterprise-registry.json", openapi::<EnterpriseRegistry>()),
        ("target-allocation.json", openapi::<TargetAllocation>()),
        ("monitoring.json", openapi::<Monitoring>()),
    ] {
        let path = out.join(file);
        let text = hte_shared::openapi::to_pretty_json(&doc)
            .with_context(|| format!("rendering {file}"))?;
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
