//! Request-target parsing: the path selects a [`Route`], the URL-decoded query supplies its parameters.

use std::str::FromStr;
use std::time::Duration;

/// Largest payload a route will generate on request (`bytes`, `send`, `count * bytes`).
pub const MAX_GENERATED_BYTES: usize = 256 << 20;

/// Longest close reason: a control frame carries at most 125 bytes, 2 of them the code.
const MAX_REASON_BYTES: usize = 123;

/// Longest delay `/slow` and `/sink` accept, in milliseconds.
const MAX_DELAY_MS: u64 = 600_000;

/// One scripted scenario, chosen by the request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/echo`: echo text as text and binary as binary, in order.
    Echo,
    /// `/close`: echo `after` messages, then close with `code` and `reason`.
    Close {
        /// Close code sent (any `u16`, unchecked on purpose).
        code: u16,
        /// Close reason sent (UTF-8, at most 123 bytes).
        reason: String,
        /// Messages echoed before closing.
        after: usize,
        /// How long the TCP connection is kept open after the close handshake (a slow server's close).
        hold: Duration,
    },
    /// `/drop`: echo `after` messages, then drop the TCP connection without a close frame.
    Drop {
        /// Messages echoed before dropping.
        after: usize,
        /// `Some((after_bytes, send))`: first start a binary message of `send` bytes and drop after
        /// writing `after_bytes` of its payload.
        mid_message: Option<(usize, usize)>,
    },
    /// `/binary`: send one binary message of `bytes` bytes (byte `i` = `i % 251`), then echo.
    Binary {
        /// Message length.
        bytes: usize,
    },
    /// `/text`: send one text message of `bytes` bytes (`a..z` repeating), then echo.
    Text {
        /// Message length.
        bytes: usize,
    },
    /// `/greet`: send `text` at once, then echo.
    Greet {
        /// The greeting.
        text: String,
    },
    /// `/protocol`: send the negotiated subprotocol (`""` if none) as text, then echo.
    Protocol,
    /// `/silent`: read and ignore everything; answer a close frame.
    Silent,
    /// `/slow` (`echo`) and `/sink` (no echo): wait `delay` after each received message.
    Slow {
        /// Pause after each received message.
        delay: Duration,
        /// Whether messages are echoed.
        echo: bool,
    },
    /// `/burst`: send `count` text messages of `bytes` bytes each, numbered from 0, then echo.
    Burst {
        /// Number of messages.
        count: usize,
        /// Length of each message (at least the `i:` prefix).
        bytes: usize,
    },
    /// `/flood`: like `/burst`, sent as fast as the client takes them, and the time the sending took (until the
    /// last message was handed to the kernel) recorded for `/stats` (`floodMs`); then echo. A client that reads
    /// slowly with backpressure holds the sending back, so the time shows whether it did.
    Flood {
        /// Number of messages.
        count: usize,
        /// Length of each message (at least the `i:` prefix).
        bytes: usize,
    },
    /// `/invalid-utf8`: send a text frame whose payload is not UTF-8.
    InvalidUtf8,
    /// `/no-handshake`: read the HTTP request and never answer it.
    NoHandshake,
    /// `/stats`: send `{"open":O,"total":N,"received":R,...}` for the `tag` and close with 1000.
    Stats,
    /// `/endpoints`: send the base URLs the server listens on as a JSON array and close with 1000.
    Endpoints,
    /// `/rpc`: a small JSON-RPC 2.0 server (see [`crate::rpc::answer`] for its methods).
    Rpc,
}

/// A parsed request target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The scenario.
    pub route: Route,
    /// `tag=T`: the group this connection is counted in for `/stats`.
    pub tag: Option<String>,
    /// `protocol=none`: select no subprotocol even if the client offers some.
    pub no_protocol: bool,
}

/// Why a request target was refused; becomes the HTTP status of the handshake response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    /// Unknown path: 404.
    NotFound(String),
    /// Known path, bad parameter value: 400.
    BadParam(String),
}

