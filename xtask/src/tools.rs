//! Making sure each tool a step needs is installed, in the version the repository pins, and
//! installing it when it is not (unless `--no-install`).
//!
//! Checks are cheap (a `--version` call, a directory lookup, two mtimes), so warm runs pay almost
//! nothing. Nothing is downloaded outside the ordinary package clients: cargo, npm and apt.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use crate::cmd;
use crate::version::{self, Version};
use crate::workspace::Workspace;

/// The Wasm target everything browser-side is built for.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// wasm-opt's flags for the Wasm features rustc 1.95 enables by default for that target: wasm-opt must accept
/// them (the benchmark's builds, the release browser tests' runner).
pub const WASM_FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// The wasm-pack release xtask installs; the only pin that lives here (the others are in
/// Cargo.lock and tools/package.json).
const WASM_PACK_VERSION: &str = "0.15.1";

/// The Trunk release that builds and serves the demo page (`cargo xtask demo`, the demo-e2e step).
const TRUNK_VERSION: &str = "0.21.14";

/// Profile overrides (cargo config, which wins over a crate's `[profile.release]`) for `cargo install`.
const FAST_INSTALL_PROFILE: [(&str, &str); 2] = [
    ("CARGO_PROFILE_RELEASE_LTO", "off"),
    ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16"),
];

/// Something a step needs besides cargo and rustc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tool {
    /// The `wasm32-unknown-unknown` standard library (rustup target).
    WasmTarget,
    /// The standard library's source (rustup component `rust-src`), which the threads build recompiles.
    RustSrc,
    /// `wasm-bindgen` and `wasm-bindgen-test-runner`, exactly the library's wasm-bindgen version.
    WasmBindgen,
    /// `wasm-pack`, which drives wasm-bindgen, wasm-opt and the browser tests.
    WasmPack,
    /// `tools/node_modules`: wasm-opt (binaryen), playwright-core, TypeScript, and the bundlers (Vite, webpack,
    /// esbuild) that the js-package step builds its consumer apps with.
    NodeTools,
    /// Chromium and a chromedriver of the same major version.
    Chrome,
    /// `trunk`, which builds and serves the demo page; it runs the wasm-bindgen and wasm-opt found on PATH.
    Trunk,
    /// Firefox ESR and geckodriver, for the browser tests in Firefox.
    Firefox,
    /// WebKitGTK's MiniBrowser and WebKitWebDriver, and Xvfb for the display WebKit needs.
    WebKit,
}

impl Tool {
    /// How the tool is called in messages.
    pub fn name(self) -> &'static str {
        match self {
            Tool::WasmTarget => "wasm32 target",
            Tool::RustSrc => "rust-src",
            Tool::WasmBindgen => "wasm-bindgen",
            Tool::WasmPack => "wasm-pack",
            Tool::NodeTools => "node tools",
            Tool::Chrome => "chromium",
            Tool::Trunk => "trunk",
            Tool::Firefox => "firefox",
            Tool::WebKit => "webkit",
        }
    }
}

impl Tool {
    /// The Debian packages the tool comes from, if it comes from apt (the browsers).
    fn apt_packages(self) -> &'static [&'static str] {
        match self {
            Tool::Chrome => &["chromium", "chromium-driver"],
            Tool::Firefox => &["firefox-esr"],
            Tool::WebKit => &["webkit2gtk-driver", "xvfb"],
            _ => &[],
        }
    }

    /// Whether the packages of an apt tool are there (the check its `ensure` starts with).
    fn apt_part_found(self, ws: &Workspace) -> bool {
        match self {
            Tool::Chrome => chrome_found(ws).is_ok(),
            Tool::Firefox => firefox_found(ws).is_ok(),
            Tool::WebKit => webkit_found(ws).is_ok(),
            _ => true,
        }
    }
}

/// Which tools are usable; `Err` explains why one is not.
pub type Availability = BTreeMap<Tool, Result<(), String>>;

