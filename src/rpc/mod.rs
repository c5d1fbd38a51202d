//! The JSON-RPC 2.0 request engine (features `typed` and `js`): ids, the timeout of each request, the bound on
//! requests awaiting a reply, the bounded queue of notifications, and failing requests (not leaving them
//! hanging) when their connection drops.
//!
//! It is written once for both APIs and generic over a [`Dialect`], the JSON it reads and writes: the Rust API's
//! is `serde_json` ([`crate::typed::RpcClient`]); the JS API's is the browser's own `JSON`, so that the npm
//! package links no JSON library of its own.

mod engine;

use std::fmt;
use std::time::Duration;

pub(crate) use engine::{Engine, Notices};

use crate::error::Error;
use crate::message::Message;
use crate::undecoded::{Undecoded, BLOB_MESSAGE};

/// The settings of an [`RpcClient`](crate::typed::RpcClient) (made with its `builder()`) or of the JS API's
/// `JsonRpcClient`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcBuilder {
    pub(crate) timeout: Duration,
    pub(crate) max_pending: usize,
    pub(crate) notification_capacity: usize,
}

impl Default for RpcBuilder {
    fn default() -> Self {
        Self {
            timeout: Self::DEFAULT_TIMEOUT,
            max_pending: Self::DEFAULT_MAX_PENDING,
            notification_capacity: Self::DEFAULT_NOTIFICATION_CAPACITY,
        }
    }
}

impl RpcBuilder {
    /// Default time a request waits for its reply.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
    /// Default most requests awaiting a reply at once.
    pub const DEFAULT_MAX_PENDING: usize = 256;
    /// Default capacity of the notification queue, in notifications.
    pub const DEFAULT_NOTIFICATION_CAPACITY: usize = 1024;

    /// How long a request waits for its reply before failing with [`Error::RequestTimeout`] (default 30 s;
    /// `call_with_timeout` sets it per call).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The most requests that may await a reply at once (default 256, at least 1). One more fails at once with
    /// [`Error::TooManyRequests`], unsent: a server that stops answering cannot make the table grow.
    pub fn max_pending(mut self, limit: usize) -> Self {
        self.max_pending = limit.max(1);
        self
    }

    /// How many notifications (and reports of unknown replies) wait to be taken (default 1024, at least 1).
    /// When full, the oldest is dropped and counted (`dropped_notifications`): replies are never held up by
    /// notifications nobody reads. A request of the server's dropped this way is answered at once with error
    /// -32603 ("request dropped: the client's notification queue was full"), so the server does not wait.
    pub fn notification_queue(mut self, capacity: usize) -> Self {
        self.notification_capacity = capacity.max(1);
        self
    }
}

/// The JSON an [`Engine`] writes requests in and reads replies from.
pub(crate) trait Dialect: 'static {
    /// A request's or notification's params, as the API's caller gave them.
    type Params;
    /// A reply's `result` or a notification's `params`, as the API's caller gets them.
    type Value: Clone + fmt::Debug;

    /// The text of a request (with its `id`) or of a notification (`None`). The members are those of every
    /// JSON-RPC 2.0 request; `params` is left out when there are none.
    fn envelope(method: &str, params: Self::Params, id: Option<u64>) -> Result<String, Error>;

    /// What a received text is, in JSON-RPC 2.0 terms.
    fn classify_text(text: String) -> Incoming<Self::Value>;

    /// The error reply to request `id` (a valid id, as received) that a full notification queue dropped:
    /// code [`DROPPED_REQUEST_CODE`], message [`DROPPED_REQUEST`].
    fn dropped_request(id: &Self::Value) -> String;
}

/// A notification the server sent (a JSON-RPC message with a `method` and no `id`), or a request (with its `id`:
/// a string, a number or `null`, which the reply must carry back).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Notice<V> {
    pub(crate) method: String,
    pub(crate) params: V,
    pub(crate) id: Option<V>,
    /// The reconnecting client's connection it came on (connections count from 1; 0 over one connection): a
    /// reply goes on that connection or not at all.
    pub(crate) connection: u64,
}

impl<V> Notice<V> {
    /// A notification or request read from a message, its connection not yet known.
    pub(crate) fn new(method: String, params: V, id: Option<V>) -> Self {
        Self {
            method,
            params,
            id,
            connection: 0,
        }
    }
}

/// Why a value cannot be the id of a request of the server's, or of the reply to one.
pub(crate) const INVALID_ID: &str = "a JSON-RPC id is a string, a number or null";

/// The error code of the reply to a request the notification queue dropped: JSON-RPC's "Internal error".
pub(crate) const DROPPED_REQUEST_CODE: i32 = -32603;