impl Route {
    /// Whether `/stats` counts connections to this route: not the questions about the server itself.
    pub fn is_counted(&self) -> bool {
        !matches!(self, Route::Stats | Route::Endpoints)
    }
}

impl Request {
    /// Parses a request target (`/path?query`, or the absolute form `http://host/path?query`).
    pub fn parse(target: &str) -> Result<Request, RouteError> {
        let (path, query) = split_target(target);
        let params = Params(parse_query(query));
        let route = match path {
            "/echo" => Route::Echo,
            "/close" => Route::Close {
                code: params.num("code", 1000, u16::MAX)?,
                reason: match params.get("reason").unwrap_or_default() {
                    reason if reason.len() <= MAX_REASON_BYTES => reason.to_owned(),
                    reason => {
                        return Err(RouteError::BadParam(format!(
                            "reason is {} bytes of UTF-8; at most {MAX_REASON_BYTES} fit in a close frame",
                            reason.len()
                        )))
                    }
                },
                after: params.num("after", 0, usize::MAX)?,
                hold: Duration::from_millis(params.num("hold_ms", 0, MAX_DELAY_MS)?),
            },
            "/drop" => Route::Drop {
                after: params.num("after", 0, usize::MAX)?,
                mid_message: match params.get("after_bytes") {
                    None => None,
                    Some(_) => Some((
                        params.num("after_bytes", 0, MAX_GENERATED_BYTES)?,
                        params.num("send", 1 << 20, MAX_GENERATED_BYTES)?,
                    )),
                },
            },
            "/binary" => Route::Binary {
                bytes: params.num("bytes", 1024, MAX_GENERATED_BYTES)?,
            },
            "/text" => Route::Text {
                bytes: params.num("bytes", 1024, MAX_GENERATED_BYTES)?,
            },
            "/greet" => Route::Greet {
                text: params.get("text").unwrap_or("hello").to_owned(),
            },
            "/protocol" => Route::Protocol,
            "/silent" => Route::Silent,
            "/slow" | "/sink" => Route::Slow {
                delay: Duration::from_millis(params.num("ms", 100, MAX_DELAY_MS)?),
                echo: path == "/slow",
            },
            "/burst" | "/flood" => {
                let count = params.num("count", 1000, MAX_GENERATED_BYTES)?;
                let bytes = params.num("bytes", 16, MAX_GENERATED_BYTES)?;
                if count.saturating_mul(bytes.max(12)) > MAX_GENERATED_BYTES {
                    return Err(RouteError::BadParam(format!(
                        "count * bytes must be at most {MAX_GENERATED_BYTES}"
                    )));
                }
                if path == "/burst" {
                    Route::Burst { count, bytes }
                } else {
                    Route::Flood { count, bytes }
                }
            }
            "/invalid-utf8" => Route::InvalidUtf8,
            "/no-handshake" => Route::NoHandshake,
            "/stats" => Route::Stats,
            "/endpoints" => Route::Endpoints,
            "/rpc" => Route::Rpc,
            _ => {
                return Err(RouteError::NotFound(format!(
                    "no route {path:?}; see `echo-server --help`"
                )))
            }
        };
        Ok(Request {
            route,
            tag: params.get("tag").map(str::to_owned),
            no_protocol: params.get("protocol") == Some("none"),
        })
    }
}

/// Splits a request target into its path and its raw query; drops any scheme, authority and fragment.
pub fn split_target(target: &str) -> (&str, &str) {
    let mut rest = target;
    if let Some(after_scheme) = rest.find("://").map(|i| &rest[i + 3..]) {
        rest = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    }
    let rest = rest.split('#').next().unwrap_or_default();
    rest.split_once('?').unwrap_or((rest, ""))
}

/// Splits and URL-decodes a query string (`application/x-www-form-urlencoded`: `%XX` and `+`).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(name), decode_component(value))
        })
        .collect()
}

