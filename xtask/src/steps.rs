//! `cargo xtask test`: the checks CI runs, in order. Every selected step runs even after another
//! one failed, so one run reports everything; a summary table ends the output.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::cli::TestOptions;
use crate::cmd;
use crate::display::VirtualDisplay;
use crate::server::EchoServer;
use crate::tools::{self, Tool, WASM_TARGET};
use crate::workspace::Workspace;

/// The library's features, all enabled where the whole library is checked.
const FEATURES: &str = "js,demo,typed";

/// The features of the browser suite: the JS API (tests/browser/js_api.rs, the worker's JS client) and the typed
/// layer (tests/browser/typed.rs).
const SUITE_FEATURES: &str = "js,typed";

/// The environment variable through which the browser tests learn the echo server's URL (they read
/// it at compile time with `option_env!`).
const ECHO_URL_VAR: &str = "BROWSER_WS_ECHO_URL";

/// The environment variable that gives the browser tests a loopback URL on which nothing listens.
const REFUSED_URL_VAR: &str = "BROWSER_WS_REFUSED_URL";

/// The soak test's cycle counts in Firefox, WebKit and the threads build (compile-time variables of
/// tests/soak.rs): the full soak runs once, in the Chromium debug run, to keep the whole command within its time
/// budget.
const SHORT_SOAK: [(&str, &str); 2] = [
    ("BROWSER_WS_SOAK_SERIAL", "2000"),
    ("BROWSER_WS_SOAK_BATCHES", "2"),
];

/// One check of `cargo xtask test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `cargo fmt --check` over the workspace.
    Fmt,
    /// Clippy on the library for Wasm, with every feature and target.
    ClippyWasm,
    /// Clippy on the library with `js` alone, the npm package's feature set (code shared with `typed` that only
    /// one of them uses shows here).
    ClippyJs,
    /// Clippy on the native crates (echo-server, xtask).
    ClippyNative,
    /// rustdoc on the library for Wasm, warnings denied (broken links, bad code blocks).
    Doc,
    /// `cargo test --workspace`: native unit tests, doc tests, echo-server and xtask tests.
    NativeTests,
    /// The wasm-bindgen tests in headless Chromium against the echo server.
    BrowserTests,
    /// The same tests in headless Firefox ESR (a shorter soak: see `SHORT_SOAK`).
    BrowserTestsFirefox,
    /// The same tests in Chromium but the soak (`ALL_BUT_THE_SOAK`), built in release mode and run through
    /// wasm-opt -O1 (binaryen 132), where optimizer faults show.
    BrowserTestsRelease,
    /// The same tests in Chromium as a threads build: shared Wasm memory (`+atomics`), with the standard
    /// library rebuilt for it (see `THREADS_RUSTFLAGS`). tests/browser/threads.rs runs only here and in the next
    /// step.
    BrowserTestsThreads,
    /// The threads build in Firefox ESR, reusing that build: everything but the soak (`ALL_BUT_THE_SOAK`).
    BrowserTestsThreadsFirefox,
    /// The demo page, built by Trunk in release mode, driven in headless Chromium (tools/e2e/demo.test.mjs).
    DemoE2e,
    /// The npm package: made as `cargo xtask package` makes it and packed, wasm-pack builds (bundler, and without
    /// `js`), and from the tarball: `tsc --strict` on a consumer, a Node (server-side rendering) import, and Vite,
    /// webpack 5 and esbuild apps in headless Chromium; the release build driven there by a plain page
    /// (tools/e2e/js-package.test.mjs), with the package's size budget.
    JsPackage,
    /// The browser suite, the worker tests and the short soak in WebKit (WebKitGTK's MiniBrowser, driven by
    /// WebKitWebDriver as a Safari driver, on the run's virtual display), reusing the debug build.
    BrowserTestsWebkit,
    /// The demo's end-to-end test in WebKit, over plain W3C WebDriver (tools/webkit.mjs).
    DemoE2eWebkit,
    /// The npm package's page in WebKit, over plain W3C WebDriver; builds only the web package it loads.
    JsPackageWebkit,
    /// The minimal echo app's size budget (tools/e2e/size-budget.test.mjs): built as the bench builds it, its
    /// gzipped size at most 5% over bench/size/budget.json.
    SizeBudget,
}

