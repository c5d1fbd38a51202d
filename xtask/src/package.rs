//! `cargo xtask package`: the publishable npm package. Installs what is missing (the wasm32 target,
//! wasm-bindgen, wasm-pack, and the node tools whose wasm-opt wasm-pack must run), then runs
//! `tools/npm-package.mjs`, which builds the package with `wasm-pack build --release --target web -- --features
//! js`, adds the `exports` map, `module`, `sideEffects` and the npm README (npm/README.md), and packs it into
//! `target/npm/browser-ws-X.Y.Z.tgz`, for `npm publish`. The js-package step of `cargo xtask test` makes and
//! tests the package with the same script.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::cli::PackageOptions;
use crate::cmd;
use crate::tools::{self, Tool};
use crate::workspace::Workspace;

/// The tools the package build needs.
const TOOLS: [Tool; 4] = [
    Tool::WasmTarget,
    Tool::WasmBindgen,
    Tool::WasmPack,
    Tool::NodeTools,
];

/// Where the package and its tarball go: `target/npm` (under `CARGO_TARGET_DIR` when set).
pub fn out_dir(ws: &Workspace) -> PathBuf {
    ws.target_dir().join("npm")
}

/// Runs `cargo xtask package`.
pub fn run(ws: &Workspace, options: &PackageOptions) -> Result<(), String> {
    println!("\n=== tools");
    let needed = BTreeSet::from(TOOLS);
    let missing: Vec<String> = tools::ensure_all(ws, &needed, options.install)
        .into_iter()
        .filter_map(|(tool, result)| result.err().map(|why| format!("{}: {why}", tool.name())))
        .collect();
    if !missing.is_empty() {
        return Err(format!("cannot build the package: {}", missing.join("; ")));
    }
    println!("\n=== package");
    cmd::run(
        ws.command("node")
            .arg("tools/npm-package.mjs")
            .arg(out_dir(ws)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_package_goes_to_target_npm() {
        let ws = Workspace::detect().unwrap();
        assert!(out_dir(&ws).ends_with("npm"));
        assert!(ws.root.join("tools/npm-package.mjs").is_file());
        assert!(ws.root.join("npm/README.md").is_file());
    }
}