/// Checks (and installs, if `install`) each of `tools`, printing what it found or did.
pub fn ensure_all(ws: &Workspace, tools: &BTreeSet<Tool>, install: bool) -> Availability {
    let mut installer = Installer {
        ws,
        install,
        apt_updated: false,
    };
    if tools.is_empty() {
        println!("tools: none needed beyond cargo");
    }
    // The browsers' Debian packages, all in one apt-get run in the background: it waits on the network and dpkg
    // while the cargo installs keep the processors busy. Each browser's own check then finds them (or, if the
    // background run failed, installs them itself, in the open).
    let packages: Vec<&str> = tools
        .iter()
        .filter(|tool| !tool.apt_part_found(ws))
        .flat_map(|tool| tool.apt_packages().iter().copied())
        .collect();
    let logs = ws.target_dir().join("xtask-logs");
    std::thread::scope(|scope| {
        let mut background = (install && !packages.is_empty() && is_root(ws)).then(|| {
            println!(
                "tools: installing {} with apt-get in the background (logs: {})",
                packages.join(" "),
                logs.join("apt-*.log").display()
            );
            scope.spawn(|| apt_install_logged(ws, &packages, &logs))
        });
        tools
            .iter()
            .map(|&tool| {
                if !tool.apt_packages().is_empty() {
                    if let Some(running) = background.take() {
                        match running.join() {
                            Ok(Ok(())) => {
                                installer.apt_updated = true;
                                println!("tools: apt-get installed {}", packages.join(" "));
                            }
                            Ok(Err(why)) => println!("tools: apt-get in the background: {why}"),
                            Err(_) => println!("tools: apt-get in the background panicked"),
                        }
                    }
                }
                let result = installer.ensure(tool);
                match &result {
                    Ok(found) => println!("tools: {:<13} ok: {found}", tool.name()),
                    Err(why) => println!("tools: {:<13} UNAVAILABLE: {why}", tool.name()),
                }
                (tool, result.map(drop))
            })
            .collect()
    })
}

/// A crate installed with `cargo install`.
struct CargoTool {
    krate: &'static str,
    bin: &'static str,
    /// The exact version required; `None` accepts any.
    version: Option<Version>,
    /// `--locked`: use the crate's own Cargo.lock (reproducible) when that lock builds.
    locked: bool,
    /// Cargo features instead of the crate's defaults; `None` keeps the defaults.
    features: Option<&'static str>,
}

struct Installer<'a> {
    ws: &'a Workspace,
    install: bool,
    apt_updated: bool,
}

