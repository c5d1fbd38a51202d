//! `cargo xtask bench`: browser-ws side by side with the browser's own `WebSocket` driven by plain JS and with
//! gloo-net, in one headless Chromium run.
//!
//! Builds, in release mode: the benchmark page's Rust clients (`bench/page`), the npm package (as `cargo xtask
//! package` makes it) and the minimal echo app written five ways (`bench/size/*`), each through wasm-bindgen and the
//! wasm-opt of tools/node_modules (binaryen), and the echo server; starts the echo server; and runs
//! tools/bench/run.mjs, which drives the page with playwright-core, prints the table and writes
//! target/bench/results.json, results.md and bench.svg. The chart is then copied to docs/bench.svg, which the
//! README shows.
//!
//! The echo server is a release build here (the tests use a debug one): a debug build is the bottleneck of the
//! backpressure workload (about 45 MB/s against 63), which would hide the clients' differences.

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Instant;

use crate::cli::BenchOptions;
use crate::cmd;
use crate::tools::{self, Tool, WASM_TARGET};
use crate::workspace::Workspace;

/// The Rust clients of the benchmark page.
const PAGE_CRATE: &str = "bench-page";

/// The minimal echo apps of the size comparison: `bench/size/<name>`, package `bench-size-<name>`.
const SIZE_APPS: [&str; 5] = [
    "browser-ws",
    "browser-ws-callback",
    "gloo-net",
    "web-sys",
    "web-sys-async",
];

/// Runs `cargo xtask bench`.
pub fn run(ws: &Workspace, options: &BenchOptions) -> Result<(), String> {
    let started = Instant::now();
    header("tools");
    let needed = BTreeSet::from([
        Tool::WasmTarget,
        Tool::WasmBindgen,
        Tool::WasmPack,
        Tool::NodeTools,
        Tool::Chrome,
    ]);
    let missing: Vec<String> = tools::ensure_all(ws, &needed, options.install)
        .into_iter()
        .filter_map(|(tool, result)| result.err().map(|why| format!("{}: {why}", tool.name())))
        .collect();
    if !missing.is_empty() {
        return Err(format!("cannot run the benchmarks: {}", missing.join("; ")));
    }

    let out = ws.target_dir().join("bench");
    header("build (release)");
    build(ws, &out)?;
    println!("--- built in {:.0} s", started.elapsed().as_secs_f64());

    header("echo server (release)");
    let server = ReleaseEchoServer::start(ws)?;

    header("benchmarks");
    let mut node = ws.command("node");
    node.arg("tools/bench/run.mjs")
        .env("BROWSER_WS_ECHO_URL", &server.url)
        .env("BENCH_DIR", &out)
        .env("BENCH_ECHO_PROFILE", "release build");
    if let Some(reps) = options.reps {
        node.env("BENCH_REPS", reps.to_string());
    }
    if options.quick {
        node.env("BENCH_REPS", options.reps.unwrap_or(2).to_string())
            .env("BENCH_CYCLES", "1000");
    }
    if let Some(chromium) = ws.which("chromium") {
        node.env("CHROMIUM", chromium);
    }
    let result = cmd::run(&mut node);
    drop(server);
    result?;

    if options.quick {
        println!("bench: --quick: docs/bench.svg left as it was");
    } else {
        let docs = ws.root.join("docs/bench.svg");
        fs::copy(out.join("bench.svg"), &docs)
            .map_err(|e| format!("cannot copy the chart to {}: {e}", docs.display()))?;
        println!("bench: chart copied to docs/bench.svg");
    }
    println!("bench: done in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Builds everything the page loads into `out`: `page/`, `npm/` and `size/<app>/`.
fn build(ws: &Workspace, out: &Path) -> Result<(), String> {
    // One cargo invocation, so both cores stay busy over the crates' shared dependencies.
    let mut cargo = ws.cargo();
    cargo.args([
        "build",
        "--release",
        "--target",
        WASM_TARGET,
        "--package",
        PAGE_CRATE,
    ]);
    for app in SIZE_APPS {
        cargo.args(["--package", &format!("bench-size-{app}")]);
    }
    cmd::run(&mut cargo)?;

    let wasm_dir = ws.target_dir().join(WASM_TARGET).join("release");
    // The page is optimized for speed, as wasm-pack does for the npm package (`wasm-opt -O`).
    bindgen(
        ws,
        &wasm_dir.join("bench_page.wasm"),
        &out.join("page"),
        "bench_page",
        "-O",
    )?;
    for app in SIZE_APPS {
        let wasm = wasm_dir.join(format!("bench_size_{}.wasm", app.replace('-', "_")));
        bindgen(ws, &wasm, &out.join("size").join(app), "app", "-Oz")?;
    }

    // The npm package exactly as it is published, made as `cargo xtask package` makes it (npm/pkg/): wasm-pack
    // runs cargo, wasm-bindgen and wasm-opt, then tools/npm-package.mjs finishes and packs it.
    cmd::run(
        ws.command("node")
            .arg("tools/npm-package.mjs")
            .arg(out.join("npm")),
    )
}

/// `wasm-bindgen --target web` into `dir` (emptied first), then `wasm-opt LEVEL` on the result.
fn bindgen(ws: &Workspace, wasm: &Path, dir: &Path, name: &str, level: &str) -> Result<(), String> {
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(|e| format!("cannot empty {}: {e}", dir.display()))?;
    }
    cmd::run(
        ws.command("wasm-bindgen")
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                name,
                "--out-dir",
            ])
            .arg(dir)
            .arg(wasm),
    )?;
    let bg = dir.join(format!("{name}_bg.wasm"));
    cmd::run(
        ws.command("wasm-opt")
            .arg(level)
            .args(tools::WASM_FEATURES)
            .arg(&bg)
            .arg("-o")
            .arg(&bg),
    )
}

/// `target/release/echo-server` on a free loopback port; dropping it stops the server.
struct ReleaseEchoServer {
    child: Child,
    url: String,
}

impl ReleaseEchoServer {
    /// Builds the server in release mode, starts it and reads its URL, the first line it prints.
    fn start(ws: &Workspace) -> Result<Self, String> {
        cmd::run(
            ws.cargo()
                .args(["build", "--release", "--package", "echo-server"]),
        )?;
        let binary = ws
            .target_dir()
            .join("release")
            .join(format!("echo-server{}", std::env::consts::EXE_SUFFIX));
        let mut command = ws.command(&binary);
        command
            .args(["--addr", "127.0.0.1:0", "--quiet"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        println!("$ {}", cmd::display(&command));
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut line = String::new();
        // The server prints its URL as soon as it listens and nothing else on stdout; it exits if it cannot.
        let read = child
            .stdout
            .take()
            .map(|stdout| BufReader::new(stdout).read_line(&mut line));
        let mut server = Self {
            child,
            url: line.trim().trim_end_matches('/').to_owned(),
        };
        if !matches!(read, Some(Ok(_))) || !server.url.starts_with("ws://") {
            let status = server.child.try_wait().ok().flatten();
            return Err(format!(
                "echo-server printed {line:?} instead of its URL (exit status: {status:?})"
            ));
        }
        println!("echo-server: listening at {}", server.url);
        Ok(server)
    }
}

impl Drop for ReleaseEchoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn header(title: &str) {
    println!("\n=== {title}");
}
