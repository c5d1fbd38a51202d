//! The command line: subcommands and their few options, parsed by hand to keep xtask free of
//! dependencies.

use std::net::{IpAddr, Ipv4Addr};

use crate::steps::Step;

/// What the user asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// `cargo xtask help`, `-h`, `--help`, or no arguments at all.
    Help,
    /// `cargo xtask test [OPTIONS]`.
    Test(TestOptions),
    /// `cargo xtask demo [OPTIONS]`.
    Demo(DemoOptions),
    /// `cargo xtask bench [OPTIONS]`.
    Bench(BenchOptions),
    /// `cargo xtask package [OPTIONS]`.
    Package(PackageOptions),
    /// `xtask wasm-opt-runner WASM [ARGS...]`: cargo's test runner for the release browser tests (internal).
    WasmOptRunner(Vec<String>),
}

/// Options of `cargo xtask demo`.
#[derive(Debug, PartialEq, Eq)]
pub struct DemoOptions {
    /// Install missing tools (default); `--no-install` makes a missing tool an error instead.
    pub install: bool,
    /// `--addr`: the address Trunk serves the page on.
    pub address: IpAddr,
    /// `--port`: the port Trunk serves the page on.
    pub port: u16,
    /// `--release`: build the page with optimisations and wasm-opt.
    pub release: bool,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            install: true,
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8080,
            release: false,
        }
    }
}

/// Options of `cargo xtask bench`.
#[derive(Debug, PartialEq, Eq)]
pub struct BenchOptions {
    /// Install missing tools (default); `--no-install` makes a missing tool an error instead.
    pub install: bool,
    /// `--reps`: repetitions of each workload per client (the runner's default when `None`).
    pub reps: Option<u32>,
    /// `--quick`: 2 repetitions and 1,000 memory cycles, and docs/bench.svg is left alone.
    pub quick: bool,
}

/// Options of `cargo xtask package`.
#[derive(Debug, PartialEq, Eq)]
pub struct PackageOptions {
    /// Install missing tools (default); `--no-install` makes a missing tool an error instead.
    pub install: bool,
}

/// Options of `cargo xtask test`.
#[derive(Debug, PartialEq, Eq)]
pub struct TestOptions {
    /// Install missing tools (default); `--no-install` makes a missing tool an error instead.
    pub install: bool,
    /// `--only`: the steps to run; `None` runs all of them.
    pub only: Option<Vec<Step>>,
    /// `--release`: build the native and browser tests with optimisations.
    pub release: bool,
}

/// The `--help` text.
pub fn help() -> String {
    let steps: Vec<&str> = Step::ALL.iter().map(|s| s.name()).collect();
    format!(
        "\
Usage: cargo xtask <COMMAND> [OPTIONS]

Commands:
  test    Install missing tools, start the echo server, run every check (what CI runs)
  demo    Serve the demo page with Trunk, the echo server behind its /echo (Ctrl-C stops both)
  bench   Benchmark browser-ws against raw JS and gloo-net in headless Chromium (table, JSON, chart)
  package Build the npm package and pack it: target/npm/browser-ws-VERSION.tgz, for `npm publish`
  help    Print this help

Options of `test`:
      --no-install     Do not install missing tools: fail and say what to install
      --only STEP,...  Run only these steps (always in the usual order). Steps:
                       {}
      --release        Build the native and browser tests in release mode
  -h, --help           Print this help

Options of `demo`:
      --no-install     Do not install missing tools: fail and say what to install
      --addr IP        Serve the page on this address [default: 127.0.0.1]
      --port PORT      Serve the page on this port [default: 8080]
      --release        Build the page in release mode (optimised, wasm-opt)

Options of `bench`:
      --no-install     Do not install missing tools: fail and say what to install
      --reps N         Runs of each workload per client [default: 7]
      --quick          2 runs and 1,000 memory cycles, to try it out; docs/bench.svg is not updated

Options of `package`:
      --no-install     Do not install missing tools: fail and say what to install
",
        steps.join(", ")
    )
}