/// Decodes `+` to a space and `%XX` to its byte; malformed escapes are kept literally and
/// invalid UTF-8 becomes U+FFFD.
pub fn decode_component(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).and_then(hex),
                bytes.get(i + 2).and_then(hex),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: &u8) -> Option<u8> {
    (*b as char).to_digit(16).map(|d| d as u8)
}

/// Decoded query parameters; the first occurrence of a name wins.
struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn num<T>(&self, name: &str, default: T, max: T) -> Result<T, RouteError>
    where
        T: FromStr + PartialOrd + std::fmt::Display,
    {
        let Some(raw) = self.get(name) else {
            return Ok(default);
        };
        match raw.parse::<T>() {
            Ok(value) if value <= max => Ok(value),
            _ => Err(RouteError::BadParam(format!(
                "{name}={raw:?}: expected an integer from 0 to {max}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    //! Covers: target splitting (absolute form, fragment), query decoding (`%XX`, `+`, malformed
    //! escapes, non-ASCII), route selection and defaults, parameter errors, unknown paths.

    use super::*;

    #[test]
    fn splits_targets() {
        assert_eq!(split_target("/echo?a=1"), ("/echo", "a=1"));
        assert_eq!(split_target("/echo"), ("/echo", ""));
        assert_eq!(
            split_target("http://127.0.0.1:9001/close?code=4000#x"),
            ("/close", "code=4000")
        );
        assert_eq!(split_target("ws://host"), ("/", ""));
    }

    #[test]
    fn decodes_components() {
        assert_eq!(decode_component("a+b%20c"), "a b c");
        assert_eq!(decode_component("h%C3%A9llo"), "héllo");
        assert_eq!(decode_component("100%"), "100%");
        assert_eq!(decode_component("%zz%4"), "%zz%4");
        assert_eq!(decode_component("%ff"), "\u{fffd}");
        assert_eq!(
            parse_query("a=1&&b&c=%26=&a=2"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "".into()),
                ("c".into(), "&=".into()),
                ("a".into(), "2".into())
            ]
        );
    }

    #[test]
    fn parses_routes_and_defaults() {
        let close = Request::parse("/close?reason=bye+%E2%9C%93&tag=t1&protocol=none").unwrap();
        assert_eq!(
            close,
            Request {
                route: Route::Close {
                    code: 1000,
                    reason: "bye ✓".into(),
                    after: 0,
                    hold: Duration::ZERO
                },
                tag: Some("t1".into()),
                no_protocol: true,
            }
        );
        assert_eq!(
            Request::parse("/drop?after_bytes=10").unwrap().route,
            Route::Drop {
                after: 0,
                mid_message: Some((10, 1 << 20))
            }
        );
        assert_eq!(
            Request::parse("/sink").unwrap().route,
            Route::Slow {
                delay: Duration::from_millis(100),
                echo: false
            }
        );
        assert_eq!(
            Request::parse("/burst").unwrap().route,
            Route::Burst {
                count: 1000,
                bytes: 16
            }
        );
        assert_eq!(
            Request::parse("/flood?count=3&bytes=1024").unwrap().route,
            Route::Flood {
                count: 3,
                bytes: 1024
            }
        );
        assert_eq!(
            Request::parse("/greet").unwrap().route,
            Route::Greet {
                text: "hello".into()
            }
        );
    }

    #[test]
    fn rejects_bad_targets() {
        assert!(matches!(
            Request::parse("/nope"),
            Err(RouteError::NotFound(_))
        ));
        assert!(matches!(
            Request::parse("/echo/"),
            Err(RouteError::NotFound(_))
        ));
        assert!(matches!(
            Request::parse("/close?code=70000"),
            Err(RouteError::BadParam(_))
        ));
        assert!(matches!(
            Request::parse("/binary?bytes=-1"),
            Err(RouteError::BadParam(_))
        ));
        assert!(matches!(
            Request::parse("/binary?bytes=999999999999"),
            Err(RouteError::BadParam(_))
        ));
        assert!(matches!(
            Request::parse("/burst?count=1000000&bytes=1000"),
            Err(RouteError::BadParam(_))
        ));
    }
}