impl Installer<'_> {
    /// Returns a short description of what was found.
    fn ensure(&mut self, tool: Tool) -> Result<String, String> {
        match tool {
            Tool::WasmTarget => self.ensure_rustup_part(
                &Path::new("lib/rustlib").join(WASM_TARGET),
                &["target", "add", WASM_TARGET],
            ),
            Tool::RustSrc => self.ensure_rustup_part(
                Path::new("lib/rustlib/src/rust/library"),
                &["component", "add", "rust-src"],
            ),
            Tool::WasmBindgen => {
                let lock = fs::read_to_string(self.ws.root.join("Cargo.lock"))
                    .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
                self.ensure_cargo_tool(&CargoTool {
                    krate: "wasm-bindgen-cli",
                    bin: "wasm-bindgen",
                    // The CLI must be exactly the library's wasm-bindgen, so the lock is the pin.
                    version: Some(version::locked_version(&lock, "wasm-bindgen")?),
                    // The lockfile published with wasm-bindgen-cli pins a crate version that is no
                    // longer available, so `--locked` fails.
                    locked: false,
                    features: None,
                })
            }
            Tool::WasmPack => self.ensure_cargo_tool(&CargoTool {
                krate: "wasm-pack",
                bin: "wasm-pack",
                version: Version::parse(WASM_PACK_VERSION),
                locked: true,
                features: None,
            }),
            Tool::NodeTools => self.ensure_node_tools(),
            Tool::Chrome => self.ensure_chrome(),
            Tool::Trunk => self.ensure_cargo_tool(&CargoTool {
                krate: "trunk",
                bin: "trunk",
                version: Version::parse(TRUNK_VERSION),
                locked: true,
                // The defaults add `update_check`, which asks crates.io for a newer Trunk at every start.
                features: Some("rustls"),
            }),
            Tool::Firefox => self.ensure_firefox(),
            Tool::WebKit => self.ensure_webkit(),
        }
    }

    /// A part of the active toolchain that rustup adds: present when `dir` (relative to the sysroot) exists,
    /// else installed with `rustup ARGS`.
    fn ensure_rustup_part(&mut self, dir: &Path, args: &[&str]) -> Result<String, String> {
        let installed = || {
            let sysroot = cmd::first_line(self.ws.command("rustc").args(["--print", "sysroot"]))?;
            let path = Path::new(&sysroot).join(dir);
            path.is_dir().then_some(path)
        };
        if let Some(path) = installed() {
            return Ok(path.display().to_string());
        }
        let command = format!("rustup {}", args.join(" "));
        if !self.install {
            return Err(format!("not installed; run `{command}`"));
        }
        cmd::run(self.ws.command("rustup").args(args))?;
        installed()
            .map(|path| format!("installed {}", path.display()))
            .ok_or_else(|| format!("still missing after `{command}`"))
    }

    fn ensure_cargo_tool(&mut self, tool: &CargoTool) -> Result<String, String> {
        let found = || {
            let path = self.ws.which(tool.bin)?;
            let line = cmd::first_line(self.ws.command(&path).arg("--version"));
            Some((path, line.as_deref().and_then(Version::from_output)))
        };
        let problem = match (found(), &tool.version) {
            (Some((path, Some(have))), Some(want)) if have == *want => {
                return Ok(format!("{} {have} ({})", tool.bin, path.display()))
            }
            (Some((path, have)), None) => {
                let have = have.map_or("unknown version".into(), |v| v.to_string());
                return Ok(format!("{} {have} ({})", tool.bin, path.display()));
            }
            (Some((path, Some(have))), Some(_)) => format!("found {have} at {}", path.display()),
            (Some((path, None)), Some(_)) => {
                format!("{} has an unreadable version", path.display())
            }
            (None, _) => "not installed".to_owned(),
        };
        let mut args = vec!["install", tool.krate];
        let version = tool.version.as_ref().map(Version::to_string);
        if let Some(version) = &version {
            args.extend(["--version", version]);
        }
        if tool.locked {
            args.push("--locked");
        }
        if let Some(features) = tool.features {
            args.extend(["--no-default-features", "--features", features]);
        }
        if !self.install {
            return Err(format!("{problem}; run `cargo {}`", args.join(" ")));
        }
        println!("tools: {}: {problem}; installing", tool.bin);
        // Replaces an installed copy of another version.
        args.push("--force");
        let mut install = self.ws.cargo();
        install.args(&args);
        // The tools' own release profiles ask for fat LTO in one codegen unit (Trunk's alone took ten
        // minutes of a cold run on two cores); their speed does not need it.
        install.envs(FAST_INSTALL_PROFILE);
        cmd::run(&mut install)?;
        match (found(), &tool.version) {
            (Some((path, Some(have))), Some(want)) if have == *want => Ok(format!(
                "installed {} {have} ({})",
                tool.bin,
                path.display()
            )),
            (Some((path, _)), None) => Ok(format!("installed {} ({})", tool.bin, path.display())),
            (Some((path, _)), Some(want)) => Err(format!(
                "installed {want}, but {} comes first on PATH and is not that version",
                path.display()
            )),
            (None, _) => Err(format!("{} still not on PATH after installing", tool.bin)),
        }
    }

    fn ensure_node_tools(&mut self) -> Result<String, String> {
        // wasm-opt from npm is a Node script, so node is needed even when nothing is installed.
        for program in ["node", "npm"] {
            if self.ws.which(program).is_none() {
                return Err(format!(
                    "{program} is not on PATH: install Node.js {NODE_VERSIONS} with npm"
                ));
            }
        }
        let node = cmd::first_line(self.ws.command("node").arg("--version"));
        match node.as_deref().and_then(Version::parse) {
            Some(have) if node_is_recent(&have) => {}
            _ => {
                return Err(format!(
                    "node reports {:?}; the tools need Node.js {NODE_VERSIONS}",
                    node.unwrap_or_default()
                ))
            }
        }
        let dir = self.ws.tools_dir();
        let wasm_opt = self.ws.npm_bin().join("wasm-opt");
        let reason = npm_ci_reason(
            wasm_opt.exists(),
            modified(&dir.join("node_modules/.package-lock.json")),
            modified(&dir.join("package-lock.json")),
        );
        if let Some(reason) = reason {
            if !self.install {
                return Err(format!("{reason}; run `npm ci` in {}", dir.display()));
            }
            println!("tools: node tools: {reason}; installing");
            cmd::run(
                self.ws
                    .command("npm")
                    .args(["ci", "--no-audit", "--no-fund"])
                    .current_dir(&dir),
            )?;
        }
        // wasm-pack must run this wasm-opt, not another one further down PATH.
        if self.ws.which("wasm-opt").as_deref() != Some(wasm_opt.as_path()) {
            return Err(format!("{} is missing", wasm_opt.display()));
        }
        let package_json = fs::read_to_string(dir.join("package.json"))
            .map_err(|e| format!("cannot read tools/package.json: {e}"))?;
        let want = version::npm_pin(&package_json, "binaryen")
            .and_then(Version::parse)
            .ok_or("tools/package.json does not pin binaryen")?;
        let line = cmd::first_line(self.ws.command(&wasm_opt).arg("--version"));
        let have = line.as_deref().and_then(Version::from_output);
        match have {
            // wasm-opt reports only binaryen's major version.
            Some(have) if have.major() == want.major() => {
                Ok(format!("wasm-opt {have} ({})", wasm_opt.display()))
            }
            _ => Err(format!(
                "{} reports {:?}, expected binaryen {want}; delete tools/node_modules and retry",
                wasm_opt.display(),
                line.unwrap_or_default()
            )),
        }
    }

    fn ensure_chrome(&mut self) -> Result<String, String> {
        match chrome_found(self.ws) {
            Ok(found) => Ok(found),
            Err(problem) => {
                self.apt_install(Tool::Chrome.apt_packages(), &problem)?;
                chrome_found(self.ws).map_err(|e| format!("after installing: {e}"))
            }
        }
    }

    /// Firefox ESR from apt and geckodriver from crates.io, for the browser tests in Firefox.
    fn ensure_firefox(&mut self) -> Result<String, String> {
        let driver = self.ensure_cargo_tool(&CargoTool {
            krate: "geckodriver",
            bin: "geckodriver",
            // geckodriver supports a range of Firefox versions, so any recent release does; its published
            // lockfile is not needed to build it.
            version: None,
            locked: false,
            features: None,
        })?;
        let browser = match firefox_found(self.ws) {
            Ok(found) => found,
            Err(problem) => {
                self.apt_install(Tool::Firefox.apt_packages(), &problem)?;
                firefox_found(self.ws).map_err(|e| format!("after installing: {e}"))?
            }
        };
        Ok(format!("{browser}; {driver}"))
    }

    /// WebKitGTK from apt: `webkit2gtk-driver` brings WebKitWebDriver and, through libwebkit2gtk-4.1, the
    /// MiniBrowser it drives; `xvfb` the display.
    fn ensure_webkit(&mut self) -> Result<String, String> {
        match webkit_found(self.ws) {
            Ok(found) => Ok(found),
            Err(problem) => {
                self.apt_install(Tool::WebKit.apt_packages(), &problem)?;
                webkit_found(self.ws).map_err(|e| format!("after installing: {e}"))
            }
        }
    }

    /// Installs Debian packages when allowed and running as root; otherwise explains what to do.
    fn apt_install(&mut self, packages: &[&str], problem: &str) -> Result<(), String> {
        let list = packages.join(" ");
        if !self.install {
            return Err(format!(
                "{problem}; install with `apt-get install -y {list}`"
            ));
        }
        if !is_root(self.ws) {
            return Err(format!(
                "{problem}; as root, run `apt-get update && apt-get install -y {list}` (or the \
                 equivalent packages of your system)"
            ));
        }
        println!("tools: {problem}; installing {list}");
        if !self.apt_updated {
            cmd::run(&mut apt_get(self.ws, &["update"]))?;
            self.apt_updated = true;
        }
        cmd::run(apt_get(self.ws, &["install", "-y"]).args(packages))
    }
}