impl Step {
    /// Every step, in the order they start (lanes one and two run side by side; see `Lane`).
    pub const ALL: [Step; 17] = [
        Step::Fmt,
        Step::ClippyNative,
        Step::NativeTests,
        Step::BrowserTests,
        Step::BrowserTestsFirefox,
        Step::BrowserTestsRelease,
        Step::BrowserTestsThreads,
        Step::BrowserTestsThreadsFirefox,
        Step::DemoE2e,
        Step::JsPackage,
        Step::BrowserTestsWebkit,
        Step::DemoE2eWebkit,
        Step::JsPackageWebkit,
        Step::ClippyWasm,
        Step::ClippyJs,
        Step::Doc,
        Step::SizeBudget,
    ];

    /// The name used by `--only` and in the output.
    pub fn name(self) -> &'static str {
        match self {
            Step::Fmt => "fmt",
            Step::ClippyWasm => "clippy-wasm",
            Step::ClippyJs => "clippy-js",
            Step::ClippyNative => "clippy-native",
            Step::Doc => "doc",
            Step::NativeTests => "native-tests",
            Step::BrowserTests => "browser-tests",
            Step::BrowserTestsFirefox => "browser-tests-firefox",
            Step::BrowserTestsRelease => "browser-tests-release",
            Step::BrowserTestsThreads => "browser-tests-threads",
            Step::BrowserTestsThreadsFirefox => "browser-tests-threads-firefox",
            Step::DemoE2e => "demo-e2e",
            Step::JsPackage => "js-package",
            Step::BrowserTestsWebkit => "browser-tests-webkit",
            Step::DemoE2eWebkit => "demo-e2e-webkit",
            Step::JsPackageWebkit => "js-package-webkit",
            Step::SizeBudget => "size-budget",
        }
    }

    /// The step called `name`.
    pub fn from_name(name: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Tools the step needs besides cargo and rustc.
    fn tools(self) -> &'static [Tool] {
        match self {
            Step::Fmt | Step::ClippyNative | Step::NativeTests => &[],
            Step::ClippyWasm | Step::ClippyJs | Step::Doc => &[Tool::WasmTarget],
            Step::SizeBudget => &[Tool::WasmTarget, Tool::WasmBindgen, Tool::NodeTools],
            Step::BrowserTests => &[
                Tool::WasmTarget,
                Tool::WasmBindgen,
                Tool::WasmPack,
                Tool::NodeTools,
                Tool::Chrome,
            ],
            Step::BrowserTestsFirefox => &[
                Tool::WasmTarget,
                Tool::WasmBindgen,
                Tool::WasmPack,
                Tool::NodeTools,
                Tool::Firefox,
            ],
            Step::BrowserTestsRelease => &[
                Tool::WasmTarget,
                Tool::WasmBindgen,
                Tool::NodeTools,
                Tool::Chrome,
            ],
            Step::BrowserTestsThreads => &[Tool::RustSrc, Tool::WasmBindgen, Tool::Chrome],
            Step::BrowserTestsThreadsFirefox => &[Tool::RustSrc, Tool::WasmBindgen, Tool::Firefox],
            Step::DemoE2e => &[
                Tool::WasmTarget,
                Tool::WasmBindgen,
                Tool::NodeTools,
                Tool::Chrome,
                Tool::Trunk,
            ],
            Step::JsPackage => &[
                Tool::WasmTarget,
                Tool::WasmBindgen,
                Tool::WasmPack,
                Tool::NodeTools,
                Tool::Chrome,
            ],
            Step::BrowserTestsWebkit => &[Tool::WasmTarget, Tool::WasmBindgen, Tool::WebKit],
            Step::DemoE2eWebkit => &[
                Tool::WasmTarget,
                Tool::WasmBindgen,
                Tool::NodeTools,
                Tool::Trunk,
                Tool::WebKit,
            ],
            Step::JsPackageWebkit => &[
                Tool::WasmTarget,
                Tool::WasmBindgen,
                Tool::WasmPack,
                Tool::NodeTools,
                Tool::WebKit,
            ],
        }
    }

    /// Which lane the step runs in (see `Lane`).
    fn lane(self) -> Lane {
        match self {
            Step::Fmt | Step::ClippyNative | Step::NativeTests => Lane::First,
            Step::BrowserTests
            | Step::BrowserTestsFirefox
            | Step::BrowserTestsWebkit
            | Step::DemoE2e
            | Step::DemoE2eWebkit
            | Step::ClippyWasm
            | Step::ClippyJs
            | Step::SizeBudget => Lane::One,
            Step::BrowserTestsRelease
            | Step::BrowserTestsThreads
            | Step::BrowserTestsThreadsFirefox
            | Step::JsPackage
            | Step::JsPackageWebkit
            | Step::Doc => Lane::Two,
        }
    }

    /// The checks, which build and read the code but run nothing in a browser.
    fn is_check(self) -> bool {
        matches!(
            self,
            Step::Fmt
                | Step::ClippyWasm
                | Step::ClippyJs
                | Step::ClippyNative
                | Step::Doc
                | Step::NativeTests
                | Step::SizeBudget
        )
    }

    fn needs_echo_server(self) -> bool {
        !self.is_check()
    }

    /// WebKit's steps, which need the virtual display.
    fn is_webkit(self) -> bool {
        matches!(
            self,
            Step::BrowserTestsWebkit | Step::DemoE2eWebkit | Step::JsPackageWebkit
        )
    }

    /// The command to run; `services` is set for the steps after the checks.
    fn command(
        self,
        ws: &Workspace,
        options: &TestOptions,
        services: Option<&Services<'_>>,
    ) -> Command {
        let mut cmd;
        match self {
            Step::Fmt => {
                cmd = ws.cargo();
                cmd.args(["fmt", "--all", "--", "--check"]);
            }
            Step::ClippyWasm => {
                cmd = ws.cargo();
                cmd.args(["clippy", "--package", "browser-ws", "--target", WASM_TARGET])
                    .args([
                        "--all-targets",
                        "--features",
                        FEATURES,
                        "--",
                        "-D",
                        "warnings",
                    ]);
            }
            Step::ClippyJs => {
                cmd = ws.cargo();
                cmd.args(["clippy", "--package", "browser-ws", "--target", WASM_TARGET])
                    .args(["--lib", "--features", "js", "--", "-D", "warnings"]);
            }
            Step::ClippyNative => {
                cmd = ws.cargo();
                cmd.args(["clippy", "--package", "echo-server", "--package", "xtask"])
                    .args(["--all-targets", "--", "-D", "warnings"]);
            }
            Step::SizeBudget => {
                // The echo app's release build (LTO, one codegen unit: mostly one core) comes last in lane one,
                // beside js-package's tests in the browser and the bundlers, rather than after them.
                cmd = ws.command("node");
                cmd.args([
                    NODE_TEST,
                    NODE_TEST_FORCE_EXIT,
                    "tools/e2e/size-budget.test.mjs",
                ]);
            }
            Step::Doc => {
                cmd = ws.cargo();
                cmd.args([
                    "doc",
                    "--package",
                    "browser-ws",
                    "--no-deps",
                    "--features",
                    FEATURES,
                    "--target",
                    WASM_TARGET,
                ])
                .env("RUSTDOCFLAGS", "-D warnings");
            }
            Step::NativeTests => {
                cmd = ws.cargo();
                // With the demo and typed features: their pure-logic tests and the README's typed examples.
                cmd.args([
                    "test",
                    "--workspace",
                    "--features",
                    "browser-ws/demo,browser-ws/typed",
                ]);
                if options.release {
                    cmd.arg("--release");
                }
            }
            Step::BrowserTests | Step::BrowserTestsFirefox => {
                cmd = ws.command("wasm-pack");
                cmd.args(["test", "--headless"]);
                // Never let wasm-pack download a driver: use the one `tools` checked.
                let (browser, driver_flag, driver) = match self {
                    Step::BrowserTestsFirefox => ("--firefox", "--geckodriver", "geckodriver"),
                    _ => ("--chrome", "--chromedriver", "chromedriver"),
                };
                cmd.arg(browser);
                if let Some(path) = ws.which(driver) {
                    cmd.arg(driver_flag).arg(path);
                }
                if self == Step::BrowserTestsFirefox {
                    // Firefox has no `gc()` to force and runs the cycles slower: a shorter soak.
                    cmd.envs(SHORT_SOAK);
                }
                if options.release {
                    cmd.arg("--release");
                }
                // Last: wasm-pack hands what follows its own options to `cargo build` and `cargo test`
                // (see SUITE_FEATURES).
                cmd.args(["--features", SUITE_FEATURES]);
                if self == Step::BrowserTestsFirefox {
                    // The doc tests compile only, whatever the browser: browser-tests has them. (Not `--tests`,
                    // which wasm-pack already gives its `cargo build`.)
                    cmd.args(["--lib", "--test", "*"]);
                }
            }
            Step::BrowserTestsRelease => {
                // wasm-pack cannot run wasm-opt on test binaries, so cargo runs them through
                // `xtask wasm-opt-runner`, which optimizes each one before wasm-bindgen-test-runner loads it.
                cmd = ws.cargo();
                cmd.args([
                    "test",
                    "--target",
                    WASM_TARGET,
                    "--release",
                    "--features",
                    SUITE_FEATURES,
                    "--no-fail-fast",
                ])
                // Not the doc tests, which compile only, and browser-tests has them (in a release build each is one
                // more link, and a target directory holding other feature sets' rlibs can confuse rustdoc); nor
                // the soak, whose leak checks test this crate's ownership of sockets and closures, which the
                // optimizer does not change, and which the debug, threads, Firefox and WebKit runs have.
                .args(ALL_BUT_THE_SOAK);
                let runner = std::env::current_exe()
                    .map_or_else(|_| "xtask".to_owned(), |exe| exe.display().to_string());
                run_in_browser(
                    ws,
                    &mut cmd,
                    &format!("{runner} wasm-opt-runner"),
                    Driver::Chrome,
                );
                // opt-level "z" and wasm-opt are what can miscompile; LTO on each of the test binaries
                // would cost minutes, and the shipped LTO builds run in the demo and npm package steps.
                cmd.env("CARGO_PROFILE_RELEASE_LTO", "false")
                    .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16");
            }
            Step::BrowserTestsThreads => {
                cmd = threads_build(ws, options);
                // The doc tests compile only: browser-tests has them.
                cmd.arg("--tests");
                run_in_browser(ws, &mut cmd, "wasm-bindgen-test-runner", Driver::Chrome);
            }
            Step::BrowserTestsThreadsFirefox => {
                cmd = threads_build(ws, options);
                cmd.args(ALL_BUT_THE_SOAK);
                run_in_browser(ws, &mut cmd, "wasm-bindgen-test-runner", Driver::Gecko);
            }
            Step::DemoE2e => {
                // The test builds the page with `trunk build --release` and serves it with /echo
                // forwarded to the echo server; playwright-core comes from tools/node_modules.
                cmd = ws.command("node");
                cmd.args([NODE_TEST, NODE_TEST_FORCE_EXIT, "tools/e2e/demo.test.mjs"]);
                if let Some(chromium) = ws.which("chromium") {
                    cmd.env("CHROMIUM", chromium);
                }
            }
            Step::JsPackage => {
                // The test runs the wasm-pack builds (release, always: the release build is what ships and
                // what the browser must see), `npm pack`, `tsc` and the bundlers itself; playwright-core and the
                // bundlers come from tools/node_modules.
                cmd = ws.command("node");
                cmd.args([
                    NODE_TEST,
                    NODE_TEST_FORCE_EXIT,
                    "tools/e2e/js-package.test.mjs",
                ]);
                if let Some(chromium) = ws.which("chromium") {
                    cmd.env("CHROMIUM", chromium);
                }
            }
            Step::BrowserTestsWebkit => {
                // The same cargo build as wasm-pack's in browser-tests (same target directory, features and
                // compile-time variables but the soak's), so only the soak binary is compiled again, and not even
                // that after browser-tests-firefox.
                cmd = ws.cargo();
                // `--tests`: not the doc tests, which compile only, and do natively in native-tests.
                cmd.args([
                    "test",
                    "--target",
                    WASM_TARGET,
                    "--features",
                    SUITE_FEATURES,
                ])
                .args(["--tests", "--no-fail-fast"]);
                if options.release {
                    cmd.arg("--release");
                }
                run_in_browser(ws, &mut cmd, "wasm-bindgen-test-runner", Driver::WebKit);
            }
            Step::DemoE2eWebkit | Step::JsPackageWebkit => {
                // The same tests as demo-e2e and js-package, driving WebKit over WebDriver (tools/webkit.mjs)
                // instead of Chromium through Playwright, which cannot drive a WebKit it did not build.
                cmd = ws.command("node");
                let test = match self {
                    Step::DemoE2eWebkit => "tools/e2e/demo.test.mjs",
                    _ => "tools/e2e/js-package.test.mjs",
                };
                cmd.args([NODE_TEST, NODE_TEST_FORCE_EXIT, test])
                    .env(E2E_BROWSER_VAR, "webkit");
                if let Some(driver) = ws.which(Driver::WebKit.program()) {
                    cmd.env("WEBKIT_WEBDRIVER", driver);
                }
                if let Some(browser) = tools::minibrowser() {
                    cmd.env("WEBKIT_MINIBROWSER", browser);
                }
            }
        }
        if self.needs_echo_server() {
            // The soak test alone runs for minutes; the runner's default limit is 20 s.
            cmd.env("WASM_BINDGEN_TEST_TIMEOUT", "900");
        }
        if let Some(services) = services {
            cmd.env(ECHO_URL_VAR, services.echo_url);
            if let Some(refused) = services.refused_url {
                cmd.env(REFUSED_URL_VAR, refused);
            }
            if self.is_webkit() {
                if let Some(display) = services.display {
                    cmd.env("DISPLAY", display);
                }
                // As root (as CI runs), WebKit starts its processes only with its sandbox turned off.
                if tools::is_root(ws) {
                    cmd.env("WEBKIT_DISABLE_SANDBOX_THIS_IS_DANGEROUS", "1");
                }
            }
        }
        cmd
    }
}