/// The error message of the reply to a request the notification queue dropped.
pub(crate) const DROPPED_REQUEST: &str =
    "request dropped: the client's notification queue was full";

/// Why a notification cannot be replied to.
#[cfg_attr(not(feature = "typed"), allow(dead_code))]
pub(crate) const NOT_A_REQUEST: &str = "a notification (no id) takes no reply";

/// A received message, in JSON-RPC 2.0 terms.
#[derive(Debug)]
pub(crate) enum Incoming<V> {
    /// A reply to request `id`: its `result` or its `error` object.
    Reply {
        id: u64,
        outcome: Result<V, Error>,
        raw: String,
    },
    /// A notification, or a report for the queue (an unknown reply, a message that is not JSON-RPC).
    Other(Result<Notice<V>, Error>),
    /// Not a reply (both `result` and `error`, or neither) though it has the `id` of one: it fails request `id`
    /// at once if one waits (rather than leave it to its timeout), and is reported otherwise.
    Malformed { id: u64, error: Error },
}

impl<V> Incoming<V> {
    /// A text that is not a JSON-RPC message, and why.
    pub(crate) fn not_rpc(text: String, why: impl Into<String>) -> Self {
        Self::Other(Err(Error::Decode {
            raw: Undecoded::Text(text),
            message: why.into(),
        }))
    }

    /// Which `result`/`error` member a reply has (both or neither: not a reply), and its `id` if that is an
    /// unsigned integer (none: an unknown reply).
    pub(crate) fn reply(
        text: String,
        result: Option<V>,
        error: Option<Error>,
        id: Option<u64>,
    ) -> Self {
        let outcome = match (result, error) {
            (Some(result), None) => Ok(result),
            (None, Some(error)) => Err(error),
            _ => {
                let why = "neither a reply (one of `result`, `error`) nor a notification";
                return match (id, Self::not_rpc(text, why)) {
                    (Some(id), Self::Other(Err(error))) => Self::Malformed { id, error },
                    (_, not_rpc) => not_rpc,
                };
            }
        };
        match id {
            Some(id) => Self::Reply {
                id,
                outcome,
                raw: text,
            },
            None => Self::Other(Err(Error::UnknownReply {
                id: None,
                raw: text,
            })),
        }
    }
}

/// What a received message is: text goes to the dialect; binary too if it is UTF-8; a Blob cannot be read here.
pub(crate) fn classify<D: Dialect>(message: Message) -> Incoming<D::Value> {
    let text = match message {
        Message::Text(text) => text,
        Message::Binary(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => {
                return Incoming::Other(Err(Error::Decode {
                    raw: Undecoded::Binary(error.into_bytes()),
                    message: "a binary message that is not UTF-8".to_owned(),
                }))
            }
        },
        blob @ Message::Blob(_) => {
            return Incoming::Other(Err(Error::Decode {
                raw: Undecoded::from(blob),
                message: BLOB_MESSAGE.to_owned(),
            }))
        }
    };
    D::classify_text(text)
}

/// The cases every dialect must read alike: run natively for `serde_json` (src/typed/rpc.rs) and in a browser
/// for the browser's JSON (src/js/rpc.rs).
#[cfg(test)]
pub(crate) mod conformance {
    use super::{classify, Dialect, Incoming, Notice};
    use crate::error::Error;
    use crate::message::Message;
    use crate::undecoded::Undecoded;

