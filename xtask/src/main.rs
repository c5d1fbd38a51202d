//! `cargo xtask`: the project's automation, written in Rust so it runs wherever cargo does.
//!
//! `cargo xtask test` installs what is missing, starts the echo server and runs every check CI runs;
//! `.ci/run` is nothing more than that command. `cargo xtask demo` serves the demo page; `cargo xtask bench`
//! measures browser-ws against raw JS and gloo-net; `cargo xtask package` makes the npm package.

mod bench;
mod cli;
mod cmd;
mod demo;
mod display;
mod package;
mod server;
mod steps;
mod tools;
mod version;
mod wasm_opt_runner;
mod workspace;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match cli::parse(&args) {
        Ok(cli::Command::Help) => {
            print!("{}", cli::help());
            return ExitCode::SUCCESS;
        }
        Ok(command) => command,
        Err(e) => {
            eprintln!("xtask: {e}\n\n{}", cli::help());
            return ExitCode::from(2);
        }
    };
    // Every command but help works in the checkout; any failure to run is reported the same way.
    let ran = workspace::Workspace::detect().and_then(|mut ws| match command {
        cli::Command::Help => Ok(ExitCode::SUCCESS),
        cli::Command::Test(options) => {
            ws.skip_incremental_caches_when_cold();
            let passed = steps::run(&ws, &options);
            Ok(if passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        cli::Command::Demo(options) => demo::run(&ws, &options).map(|()| ExitCode::SUCCESS),
        cli::Command::Bench(options) => bench::run(&ws, &options).map(|()| ExitCode::SUCCESS),
        cli::Command::Package(options) => package::run(&ws, &options).map(|()| ExitCode::SUCCESS),
        cli::Command::WasmOptRunner(args) => wasm_opt_runner::run(&ws, &args),
    });
    ran.unwrap_or_else(|e| {
        eprintln!("xtask: {e}");
        ExitCode::FAILURE
    })
}
