//! `cargo xtask`: the project's automation, written in Rust so it runs wherever cargo does.
//!
//! `cargo xtask test` installs what is missing, starts the echo server and runs every check CI runs;
//! `.ci/run` is nothing more than that command. `cargo xtask demo` serves the demo page; `cargo xtask bench`
//! measures browser-ws against raw JS and gloo-net.

mod bench;
mod cli;
mod cmd;
mod demo;
mod server;
mod steps;
mod tools;
mod version;
mod wasm_opt_runner;
mod workspace;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match cli::parse(&args) {
        Ok(cli::Command::Help) => {
            print!("{}", cli::help());
            ExitCode::SUCCESS
        }
        Ok(cli::Command::Test(options)) => match workspace::Workspace::detect() {
            Ok(ws) if steps::run(&ws, &options) => ExitCode::SUCCESS,
            Ok(_) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("xtask: {e}");
                ExitCode::FAILURE
            }
        },
        Ok(cli::Command::Demo(options)) => {
            match workspace::Workspace::detect().and_then(|ws| demo::run(&ws, &options)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("xtask: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Ok(cli::Command::Bench(options)) => {
            match workspace::Workspace::detect().and_then(|ws| bench::run(&ws, &options)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("xtask: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Ok(cli::Command::WasmOptRunner(args)) => {
            match workspace::Workspace::detect().and_then(|ws| wasm_opt_runner::run(&ws, &args)) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("xtask: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Err(e) => {
            eprintln!("xtask: {e}\n\n{}", cli::help());
            ExitCode::from(2)
        }
    }
}