/// Parses the arguments after `cargo xtask`.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let Some((command, rest)) = args.split_first() else {
        return Ok(Command::Help);
    };
    match command.as_str() {
        "help" | "-h" | "--help" => Ok(Command::Help),
        "test" => parse_test(rest),
        "demo" => parse_demo(rest),
        "bench" => parse_bench(rest),
        "package" => parse_package(rest),
        "wasm-opt-runner" => Ok(Command::WasmOptRunner(rest.to_vec())),
        other => Err(format!("unknown command `{other}`")),
    }
}

fn parse_test(args: &[String]) -> Result<Command, String> {
    let mut options = TestOptions {
        install: true,
        only: None,
        release: false,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value)),
            _ => (arg.as_str(), None),
        };
        if inline_value.is_some() && matches!(flag, "--no-install" | "--release" | "--help") {
            return Err(format!("`{flag}` takes no value"));
        }
        match flag {
            "-h" | "--help" => return Ok(Command::Help),
            "--no-install" => options.install = false,
            "--release" => options.release = true,
            "--only" => {
                let value = match inline_value {
                    Some(value) => value,
                    None => args.next().ok_or("--only needs a list of steps")?,
                };
                let only = options.only.get_or_insert_with(Vec::new);
                for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    let step =
                        Step::from_name(name).ok_or_else(|| format!("unknown step `{name}`"))?;
                    if !only.contains(&step) {
                        only.push(step);
                    }
                }
                if only.is_empty() {
                    return Err("--only needs at least one step".into());
                }
            }
            _ => return Err(format!("unknown option `{arg}` for `test`")),
        }
    }
    Ok(Command::Test(options))
}

fn parse_demo(args: &[String]) -> Result<Command, String> {
    let mut options = DemoOptions::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value)),
            _ => (arg.as_str(), None),
        };
        if inline_value.is_some() && matches!(flag, "--no-install" | "--release" | "--help") {
            return Err(format!("`{flag}` takes no value"));
        }
        let mut value = |what: &str| match inline_value {
            Some(value) => Ok(value),
            None => args
                .next()
                .map(String::as_str)
                .ok_or_else(|| format!("{flag} needs {what}")),
        };
        match flag {
            "-h" | "--help" => return Ok(Command::Help),
            "--no-install" => options.install = false,
            "--release" => options.release = true,
            "--addr" => {
                let value = value("an IP address")?;
                options.address = value.parse().map_err(|_| {
                    format!("--addr takes an IP address such as 127.0.0.1 or ::1, not `{value}`")
                })?;
            }
            "--port" => {
                let value = value("a port number")?;
                options.port = value
                    .parse()
                    .map_err(|_| format!("--port takes a port number, not `{value}`"))?;
            }
            _ => return Err(format!("unknown option `{arg}` for `demo`")),
        }
    }
    Ok(Command::Demo(options))
}

fn parse_bench(args: &[String]) -> Result<Command, String> {
    let mut options = BenchOptions {
        install: true,
        reps: None,
        quick: false,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value)),
            _ => (arg.as_str(), None),
        };
        if inline_value.is_some() && matches!(flag, "--no-install" | "--quick" | "--help") {
            return Err(format!("`{flag}` takes no value"));
        }
        match flag {
            "-h" | "--help" => return Ok(Command::Help),
            "--no-install" => options.install = false,
            "--quick" => options.quick = true,
            "--reps" => {
                let value = match inline_value {
                    Some(value) => value,
                    None => args.next().ok_or("--reps needs a number")?,
                };
                let reps = value
                    .parse()
                    .ok()
                    .filter(|&n: &u32| n > 0)
                    .ok_or_else(|| format!("--reps takes a positive number, not `{value}`"))?;
                options.reps = Some(reps);
            }
            _ => return Err(format!("unknown option `{arg}` for `bench`")),
        }
    }
    Ok(Command::Bench(options))
}