/// What the steps after the checks share. One refused URL for the whole run, since the browser tests read it at
/// compile time: a new one per step would make every step compile the test binaries again.
#[derive(Debug, Clone, Copy)]
struct Services<'a> {
    /// The echo server's base URL.
    echo_url: &'a str,
    /// A loopback URL on which nothing listens.
    refused_url: Option<&'a str>,
    /// The virtual display for WebKit (`DISPLAY`), when a WebKit step runs.
    display: Option<&'a str>,
}

/// The environment variable that tells the end-to-end tests which browser to drive (`webkit`; Chromium if unset).
const E2E_BROWSER_VAR: &str = "BROWSER_WS_E2E_BROWSER";

/// A WebDriver server the test runner can drive a browser through.
#[derive(Debug, Clone, Copy)]
enum Driver {
    /// chromedriver, for Chromium.
    Chrome,
    /// geckodriver, for Firefox.
    Gecko,
    /// WebKitGTK's WebKitWebDriver, which the runner drives as a Safari driver.
    WebKit,
}

impl Driver {
    /// The driver's executable.
    fn program(self) -> &'static str {
        match self {
            Driver::Chrome => "chromedriver",
            Driver::Gecko => "geckodriver",
            Driver::WebKit => "WebKitWebDriver",
        }
    }

    /// The variable through which wasm-bindgen-test-runner is given the driver, and so the browser.
    fn variable(self) -> &'static str {
        match self {
            Driver::Chrome => "CHROMEDRIVER",
            Driver::Gecko => "GECKODRIVER",
            Driver::WebKit => "SAFARIDRIVER",
        }
    }
}