/// `apt-get ARGS`, waiting for the package lock when another apt or dpkg holds it rather than failing.
fn apt_get(ws: &Workspace, args: &[&str]) -> Command {
    let mut apt = ws.command("apt-get");
    apt.args(["-o", "DPkg::Lock::Timeout=900"])
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive");
    apt
}

/// Installs `packages` with one `apt-get update` and one `apt-get install`, their output in files under `logs`:
/// what `ensure_all` runs in the background.
fn apt_install_logged(ws: &Workspace, packages: &[&str], logs: &Path) -> Result<(), String> {
    cmd::run_logged(&mut apt_get(ws, &["update"]), &logs.join("apt-update.log"))?;
    cmd::run_logged(
        apt_get(ws, &["install", "-y"]).args(packages),
        &logs.join("apt-install.log"),
    )
}

/// Chromium and its driver, of one major version.
fn chrome_found(ws: &Workspace) -> Result<String, String> {
    browser_and_driver(ws, &["chromium"], "chromedriver")
}

/// Firefox (ESR or not) and its version.
fn firefox_found(ws: &Workspace) -> Result<String, String> {
    let path = ["firefox-esr", "firefox"]
        .into_iter()
        .find_map(|name| ws.which(name))
        .ok_or("firefox not found")?;
    let line = cmd::first_line(ws.command(&path).arg("--version"));
    let version = line.as_deref().and_then(Version::from_output);
    let version = version.map_or("unknown version".into(), |v| v.to_string());
    Ok(format!("firefox {version} ({})", path.display()))
}

