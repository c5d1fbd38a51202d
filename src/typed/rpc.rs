//! JSON-RPC 2.0 for the Rust API: [`RpcClient`], the [request engine](crate::rpc) in `serde_json`'s JSON, with
//! typed params and results.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::stream::FusedStream;
use futures_core::Stream;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::connection::Connection;
use crate::error::Error;
use crate::reconnect::ReconnectingClient;
use crate::rpc::{
    Dialect, Engine, Incoming, Notice, Notices, RpcBuilder, DROPPED_REQUEST, DROPPED_REQUEST_CODE,
    INVALID_ID, NOT_A_REQUEST,
};
use crate::safe_integer::{safe_integer, safe_unsigned};
use crate::undecoded::Undecoded;

impl RpcBuilder {
    /// The client over an open connection, which it takes: requests fail with the close event
    /// ([`Error::Closed`]) once it closes, cleanly or not.
    pub fn over(self, connection: Connection) -> RpcClient {
        RpcClient {
            engine: Engine::over(self, connection),
        }
    }

    /// The client over a reconnecting client, which it takes: a request is sent at once if open, else queued
    /// (see [`ReconnectHandle::try_send`](crate::reconnect::ReconnectHandle::try_send)); requests already handed
    /// to a connection fail with the reason it ended
    /// ([`ClientState::Disconnected`](crate::reconnect::ClientState::Disconnected)'s error) when it drops, and
    /// later requests go to the next one.
    pub fn over_reconnecting(self, client: ReconnectingClient) -> RpcClient {
        RpcClient {
            engine: Engine::over_reconnecting(self, client),
        }
    }
}

/// A notification the server sent (a JSON-RPC message with a `method` and no `id`), or a request of the
/// server's (with an `id`), which awaits the client's [`reply`](RpcClient::reply) or
/// [`reply_error`](RpcClient::reply_error).
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The method.
    pub method: String,
    /// The params (`null` if there were none).
    pub params: Value,
    /// The id of a request (a string, a number, or `null`), as `serde_json` reads it: an integer beyond `u64`
    /// and `i64` comes back as a float, so a server matching ids exactly needs string ids for those. `None` for
    /// a notification.
    pub id: Option<Value>,
    /// The reconnecting client's connection it came on (0 over one connection).
    connection: u64,
}

impl Notification {
    /// The params as a `T`; [`Error::Decode`] (with the params as JSON text) if they are of another shape.
    pub fn params<T: DeserializeOwned>(&self) -> Result<T, Error> {
        T::deserialize(&self.params).map_err(|e| Error::Decode {
            raw: Undecoded::Text(self.params.to_string()),
            message: e.to_string(),
        })
    }
}

/// A JSON-RPC 2.0 client over one connection (or one reconnecting client).
///
/// ```no_run
/// use std::time::Duration;
/// use browser_ws::typed::RpcClient;
///
/// # async fn run() -> Result<(), browser_ws::Error> {
/// let connection = browser_ws::connect("wss://example.com/rpc").await?;
/// let rpc = RpcClient::builder().timeout(Duration::from_secs(5)).over(connection);
/// let sum: i64 = rpc.call("add", &[1, 2]).await?;
/// assert_eq!(sum, 3);
/// # Ok(())
/// # }
/// ```
///
/// A task of its own takes every message as it arrives: replies go to their requests, notifications and reports
/// of unknown replies into a bounded queue ([`notifications`](Self::notifications)). Cheap to clone; dropping the
/// last clone and every [`Notifications`] stream stops that task and closes the connection (1000): a stream still
/// read keeps the connection. `!Send`.
#[derive(Debug, Clone)]
pub struct RpcClient {
    engine: Engine<SerdeJson>,
}

impl RpcClient {
    /// The settings, to adjust before [`over`](RpcBuilder::over) or
    /// [`over_reconnecting`](RpcBuilder::over_reconnecting).
    pub fn builder() -> RpcBuilder {
        RpcBuilder::default()
    }

