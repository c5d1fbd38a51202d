//! A virtual X display for WebKit, which has no headless mode here: WebKitGTK's MiniBrowser needs a display
//! even when only WebDriver drives it. One Xvfb serves every WebKit step of a run, owned by a guard that stops
//! it like the echo server's.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::cmd;
use crate::workspace::Workspace;

/// How long Xvfb may take to say which display it opened.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// A running Xvfb; dropping it kills the process and waits for it.
#[derive(Debug)]
pub struct VirtualDisplay {
    child: Child,
    /// `DISPLAY` for the clients, like `:1`.
    name: String,
}

impl VirtualDisplay {
    /// Starts Xvfb on a display number it picks itself (`-displayfd`, so two runs never race for one, as
    /// `xvfb-run -a` can), reachable only through its local socket, with a screen large enough for the demo page.
    pub fn start(ws: &Workspace) -> Result<VirtualDisplay, String> {
        let mut command = ws.command("Xvfb");
        command
            .args(["-displayfd", "1", "-nolisten", "tcp", "-screen", "0"])
            .arg("1280x1024x24")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        cmd::stop_with_xtask(&mut command);
        println!("$ {}", cmd::display(&command));
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start Xvfb: {e}"))?;
        let stdout = child.stdout.take().ok_or("Xvfb's stdout is not piped")?;
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        // From here on the guard owns the child, so every early return stops it.
        let mut display = VirtualDisplay {
            child,
            name: String::new(),
        };
        let line = rx
            .recv_timeout(STARTUP_TIMEOUT)
            .map_err(|_| "Xvfb did not report a display number".to_owned())?;
        display.name = parse_display(&line)?;
        println!("xvfb: display {}", display.name);
        Ok(display)
    }

    /// The value of `DISPLAY` for the browser.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for VirtualDisplay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Xvfb's `-displayfd` line: the display number and a newline.
fn parse_display(line: &str) -> Result<String, String> {
    let number = line.trim();
    if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
        Ok(format!(":{number}"))
    } else {
        Err(format!(
            "Xvfb should print its display number, printed {line:?}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_display_number_line() {
        assert_eq!(parse_display("0\n"), Ok(":0".into()));
        assert_eq!(parse_display("17"), Ok(":17".into()));
        assert!(parse_display("").is_err());
        assert!(parse_display("error: no display").is_err());
    }
}
