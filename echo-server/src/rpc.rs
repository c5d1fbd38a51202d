//! `/rpc`: a small JSON-RPC 2.0 server, to test request/response clients (timeouts, unknown ids, notifications,
//! drops). [`answer`] is the whole protocol, as pure logic; the connection loop in `lib.rs` carries it out.

use std::time::Duration;

use serde_json::{json, Value};

/// Longest `sleep` accepted, in milliseconds.
const MAX_SLEEP_MS: u64 = 600_000;

/// Most notifications one `notify` sends.
const MAX_NOTIFICATIONS: u64 = 100_000;

/// What the server does in answer to one message, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send this text now.
    Send(String),
    /// Send this text after the delay, answering other requests meanwhile.
    Later(Duration, String),
    /// Drop the TCP connection without a close frame.
    Drop,
    /// Send a request of the server's, and answer an `ask` with the client's reply to it, once that comes.
    Ask {
        /// The id of the server's request.
        asked: Value,
        /// The id of the `ask` to answer.
        id: Value,
        /// The server's request.
        text: String,
    },
    /// The client replied to one of the server's requests.
    Replied {
        /// The id of the server's request.
        id: Value,
        /// The reply, whole.
        reply: Value,
    },
}

/// The server's answer to one text message.
///
/// Methods: `echo` (result = params), `add` (the sum of an array of numbers: an integer if they all are),
/// `sleep` (`{"ms": N, "value": V}`: result V after N ms, other requests answered meanwhile), `notify`
/// (`{"method": M, "params": P, "count": K}`: K notifications (default 1) first, then result `null`), `stray`
/// (`{"id": N}`: first a reply to id N, which the client did not ask for, then result `null`), `garbage` (first a
/// text that is not JSON, then result `null`), `drop` (no reply: the connection is dropped). Errors: -32700 for
/// text that is not JSON (id `null`), -32600 for anything but a request object, -32601 for an unknown method,
/// -32602 for bad params. A notification (no `id`) gets no reply; `drop` acts on one too.
///
/// The server asks too: `ask` (`{"method": M, "params": P, "id": I}`) sends the client request M with id I
/// (default `"ask"`), and its result is the client's reply to it, whole, once that comes. A reply from the client
/// is taken as one ([`Action::Replied`]), not as a request.
pub fn answer(text: &str) -> Vec<Action> {
    let request: Value = match serde_json::from_str(text) {
        Ok(request) => request,
        Err(_) => return vec![reply_error(&Value::Null, -32700, "Parse error")],
    };
    let id = request.get("id").cloned();
    let is_reply = request.get("result").is_some() || request.get("error").is_some();
    if let (Some(id), None, true) = (&id, request.get("method"), is_reply) {
        return vec![Action::Replied {
            id: id.clone(),
            reply: request,
        }];
    }
    let Some(method) = request.get("method").and_then(Value::as_str) else {
        return vec![reply_error(
            &id.unwrap_or(Value::Null),
            -32600,
            "Invalid Request",
        )];
    };
    let params = request.get("params").cloned().unwrap_or(Value::Null);
    if method == "drop" {
        return vec![Action::Drop];
    }
    let Some(id) = id else {
        return Vec::new();
    };
    match method {
        "echo" => vec![reply(&id, params)],
        "add" => match add(&params) {
            Some(sum) => vec![reply(&id, sum)],
            None => vec![reply_error(&id, -32602, "add takes an array of numbers")],
        },
        "sleep" => match params.get("ms").and_then(Value::as_u64) {
            Some(ms) if ms <= MAX_SLEEP_MS => {
                let value = params.get("value").cloned().unwrap_or(Value::Null);
                vec![Action::Later(
                    Duration::from_millis(ms),
                    reply_text(&id, value),
                )]
            }
            _ => vec![reply_error(&id, -32602, "sleep takes {\"ms\": 0..=600000}")],
        },
        "notify" => {
            let count = params.get("count").and_then(Value::as_u64).unwrap_or(1);
            let Some(name) = params.get("method").and_then(Value::as_str) else {
                return vec![reply_error(
                    &id,
                    -32602,
                    "notify takes {\"method\": string}",
                )];
            };
            if count > MAX_NOTIFICATIONS {
                return vec![reply_error(&id, -32602, "notify sends at most 100000")];
            }
            let notification = json!({
                "jsonrpc": "2.0",
                "method": name,
                "params": params.get("params").cloned().unwrap_or(Value::Null),
            })
            .to_string();
            let mut actions: Vec<Action> = (0..count)
                .map(|_| Action::Send(notification.clone()))
                .collect();
            actions.push(reply(&id, Value::Null));
            actions
        }
        "stray" => match params.get("id") {
            Some(stray) => vec![reply(stray, json!("stray")), reply(&id, Value::Null)],
            None => vec![reply_error(&id, -32602, "stray takes {\"id\": N}")],
        },
        "garbage" => vec![Action::Send("not json".to_owned()), reply(&id, Value::Null)],
        "ask" => match params.get("method").and_then(Value::as_str) {
            Some(name) => {
                let asked = params.get("id").cloned().unwrap_or_else(|| json!("ask"));
                let mut request = json!({ "jsonrpc": "2.0", "id": asked, "method": name });
                if let Some(params) = params.get("params") {
                    request["params"] = params.clone();
                }
                vec![Action::Ask {
                    asked,
                    id,
                    text: request.to_string(),
                }]
            }
            None => vec![reply_error(&id, -32602, "ask takes {\"method\": string}")],
        },
        // JSON-RPC 1.0's reply shape, which 2.0 forbids: both members.
        "malformed" => vec![Action::Send(
            json!({"jsonrpc": "2.0", "id": id, "result": 1, "error": null}).to_string(),
        )],
        _ => vec![reply_error(&id, -32601, "Method not found")],
    }
}