/// Sets up `cargo test --target wasm32-unknown-unknown` to run each test binary through `runner` (a
/// wasm-bindgen-test-runner) in the browser of `driver` (the runner picks the browser from which of
/// `GECKODRIVER`, `SAFARIDRIVER` and `CHROMEDRIVER` is set, in that order, so only one is), with the short soak.
fn run_in_browser(ws: &Workspace, cmd: &mut Command, runner: &str, driver: Driver) {
    cmd.env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", runner)
        .env("WASM_BINDGEN_TEST_ONLY_WEB", "1")
        .envs(SHORT_SOAK);
    for other in [Driver::Chrome, Driver::Gecko, Driver::WebKit] {
        cmd.env_remove(other.variable());
    }
    if let Some(path) = ws.which(driver.program()) {
        cmd.env(driver.variable(), path);
    }
}

/// `cargo test` of the browser suite as a threads build, in its own target directory (a std built with other
/// flags must not mix with the others' builds).
fn threads_build(ws: &Workspace, options: &TestOptions) -> Command {
    let mut cmd = ws.cargo();
    cmd.args(["test", "--target", WASM_TARGET])
        .args(["-Z", "build-std=std,panic_abort"])
        .args(["--features", SUITE_FEATURES, "--no-fail-fast"]);
    if options.release {
        cmd.arg("--release");
    }
    // `-Z build-std` and `+atomics` are unstable, and a nightly toolchain is not always at hand (CI has only the
    // pinned stable one): RUSTC_BOOTSTRAP lets this stable toolchain build them.
    cmd.env("RUSTC_BOOTSTRAP", "1")
        .env("RUSTFLAGS", THREADS_RUSTFLAGS.join(" "))
        .env("CARGO_TARGET_DIR", ws.target_dir().join("threads"));
    cmd
}