fn parse_package(args: &[String]) -> Result<Command, String> {
    let mut options = PackageOptions { install: true };
    for arg in args {
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--no-install" => options.install = false,
            _ if arg.starts_with("--no-install=") => {
                return Err("`--no-install` takes no value".into())
            }
            _ => return Err(format!("unknown option `{arg}` for `package`")),
        }
    }
    Ok(Command::Package(options))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(line: &str) -> Result<Command, String> {
        let args: Vec<String> = line.split_whitespace().map(String::from).collect();
        parse(&args)
    }

    #[test]
    fn no_arguments_and_help_print_help() {
        assert_eq!(parse_str(""), Ok(Command::Help));
        assert_eq!(parse_str("help"), Ok(Command::Help));
        assert_eq!(parse_str("--help"), Ok(Command::Help));
        assert_eq!(parse_str("test -h"), Ok(Command::Help));
    }

    #[test]
    fn test_defaults_to_everything_with_installation() {
        assert_eq!(
            parse_str("test"),
            Ok(Command::Test(TestOptions {
                install: true,
                only: None,
                release: false
            }))
        );
    }

    #[test]
    fn test_options() {
        assert_eq!(
            parse_str("test --no-install --only fmt,doc --only=fmt,browser-tests --release"),
            Ok(Command::Test(TestOptions {
                install: false,
                only: Some(vec![Step::Fmt, Step::Doc, Step::BrowserTests]),
                release: true
            }))
        );
    }

    #[test]
    fn mistakes_are_reported() {
        assert!(parse_str("tset").is_err());
        assert!(parse_str("test --only").is_err());
        assert!(parse_str("test --only ,").is_err());
        assert!(parse_str("test --only fmt,nope").is_err());
        assert!(parse_str("test --release=yes").is_err());
        assert!(parse_str("test --verbose").is_err());
    }

    #[test]
    fn demo_options() {
        assert_eq!(parse_str("demo"), Ok(Command::Demo(DemoOptions::default())));
        assert_eq!(
            parse_str("demo --addr ::1 --port=9090 --release --no-install"),
            Ok(Command::Demo(DemoOptions {
                install: false,
                address: "::1".parse().unwrap(),
                port: 9090,
                release: true,
            }))
        );
        assert_eq!(parse_str("demo --help"), Ok(Command::Help));
        assert!(parse_str("demo --addr localhost").is_err());
        assert!(parse_str("demo --port").is_err());
        assert!(parse_str("demo --port 70000").is_err());
        assert!(parse_str("demo --only fmt").is_err());
    }

    #[test]
    fn bench_options() {
        assert_eq!(
            parse_str("bench"),
            Ok(Command::Bench(BenchOptions {
                install: true,
                reps: None,
                quick: false,
            }))
        );
        assert_eq!(
            parse_str("bench --reps 3 --quick --no-install"),
            Ok(Command::Bench(BenchOptions {
                install: false,
                reps: Some(3),
                quick: true,
            }))
        );
        assert_eq!(
            parse_str("bench --reps=5"),
            Ok(Command::Bench(BenchOptions {
                install: true,
                reps: Some(5),
                quick: false,
            }))
        );
        assert!(parse_str("bench --reps 0").is_err());
        assert!(parse_str("bench --reps").is_err());
        assert!(parse_str("bench --quick=yes").is_err());
        assert!(parse_str("bench --release").is_err());
    }

    #[test]
    fn package_options() {
        assert_eq!(
            parse_str("package"),
            Ok(Command::Package(PackageOptions { install: true }))
        );
        assert_eq!(
            parse_str("package --no-install"),
            Ok(Command::Package(PackageOptions { install: false }))
        );
        assert_eq!(parse_str("package --help"), Ok(Command::Help));
        assert!(parse_str("package --no-install=yes").is_err());
        assert!(parse_str("package --release").is_err());
    }

    #[test]
    fn help_lists_every_step() {
        let help = help();
        for step in Step::ALL {
            assert!(
                help.contains(step.name()),
                "{} missing from --help",
                step.name()
            );
        }
    }
}