/// WebKitWebDriver, the MiniBrowser it starts, and Xvfb.
fn webkit_found(ws: &Workspace) -> Result<String, String> {
    let driver = ws
        .which("WebKitWebDriver")
        .ok_or("WebKitWebDriver not found")?;
    let browser = minibrowser().ok_or("WebKitGTK's MiniBrowser not found")?;
    let xvfb = ws.which("Xvfb").ok_or("Xvfb not found")?;
    let version = cmd::first_line(ws.command("dpkg-query").args([
        "-W",
        "-f",
        "${Version}",
        "libwebkit2gtk-4.1-0",
    ]));
    let version = version.map_or_else(|| "version unknown".into(), |v| format!("WebKitGTK {v}"));
    Ok(format!(
        "{} ({version}), {}, {}",
        browser.display(),
        driver.display(),
        xvfb.display()
    ))
}

/// Finds a browser (the first of `browsers` on PATH) and its driver, and checks that their
/// major versions agree: a driver only supports its own browser release.
fn browser_and_driver(ws: &Workspace, browsers: &[&str], driver: &str) -> Result<String, String> {
    let version_of = |name: &str| {
        let path = ws.which(name).ok_or(format!("{name} not found"))?;
        // Debian's chromium wrapper complains on stderr when run as root: ignore stderr.
        let line = cmd::first_line(ws.command(&path).arg("--version"));
        let version = line
            .as_deref()
            .and_then(Version::from_output)
            .ok_or(format!("{} --version says {line:?}", path.display()))?;
        Ok::<_, String>((path, version))
    };
    let (browser, browser_version) = browsers
        .iter()
        .find(|b| ws.which(b).is_some())
        .map_or_else(
            || Err(format!("{} not found", browsers[0])),
            |b| version_of(b),
        )?;
    let (driver, driver_version) = version_of(driver)?;
    if browser_version.major() != driver_version.major() {
        return Err(format!(
            "{} {browser_version} and {} {driver_version} do not match",
            browser.display(),
            driver.display()
        ));
    }
    Ok(format!(
        "{} {browser_version}, {} {driver_version}",
        browser.display(),
        driver.display()
    ))
}