/// `node --test`, for the end-to-end steps.
const NODE_TEST: &str = "--test";
/// The runner ends when the tests have, even if something a failed test left open (a server, a browser that
/// never started) would keep it alive: the step fails instead of hanging the run.
const NODE_TEST_FORCE_EXIT: &str = "--test-force-exit";

/// The test binaries but the soak (cargo target options), for the runs that leave it out: the release build, and
/// the threads build in Firefox (the Chromium run has its soak).
const ALL_BUT_THE_SOAK: [&str; 5] = ["--lib", "--test", "browser", "--test", "worker"];

/// The threads build's flags: atomics, and the linker flags wasm-bindgen's threads support expects (shared,
/// imported memory with a maximum, and the TLS symbols exported).
const THREADS_RUSTFLAGS: [&str; 8] = [
    "-C target-feature=+atomics,+bulk-memory",
    "-C link-arg=--shared-memory",
    "-C link-arg=--max-memory=1073741824",
    "-C link-arg=--import-memory",
    "-C link-arg=--export=__wasm_init_tls",
    "-C link-arg=--export=__tls_size",
    "-C link-arg=--export=__tls_align",
    "-C link-arg=--export=__tls_base",
];

/// Where a step runs. The first lane runs before the others, one step after another: the quick native checks,
/// whose build of the native dependencies the echo server then reuses. Then lanes one and two run side by side,
/// each step in its lane after the other: the browser suites spend most of their time waiting on the network
/// and the browser (the soak above all), and the other lane's compiles fill that time. Steps that share a build
/// share a lane (the debug suites in Chromium, Firefox and WebKit; the threads suites; each end-to-end test in
/// Chromium, then in WebKit). The Wasm checks come last in lane one (`doc` last in lane two), where they fill the
/// time the other lane's last steps wait (rather than first, where they would hold the build directory's lock
/// against the debug suites' build), with the echo app's size budget; the lanes take about as long as each other
/// (measured: 634 s and 596 s of steps with `doc` in lane one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lane {
    First,
    One,
    Two,
}

