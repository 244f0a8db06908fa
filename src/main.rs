//! The `datakeep` binary: parse the command line, then hand over to the library.

use std::process::ExitCode;

use clap::Parser;
use datakeep::config::{Cli, Command};
use datakeep::{App, telemetry};

/// jemalloc: per-thread caches make the many small allocations of a
/// request cheaper than glibc's contended arenas, at a small footprint
/// (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    // A missing .env is normal; its variables only fill what the environment lacks.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let _log_flusher = match telemetry::init(&cli.config.log_level) {
        Ok(guard) => guard,
        Err(err) => {
            eprintln!("datakeep: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("datakeep: starting the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            eprintln!("datakeep: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Schema => print!("{}", datakeep::graphql::sdl()),
        Command::Migrate => {
            App::migrate(&config).await?;
            tracing::info!("migrations applied");
        }
        Command::Serve => {
            let app = App::build(&config).await?;
            let listener = tokio::net::TcpListener::bind(config.listen_addr).await?;
            tracing::info!(address = %config.listen_addr, "datakeep listening");
            app.serve(listener, datakeep::app::shutdown_signal())
                .await?;
        }
    }
    Ok(())
}