    /// `json` writes a value of the dialect back as JSON text.
    pub(crate) fn classifies_as_json_rpc_says<D: Dialect>(json: fn(&D::Value) -> String) {
        let read = |text: &str| classify::<D>(Message::text(text));
        let reply = |text: &str| match read(text) {
            Incoming::Reply { id, outcome, raw } => {
                assert_eq!(raw, text);
                (id, outcome.map(|value| json(&value)))
            }
            other => panic!("not a reply: {other:?}"),
        };
        let report = |text: &str| match read(text) {
            Incoming::Other(Err(error)) => error,
            Incoming::Malformed { error, .. } => error,
            other => panic!("not a report: {other:?}"),
        };
        let notice = |text: &str| match read(text) {
            Incoming::Other(Ok(Notice {
                method, params, id, ..
            })) => (method, json(&params), id.map(|id| json(&id))),
            other => panic!("not a notification: {other:?}"),
        };

        assert_eq!(
            reply(r#"{"jsonrpc":"2.0","id":7,"result":[1]}"#),
            (7, Ok("[1]".to_owned()))
        );
        assert_eq!(
            reply(r#"{"jsonrpc":"2.0","id":0,"result":null}"#),
            (0, Ok("null".to_owned()))
        );
        // An id written as a whole float is that id: JSON has one kind of number.
        for id in ["1.0", "1e0"] {
            let text = format!(r#"{{"jsonrpc":"2.0","id":{id},"result":true}}"#);
            assert_eq!(reply(&text), (1, Ok("true".to_owned())), "{text}");
        }
        assert_eq!(
            reply(
                r#"{"jsonrpc":"2.0","id":8,"error":{"code":-32601,"message":"Method not found","data":{"m":"x"}}}"#
            ),
            (
                8,
                Err(Error::Rpc {
                    code: -32601,
                    message: "Method not found".into(),
                    data: Some(r#"{"m":"x"}"#.into()),
                })
            )
        );
        assert_eq!(
            reply(r#"{"id":8,"error":{"code":-32601.0,"message":"m"}}"#),
            (
                8,
                Err(Error::Rpc {
                    code: -32601,
                    message: "m".into(),
                    data: None,
                })
            )
        );
        // A malformed error object keeps what it has (its JSON text as the message; a key order other than
        // the alphabetical one may differ: serde_json sorts the keys, the browser keeps the server's order).
        assert_eq!(
            reply(r#"{"id":9,"error":"bad"}"#),
            (
                9,
                Err(Error::Rpc {
                    code: 0,
                    message: r#""bad""#.into(),
                    data: None,
                })
            )
        );
        assert_eq!(
            reply(r#"{"id":10,"error":{"code":1.5,"message":2}}"#),
            (
                10,
                Err(Error::Rpc {
                    code: 0,
                    message: r#"{"code":1.5,"message":2}"#.into(),
                    data: None,
                })
            )
        );

        assert_eq!(
            notice(r#"{"jsonrpc":"2.0","method":"tick","params":{"n":1}}"#),
            ("tick".to_owned(), r#"{"n":1}"#.to_owned(), None)
        );
        assert_eq!(
            notice(r#"{"jsonrpc":"2.0","method":"ping"}"#),
            ("ping".to_owned(), "null".to_owned(), None)
        );
        // Requests of the server's: their id as sent (a null one included), for the reply to carry back.
        for id in [r#""a-1""#, "7", "2.5", "null"] {
            let text = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"ask","params":[1]}}"#);
            assert_eq!(
                notice(&text),
                ("ask".to_owned(), "[1]".to_owned(), Some(id.to_owned())),
                "{text}"
            );
        }

        // Replies with no usable id: null, a string, negative, a fraction.
        for id in ["null", r#""7""#, "-1", "1.5"] {
            let text = format!(r#"{{"jsonrpc":"2.0","id":{id},"result":1}}"#);
            assert_eq!(
                report(&text),
                Error::UnknownReply {
                    id: None,
                    raw: text.clone()
                },
                "{text}"
            );
        }

        // Not JSON-RPC: not JSON, not an object, both or neither of result and error, a method that is not a
        // string, a request whose id is neither a string, a number nor null.
        for text in [
            r#"{"jsonrpc":"2.0","id":true,"method":"ask"}"#,
            r#"{"jsonrpc":"2.0","id":[1],"method":"ask"}"#,
            r#"{"jsonrpc":"2.0","id":{"a":1},"method":"ask"}"#,
            "hello",
            "[1]",
            "null",
            "3",
            r#"{"id":1,"result":1,"error":{"code":1,"message":"m"}}"#,
            r#"{"id":1}"#,
            r#"{"method":1,"id":1}"#,
        ] {
            assert!(
                matches!(
                    report(text),
                    Error::Decode { raw: Undecoded::Text(raw), .. } if raw == text
                ),
                "{text}"
            );
        }

        // Not a reply, with the id of one: it can fail that request at once.
        for text in [
            r#"{"id":4,"result":1,"error":null}"#,
            r#"{"jsonrpc":"2.0","id":4}"#,
        ] {
            assert!(
                matches!(
                    read(text),
                    Incoming::Malformed {
                        id: 4,
                        error: Error::Decode { .. }
                    }
                ),
                "{text}"
            );
        }

        // Binary: read as UTF-8 text; any other binary is reported whole.
        assert!(matches!(
            classify::<D>(Message::binary(*br#"{"id":3,"result":true}"#)),
            Incoming::Reply { id: 3, .. }
        ));
        assert!(matches!(
            classify::<D>(Message::binary(vec![0xff])),
            Incoming::Other(Err(Error::Decode { raw: Undecoded::Binary(bytes), .. })) if bytes == [0xff]
        ));
    }
}