    /// A client with the default settings over an open connection.
    pub fn new(connection: Connection) -> Self {
        Self::builder().over(connection)
    }

    /// Calls `method` with `params` (anything that serializes to JSON; use `()` for none) and decodes the reply's
    /// `result` as an `R`, waiting at most the builder's [`timeout`](RpcBuilder::timeout).
    ///
    /// Fails with [`Error::Rpc`] (the server's error object), [`Error::RequestTimeout`],
    /// [`Error::TooManyRequests`], [`Error::Encode`] or [`Error::Decode`] (whose `raw` is the reply's `result`
    /// written back as JSON text: keys in sorted order, numbers as `serde_json` reads them), the reason the
    /// connection ended ([`Error::Closed`], ...), or the send's error. Dropping the future forgets the request:
    /// a reply that still comes is reported as [`Error::UnknownReply`].
    pub async fn call<P, R>(&self, method: &str, params: &P) -> Result<R, Error>
    where
        P: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        self.call_with_timeout(method, params, self.engine.timeout())
            .await
    }

    /// [`call`](Self::call) with a timeout of its own.
    pub async fn call_with_timeout<P, R>(
        &self,
        method: &str,
        params: &P,
        timeout: Duration,
    ) -> Result<R, Error>
    where
        P: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let params = serde_json::to_value(params).map_err(encode_error)?;
        let result = self.engine.request(method, params, timeout).await?;
        R::deserialize(&result).map_err(|e| Error::Decode {
            raw: Undecoded::Text(result.to_string()),
            message: e.to_string(),
        })
    }

    /// Sends a notification (no id, no reply): `method` with `params`.
    pub fn notify<P: Serialize + ?Sized>(&self, method: &str, params: &P) -> Result<(), Error> {
        let params = serde_json::to_value(params).map_err(encode_error)?;
        self.engine.notify(method, params)
    }

    /// Answers `request`, a request of the server's that this client received (a [`Notification`] with an
    /// `id`), with `result`, on the connection it came on.
    ///
    /// Fails with [`Error::Encode`] (`result` has no JSON form, `request` is a notification, which takes no
    /// reply, or its `id` was changed to one JSON-RPC does not allow), the reason the connection ended, or the
    /// send's error (`NotOpen`, `Closed`) while the connection closes; over a reconnecting client, with
    /// [`Error::NotOpen`] once the connection the request came on has ended: a reply never goes to a server
    /// that did not ask. It is sent at once, past the send queue, watermarks and acknowledgements.
    pub fn reply<R: Serialize + ?Sized>(
        &self,
        request: &Notification,
        result: &R,
    ) -> Result<(), Error> {
        let result = serde_json::to_value(result).map_err(encode_error)?;
        self.answer(request, "result", result)
    }

    /// Answers `request` with an error object: `code`, `message` and, unless `None`, `data`. Fails as
    /// [`reply`](Self::reply) does.
    pub fn reply_error(
        &self,
        request: &Notification,
        code: i64,
        message: &str,
        data: Option<Value>,
    ) -> Result<(), Error> {
        self.answer(request, "error", error_object(code, message, data))
    }

    /// Sends the reply to `request`, with its `result` or `error` (`member`).
    fn answer(&self, request: &Notification, member: &str, value: Value) -> Result<(), Error> {
        self.engine.reply(
            reply_text(request.id.as_ref(), member, value)?,
            request.connection,
        )
    }

    /// The server's notifications and requests, in order, with [`Error::UnknownReply`] for each reply that matched no request
    /// and [`Error::Decode`] for each message that is not JSON-RPC. Ends once the connection (or the reconnecting
    /// client) is finished and the queue is empty. Every call returns a view of the same queue.
    pub fn notifications(&self) -> Notifications {
        Notifications {
            notices: self.engine.notices(),
        }
    }

    /// How many notifications the full queue dropped (see [`RpcBuilder::notification_queue`]).
    pub fn dropped_notifications(&self) -> u64 {
        self.engine.dropped_notifications()
    }

    /// The timeout of [`call`](Self::call).
    pub fn timeout(&self) -> Duration {
        self.engine.timeout()
    }

    /// How many requests await a reply.
    pub fn pending_requests(&self) -> usize {
        self.engine.pending_requests()
    }

    /// Closes the connection (1000) or stops the reconnecting client; requests awaiting a reply then fail.
    pub fn close(&self) -> Result<(), Error> {
        self.engine.close()
    }
}

