//! `xtask wasm-opt-runner WASM [ARGS...]`: cargo's runner for the release browser tests. It optimizes the test
//! binary with the wasm-opt on the tools PATH (binaryen 132, `-O1`), then hands the result to wasm-bindgen-test-runner,
//! so the tests run the code a release build ships, optimizer faults included.

use std::path::Path;
use std::process::ExitCode;

use crate::tools::WASM_FEATURES;
use crate::workspace::Workspace;

/// Optimizes `args[0]` and runs the tests in it with the rest of `args`.
pub fn run(ws: &Workspace, args: &[String]) -> Result<ExitCode, String> {
    let (wasm, rest) = args
        .split_first()
        .ok_or("usage: xtask wasm-opt-runner WASM [ARGS...]")?;
    let optimized = Path::new(wasm).with_extension("opt.wasm");
    let status = ws
        .command("wasm-opt")
        // -O1: the optimizer rewrites every function, which is what exposes a wasm-opt fault; -Oz takes
        // 10 s per 2 MB test binary here (2.5 minutes for the suite). The shipped -O/-Oz builds run in the
        // browser in the demo and npm package steps.
        .arg("-O1")
        .args(WASM_FEATURES)
        .arg(wasm)
        .arg("-o")
        .arg(&optimized)
        .status()
        .map_err(|e| format!("cannot run wasm-opt: {e}"))?;
    if !status.success() {
        return Err(format!("wasm-opt failed on {wasm}: {status}"));
    }
    let status = ws
        .command("wasm-bindgen-test-runner")
        .arg(&optimized)
        .args(rest)
        .status()
        .map_err(|e| format!("cannot run wasm-bindgen-test-runner: {e}"))?;
    Ok(
        match status.code().and_then(|code| u8::try_from(code).ok()) {
            Some(0) => ExitCode::SUCCESS,
            Some(code) => ExitCode::from(code),
            None => ExitCode::FAILURE,
        },
    )
}