/// How one step went.
#[derive(Debug)]
struct Outcome {
    step: Step,
    result: Result<(), String>,
    seconds: f64,
}

/// Runs `cargo xtask test`; true if every selected step passed.
pub fn run(ws: &Workspace, options: &TestOptions) -> bool {
    let selected: Vec<Step> = Step::ALL
        .into_iter()
        .filter(|s| options.only.as_ref().is_none_or(|only| only.contains(s)))
        .collect();

    header("tools");
    let needed: BTreeSet<Tool> = selected.iter().flat_map(|s| s.tools()).copied().collect();
    let available = tools::ensure_all(ws, &needed, options.install);
    // Chromium leaves a profile directory of about 28 MB in the temporary directory whenever a test runner
    // kills its driver, which is every run of every test binary: about 1 GB per `cargo xtask test` that /tmp
    // would keep. So the steps get a temporary directory of their own, emptied before and after the run.
    let tmp = ws.target_dir().join("xtask-tmp");
    let _ = fs::remove_dir_all(&tmp);
    if let Err(e) = fs::create_dir_all(&tmp) {
        println!("xtask: cannot create {}: {e}", tmp.display());
    }
    let mut runner = StepRunner {
        ws,
        options,
        available: &available,
        tmp: &tmp,
        echo: None,
        refused_url: None,
        display: Ok(None),
    };

    let mut outcomes: Vec<Outcome> = selected
        .iter()
        .filter(|s| s.lane() == Lane::First)
        .map(|&step| runner.run(step, None))
        .collect();
    let lanes: Vec<Vec<Step>> = [Lane::One, Lane::Two]
        .into_iter()
        .map(|lane| {
            selected
                .iter()
                .copied()
                .filter(|s| s.lane() == lane)
                .collect()
        })
        .filter(|steps: &Vec<Step>| !steps.is_empty())
        .collect();
    // Stopped (by its guard) before the summary.
    let server = selected.iter().any(|s| s.needs_echo_server()).then(|| {
        header("echo server");
        EchoServer::start(ws)
    });
    runner.echo = server
        .as_ref()
        .map(|server| server.as_ref().map(|s| s.url()).map_err(String::as_str));
    if server.is_some() {
        runner.refused_url = crate::server::unused_loopback_url();
    }
    // Likewise the display, started only for WebKit.
    let display = selected
        .iter()
        .any(|s| s.is_webkit())
        .then(|| VirtualDisplay::start(ws));
    runner.display = match &display {
        None => Ok(None),
        Some(Ok(display)) => Ok(Some(display.name())),
        Some(Err(why)) => Err(why.as_str()),
    };
    let runner = &runner;
    if let [lane] = lanes.as_slice() {
        outcomes.extend(lane.iter().map(|&step| runner.run(step, None)));
    } else {
        let logs = ws.target_dir().join("xtask-logs");
        std::thread::scope(|scope| {
            let running: Vec<_> = lanes
                .iter()
                .map(|lane| {
                    let logs = &logs;
                    scope.spawn(move || {
                        lane.iter()
                            .map(|&step| runner.run(step, Some(logs)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for lane in running {
                match lane.join() {
                    Ok(done) => outcomes.extend(done),
                    Err(_) => println!("xtask: a lane of steps panicked"),
                }
            }
        });
    }

    let _ = fs::remove_dir_all(&tmp);
    header("summary");
    outcomes.sort_by_key(|o| Step::ALL.iter().position(|&s| s == o.step));
    print!("{}", summary(&outcomes));
    outcomes.len() == selected.len() && outcomes.iter().all(|o| o.result.is_ok())
}

/// What every step needs to run.
struct StepRunner<'a> {
    ws: &'a Workspace,
    options: &'a TestOptions,
    available: &'a tools::Availability,
    /// TMPDIR for every step.
    tmp: &'a Path,
    /// The echo server's URL, or why it did not start (`None` when no selected step needs it).
    echo: Option<Result<&'a str, &'a str>>,
    /// The run's refused URL, see `Services`.
    refused_url: Option<String>,
    /// The virtual display for WebKit's steps (`None` when none runs), or why it did not start.
    display: Result<Option<&'a str>, &'a str>,
}

impl StepRunner<'_> {
    /// Runs one step, with the echo server if it needs it. With `logs`, the step runs alongside others: its
    /// output goes to a file in that directory, printed in one piece when the step ends.
    fn run(&self, step: Step, logs: Option<&Path>) -> Outcome {
        let log = logs.map(|dir| dir.join(format!("{}.log", step.name())));
        match &log {
            Some(log) => println!("=== {}: started (log: {})", step.name(), log.display()),
            None => header(step.name()),
        }
        let started = Instant::now();
        let result = self.missing_tools(step).and_then(|()| {
            let echo = if step.needs_echo_server() {
                self.echo
            } else {
                None
            };
            let services = match echo {
                Some(Ok(echo_url)) => Some(Services {
                    echo_url,
                    refused_url: self.refused_url.as_deref(),
                    display: match self.display {
                        Err(why) if step.is_webkit() => return Err(format!("xvfb: {why}")),
                        Err(_) => None,
                        Ok(display) => display,
                    },
                }),
                Some(Err(why)) => return Err(format!("echo server: {why}")),
                None => None,
            };
            let mut cmd = step.command(self.ws, self.options, services.as_ref());
            cmd.env("TMPDIR", self.tmp);
            match &log {
                Some(log) => cmd::run_logged(&mut cmd, log),
                None => cmd::run(&mut cmd),
            }
        });
        let seconds = started.elapsed().as_secs_f64();
        let mut out = String::new();
        if let Some(log) = &log {
            let _ = writeln!(out, "\n=== {} (log: {})", step.name(), log.display());
            out.push_str(&String::from_utf8_lossy(&fs::read(log).unwrap_or_default()));
        }
        match &result {
            Ok(()) => {
                let _ = writeln!(out, "--- {}: ok ({seconds:.1} s)", step.name());
            }
            Err(why) => {
                let _ = writeln!(out, "--- {}: FAILED ({seconds:.1} s): {why}", step.name());
            }
        }
        // One write, so a step's output is never cut by another lane's.
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(out.as_bytes());
        let _ = stdout.flush();
        Outcome {
            step,
            result,
            seconds,
        }
    }

    fn missing_tools(&self, step: Step) -> Result<(), String> {
        let missing: Vec<String> = step
            .tools()
            .iter()
            .filter_map(|tool| match self.available.get(tool) {
                Some(Err(why)) => Some(format!("{} unavailable: {why}", tool.name())),
                _ => None,
            })
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(missing.join("; "))
        }
    }
}

fn header(title: &str) {
    println!("\n=== {title}");
}

/// The summary table; its last line is `xtask: N passed, M failed`.
fn summary(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{:<29} {:<7} {:>8}", "step", "result", "seconds");
    for o in outcomes {
        let (result, note) = match &o.result {
            Ok(()) => ("ok", String::new()),
            Err(why) => ("FAILED", format!("  {why}")),
        };
        let _ = writeln!(
            out,
            "{:<29} {result:<7} {:>8.1}{note}",
            o.step.name(),
            o.seconds
        );
    }
    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    let _ = writeln!(
        out,
        "xtask: {} passed, {failed} failed",
        outcomes.len() - failed
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for step in Step::ALL {
            assert_eq!(Step::from_name(step.name()), Some(step));
        }
        assert_eq!(Step::from_name("test"), None);
    }

    #[test]
    fn summary_ends_with_the_counts() {
        let outcomes = [
            Outcome {
                step: Step::Fmt,
                result: Ok(()),
                seconds: 0.5,
            },
            Outcome {
                step: Step::BrowserTests,
                result: Err("`wasm-pack test` failed (exit status: 1)".into()),
                seconds: 61.0,
            },
        ];
        let text = summary(&outcomes);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[1].starts_with("fmt                           ok           0.5"));
        assert!(lines[2].contains("FAILED"));
        assert!(lines[2].contains("wasm-pack test"));
        assert_eq!(lines[3], "xtask: 1 passed, 1 failed");
        assert_eq!(
            summary(&[]).lines().last(),
            Some("xtask: 0 passed, 0 failed")
        );
    }

    #[test]
    fn browser_tests_get_the_echo_url() {
        let ws = Workspace::detect().unwrap();
        let options = TestOptions {
            install: false,
            only: None,
            release: true,
        };
        let services = Services {
            echo_url: "ws://127.0.0.1:9",
            refused_url: Some("ws://127.0.0.1:7/"),
            display: Some(":5"),
        };
        let cmd = Step::BrowserTests.command(&ws, &options, Some(&services));
        let line = cmd::display(&cmd);
        assert!(
            line.starts_with("BROWSER_WS_ECHO_URL=ws://127.0.0.1:9 "),
            "{line}"
        );
        assert!(line.contains("test --headless --chrome"), "{line}");
        assert!(line.ends_with("--release --features js,typed"), "{line}");
        let demo = cmd::display(&Step::DemoE2e.command(&ws, &options, Some(&services)));
        assert!(
            demo.contains("BROWSER_WS_ECHO_URL=ws://127.0.0.1:9 "),
            "{demo}"
        );
        assert!(
            demo.ends_with("node --test --test-force-exit tools/e2e/demo.test.mjs"),
            "{demo}"
        );
        let package = cmd::display(&Step::JsPackage.command(&ws, &options, Some(&services)));
        assert!(
            package.contains("BROWSER_WS_ECHO_URL=ws://127.0.0.1:9 "),
            "{package}"
        );
        assert!(
            package.ends_with("node --test --test-force-exit tools/e2e/js-package.test.mjs"),
            "{package}"
        );
        let fmt = cmd::display(&Step::Fmt.command(&ws, &options, None));
        assert!(fmt.ends_with("fmt --all -- --check"), "{fmt}");
    }

    #[test]
    fn webkit_steps_get_the_display_and_only_the_safari_driver() {
        let ws = Workspace::detect().unwrap();
        let options = TestOptions {
            install: false,
            only: None,
            release: false,
        };
        let services = Services {
            echo_url: "ws://127.0.0.1:9",
            refused_url: Some("ws://127.0.0.1:7/"),
            display: Some(":5"),
        };
        for step in [
            Step::BrowserTestsWebkit,
            Step::DemoE2eWebkit,
            Step::JsPackageWebkit,
        ] {
            let cmd = step.command(&ws, &options, Some(&services));
            let env = |name: &str| {
                cmd.get_envs()
                    .find(|(key, _)| *key == name)
                    .and_then(|(_, value)| value)
                    .map(|value| value.to_string_lossy().into_owned())
            };
            assert_eq!(env("DISPLAY").as_deref(), Some(":5"), "{}", step.name());
            assert_eq!(
                env("BROWSER_WS_REFUSED_URL").as_deref(),
                Some("ws://127.0.0.1:7/")
            );
            // The runner takes the first driver variable it finds: a Chrome or Gecko one would win.
            assert_eq!(env("CHROMEDRIVER"), None, "{}", step.name());
            assert_eq!(env("GECKODRIVER"), None, "{}", step.name());
        }
        let line = cmd::display(&Step::BrowserTestsWebkit.command(&ws, &options, Some(&services)));
        assert!(
            line.contains(
                "test --target wasm32-unknown-unknown --features js,typed --tests --no-fail-fast"
            ),
            "{line}"
        );
        assert!(line.contains("WASM_BINDGEN_TEST_ONLY_WEB=1"), "{line}");
        let demo = cmd::display(&Step::DemoE2eWebkit.command(&ws, &options, Some(&services)));
        assert!(demo.contains("BROWSER_WS_E2E_BROWSER=webkit "), "{demo}");
        assert!(
            demo.ends_with("node --test --test-force-exit tools/e2e/demo.test.mjs"),
            "{demo}"
        );
        // Not for the Chromium steps.
        let chromium = Step::BrowserTests.command(&ws, &options, Some(&services));
        assert!(chromium.get_envs().all(|(key, _)| key != "DISPLAY"));
    }
}