/// The text of the reply to the server's request `id`, with its `result` or `error` (`member`); none to a
/// notification (no id), or with an id JSON-RPC does not allow.
fn reply_text(id: Option<&Value>, member: &str, value: Value) -> Result<String, Error> {
    let id = id.ok_or_else(|| Error::Encode {
        message: NOT_A_REQUEST.to_owned(),
    })?;
    if !is_valid_id(id) {
        return Err(Error::Encode {
            message: INVALID_ID.to_owned(),
        });
    }
    Ok(reply_json(id, member, value))
}

/// `{"jsonrpc":"2.0","id":<id>,"<member>":<value>}`: the reply to the server's request `id`, whose `result` or
/// `error` (`member`) is `value`.
fn reply_json(id: &Value, member: &str, value: Value) -> String {
    let mut reply = Map::new();
    reply.insert("jsonrpc".to_owned(), Value::from("2.0"));
    reply.insert("id".to_owned(), id.clone());
    reply.insert(member.to_owned(), value);
    Value::Object(reply).to_string()
}

/// A JSON-RPC error object: `code`, `message` and, unless `None`, `data`.
fn error_object(code: i64, message: &str, data: Option<Value>) -> Value {
    let mut error = Map::new();
    error.insert("code".to_owned(), Value::from(code));
    error.insert("message".to_owned(), Value::from(message));
    if let Some(data) = data {
        error.insert("data".to_owned(), data);
    }
    Value::Object(error)
}

/// Whether JSON-RPC allows `id` as a request's id.
fn is_valid_id(id: &Value) -> bool {
    matches!(id, Value::String(_) | Value::Number(_) | Value::Null)
}

fn encode_error(error: serde_json::Error) -> Error {
    Error::Encode {
        message: error.to_string(),
    }
}

/// JSON as `serde_json` reads and writes it.
#[derive(Debug)]
struct SerdeJson;

impl Dialect for SerdeJson {
    type Params = Value;
    type Value = Value;

    fn envelope(method: &str, params: Value, id: Option<u64>) -> Result<String, Error> {
        let mut envelope = Map::new();
        envelope.insert("jsonrpc".to_owned(), Value::from("2.0"));
        envelope.insert("method".to_owned(), Value::from(method));
        if !params.is_null() {
            envelope.insert("params".to_owned(), params);
        }
        if let Some(id) = id {
            envelope.insert("id".to_owned(), Value::from(id));
        }
        Ok(Value::Object(envelope).to_string())
    }

    fn dropped_request(id: &Value) -> String {
        let code = DROPPED_REQUEST_CODE.into();
        reply_json(id, "error", error_object(code, DROPPED_REQUEST, None))
    }

    fn classify_text(text: String) -> Incoming<Value> {
        let mut object = match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(object)) => object,
            Ok(_) => return Incoming::not_rpc(text, "not a JSON-RPC object"),
            Err(error) => return Incoming::not_rpc(text, error.to_string()),
        };
        if let Some(Value::String(method)) = object.get("method") {
            let method = method.clone();
            let params = object.remove("params").unwrap_or(Value::Null);
            let id = object.remove("id");
            if !id.as_ref().map_or(true, is_valid_id) {
                return Incoming::not_rpc(text, INVALID_ID);
            }
            return Incoming::Other(Ok(Notice::new(method, params, id)));
        }
        let result = object.remove("result");
        let error = object.remove("error").map(|error| rpc_error(&error));
        let id = object
            .get("id")
            .and_then(|id| id.as_u64().or_else(|| id.as_f64().and_then(safe_unsigned)));
        Incoming::reply(text, result, error, id)
    }
}