fn add(params: &Value) -> Option<Value> {
    let numbers = params.as_array()?;
    if let Some(integers) = numbers
        .iter()
        .map(Value::as_i64)
        .collect::<Option<Vec<_>>>()
    {
        return integers
            .into_iter()
            .try_fold(0i64, i64::checked_add)
            .map(Value::from);
    }
    let floats = numbers
        .iter()
        .map(Value::as_f64)
        .collect::<Option<Vec<_>>>()?;
    Some(Value::from(floats.into_iter().sum::<f64>()))
}

/// A reply to request `id` with `result`.
pub fn reply_text(id: &Value, result: Value) -> String {
    json!({ "jsonrpc": "2.0", "id": id, "result": result }).to_string()
}

fn reply(id: &Value, result: Value) -> Action {
    Action::Send(reply_text(id, result))
}

fn reply_error(id: &Value, code: i64, message: &str) -> Action {
    Action::Send(
        json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } })
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    //! Covers: every method's answer, integer and float sums, error codes, notifications getting no reply.

    use super::*;

    fn texts(actions: Vec<Action>) -> Vec<Value> {
        actions
            .into_iter()
            .map(|action| match action {
                Action::Send(text) => serde_json::from_str(&text).unwrap(),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn answers_each_method() {
        assert_eq!(
            texts(answer(
                r#"{"jsonrpc":"2.0","id":1,"method":"echo","params":{"a":[1]}}"#
            )),
            [json!({"jsonrpc":"2.0","id":1,"result":{"a":[1]}})]
        );
        assert_eq!(
            texts(answer(
                r#"{"jsonrpc":"2.0","id":2,"method":"add","params":[1,2,3]}"#
            )),
            [json!({"jsonrpc":"2.0","id":2,"result":6})]
        );
        assert_eq!(
            texts(answer(
                r#"{"jsonrpc":"2.0","id":3,"method":"add","params":[1.5,2]}"#
            )),
            [json!({"jsonrpc":"2.0","id":3,"result":3.5})]
        );
        assert_eq!(
            answer(r#"{"jsonrpc":"2.0","id":4,"method":"sleep","params":{"ms":20,"value":"x"}}"#),
            [Action::Later(
                Duration::from_millis(20),
                r#"{"id":4,"jsonrpc":"2.0","result":"x"}"#.to_owned()
            )]
        );
        let notify = texts(answer(
            r#"{"jsonrpc":"2.0","id":5,"method":"notify","params":{"method":"tick","params":[7],"count":2}}"#,
        ));
        assert_eq!(notify.len(), 3);
        assert_eq!(
            notify[0],
            json!({"jsonrpc":"2.0","method":"tick","params":[7]})
        );
        assert_eq!(notify[2], json!({"jsonrpc":"2.0","id":5,"result":null}));
        assert_eq!(
            texts(answer(
                r#"{"jsonrpc":"2.0","id":6,"method":"stray","params":{"id":99}}"#
            )),
            [
                json!({"jsonrpc":"2.0","id":99,"result":"stray"}),
                json!({"jsonrpc":"2.0","id":6,"result":null})
            ]
        );
        assert_eq!(
            answer(r#"{"jsonrpc":"2.0","id":7,"method":"drop"}"#),
            [Action::Drop]
        );
        assert_eq!(
            answer(r#"{"jsonrpc":"2.0","id":8,"method":"garbage"}"#)[0],
            Action::Send("not json".into())
        );
        assert_eq!(
            answer(r#"{"jsonrpc":"2.0","id":9,"method":"malformed"}"#),
            [Action::Send(
                r#"{"error":null,"id":9,"jsonrpc":"2.0","result":1}"#.into()
            )]
        );
    }

    #[test]
    fn asks_and_takes_replies() {
        let ask = r#"{"jsonrpc":"2.0","id":1,"method":"ask","params":{"method":"m","params":[2],"id":"q"}}"#;
        let [Action::Ask { asked, id, text }] = &answer(ask)[..] else {
            panic!("{:?}", answer(ask));
        };
        assert_eq!((asked, id), (&json!("q"), &json!(1)));
        assert_eq!(
            serde_json::from_str::<Value>(text).unwrap(),
            json!({"jsonrpc":"2.0","id":"q","method":"m","params":[2]})
        );
        let reply = json!({"jsonrpc":"2.0","id":"q","error":{"code":1,"message":"m"}});
        assert_eq!(
            answer(&reply.to_string()),
            [Action::Replied {
                id: json!("q"),
                reply
            }]
        );
    }

    #[test]
    fn reports_errors_and_ignores_notifications() {
        let code = |text: &str| texts(answer(text))[0]["error"]["code"].as_i64().unwrap();
        assert_eq!(code("{"), -32700);
        assert_eq!(code("[1]"), -32600);
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":1,"method":"nope"}"#), -32601);
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"add","params":"x"}"#),
            -32602
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"sleep","params":{"ms":-1}}"#),
            -32602
        );
        assert!(answer(r#"{"jsonrpc":"2.0","method":"echo","params":1}"#).is_empty());
    }
}