/// WebKitGTK's MiniBrowser, which WebKitWebDriver starts: in the library directory of libwebkit2gtk-4.1
/// (`/usr/lib/<multiarch>/webkit2gtk-4.1/` on Debian, `/usr/libexec/webkit2gtk-4.1/` elsewhere).
pub fn minibrowser() -> Option<PathBuf> {
    let multiarch = fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path());
    multiarch
        .chain([PathBuf::from("/usr/libexec")])
        .map(|dir| dir.join("webkit2gtk-4.1/MiniBrowser"))
        .find(|path| path.is_file())
}

/// Whether xtask runs as root (as CI does): apt-get works, and WebKit needs its sandbox turned off.
pub fn is_root(ws: &Workspace) -> bool {
    cmd::first_line(ws.command("id").arg("-u")).as_deref() == Some("0")
}

fn modified(path: &Path) -> Option<SystemTime> {
    path.metadata().and_then(|m| m.modified()).ok()
}

/// Why `npm ci` must run in tools/, if it must: nothing installed yet, or package-lock.json is
/// newer than the copy npm keeps of what it last installed (`node_modules/.package-lock.json`).
fn npm_ci_reason(
    wasm_opt_exists: bool,
    installed: Option<SystemTime>,
    lock: Option<SystemTime>,
) -> Option<&'static str> {
    match (wasm_opt_exists, installed, lock) {
        (false, _, _) => Some("tools/node_modules is not installed"),
        (true, None, _) => Some("tools/node_modules has no record of its installation"),
        (true, Some(installed), Some(lock)) if installed < lock => {
            Some("tools/package-lock.json changed since the last install")
        }
        _ => None,
    }
}

/// The Node.js versions the tools run on: Vite 8's range (`^20.19.0 || >=22.12.0`), which also covers the
/// scripts' `import.meta.dirname` and `node --test --test-force-exit`.
const NODE_VERSIONS: &str = "20.19+ or 22.12+";

fn node_is_recent(version: &Version) -> bool {
    let at_least = |text: &str| Version::parse(text).is_some_and(|min| *version >= min);
    (version.major() == 20 && at_least("20.19")) || at_least("22.12")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn node_must_be_in_vites_range() {
        let recent = |text: &str| node_is_recent(&Version::parse(text).unwrap());
        for ok in ["v20.19.0", "v20.20.2", "v22.12.0", "v24.1.0"] {
            assert!(recent(ok), "{ok}");
        }
        for old in ["v18.20.4", "v20.18.3", "v21.7.0", "v22.11.0"] {
            assert!(!recent(old), "{old}");
        }
    }

    #[test]
    fn npm_ci_runs_only_when_needed() {
        let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let new = old + Duration::from_secs(1);
        assert!(npm_ci_reason(false, Some(new), Some(old)).is_some());
        assert!(npm_ci_reason(true, None, Some(old)).is_some());
        assert!(npm_ci_reason(true, Some(old), Some(new)).is_some());
        assert_eq!(npm_ci_reason(true, Some(new), Some(old)), None);
        assert_eq!(npm_ci_reason(true, Some(old), Some(old)), None);
    }

    #[test]
    fn wasm_pack_and_trunk_pins_parse() {
        for pin in [WASM_PACK_VERSION, TRUNK_VERSION] {
            assert_eq!(
                Version::parse(pin).map(|v| v.to_string()),
                Some(pin.to_owned())
            );
        }
    }

    #[test]
    fn the_repository_pins_binaryen_and_wasm_bindgen() {
        let ws = Workspace::detect().unwrap();
        let package_json = fs::read_to_string(ws.tools_dir().join("package.json")).unwrap();
        assert!(version::npm_pin(&package_json, "binaryen").is_some());
        // `cargo test` has resolved the workspace, so the lock exists.
        let lock = fs::read_to_string(ws.root.join("Cargo.lock")).unwrap();
        version::locked_version(&lock, "wasm-bindgen").unwrap();
    }
}