/// A JSON-RPC error object as an [`Error::Rpc`]; a malformed one keeps what it has.
fn rpc_error(error: &Value) -> Error {
    Error::Rpc {
        code: error
            .get("code")
            .and_then(|code| {
                code.as_i64()
                    .or_else(|| code.as_f64().and_then(safe_integer))
            })
            .unwrap_or(0),
        message: match error.get("message") {
            Some(Value::String(message)) => message.clone(),
            _ => error.to_string(),
        },
        data: error.get("data").map(Value::to_string),
    }
}

/// The stream of [`RpcClient::notifications`].
#[derive(Debug)]
pub struct Notifications {
    notices: Notices<SerdeJson>,
}

impl Stream for Notifications {
    type Item = Result<Notification, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.notices).poll_next(cx).map(|item| {
            item.map(|item| {
                item.map(|notice| Notification {
                    method: notice.method,
                    params: notice.params,
                    id: notice.id,
                    connection: notice.connection,
                })
            })
        })
    }
}

impl FusedStream for Notifications {
    fn is_terminated(&self) -> bool {
        self.notices.is_terminated()
    }
}

#[cfg(test)]
mod tests {
    //! Covers: `serde_json`'s reading of replies, error replies, notifications, replies without a usable id and
    //! messages that are not JSON-RPC (the cases of `rpc::conformance`); the request envelope; the reply to a
    //! server's request (its id carried back, ids JSON-RPC does not allow refused) and to one the queue dropped;
    //! typed notification params.

    use std::collections::HashMap;

    use super::*;

    #[test]
    fn reads_json_rpc_as_the_conformance_cases_say() {
        crate::rpc::conformance::classifies_as_json_rpc_says::<SerdeJson>(Value::to_string);
    }

    #[test]
    fn envelopes_leave_out_null_params() {
        assert_eq!(
            SerdeJson::envelope("ping", Value::Null, None).unwrap(),
            r#"{"jsonrpc":"2.0","method":"ping"}"#
        );
        assert_eq!(
            SerdeJson::envelope("add", serde_json::json!([1, 2]), Some(3)).unwrap(),
            r#"{"id":3,"jsonrpc":"2.0","method":"add","params":[1,2]}"#
        );
    }

    #[test]
    fn a_dropped_request_is_answered_with_an_error() {
        assert_eq!(
            SerdeJson::dropped_request(&Value::from(7)),
            format!(
                r#"{{"error":{{"code":-32603,"message":"{DROPPED_REQUEST}"}},"id":7,"jsonrpc":"2.0"}}"#
            )
        );
    }

    #[test]
    fn replies_carry_the_id_back() {
        use serde_json::json;
        assert_eq!(
            reply_text(Some(&json!("q")), "result", Value::Null).unwrap(),
            r#"{"id":"q","jsonrpc":"2.0","result":null}"#
        );
        assert_eq!(
            reply_text(Some(&Value::Null), "error", json!({"code": 1})).unwrap(),
            r#"{"error":{"code":1},"id":null,"jsonrpc":"2.0"}"#
        );
        let refused = |message: &str| {
            Err(Error::Encode {
                message: message.to_owned(),
            })
        };
        assert_eq!(
            reply_text(None, "result", Value::Null),
            refused(NOT_A_REQUEST)
        );
        for id in [json!(true), json!([1]), json!({"a": 1})] {
            assert_eq!(
                reply_text(Some(&id), "result", Value::Null),
                refused(INVALID_ID),
                "{id}"
            );
        }
    }

    #[test]
    fn notification_params_decode_to_a_type() {
        let notification = Notification {
            method: "tick".into(),
            params: serde_json::json!({"n": 1}),
            id: None,
            connection: 0,
        };
        assert_eq!(
            notification.params::<HashMap<String, u8>>().unwrap()["n"],
            1
        );
        assert!(matches!(
            notification.params::<Vec<u8>>(),
            Err(Error::Decode { raw: Undecoded::Text(raw), .. }) if raw == r#"{"n":1}"#
        ));
    }
}
