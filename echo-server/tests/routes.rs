//! Drives every route with a tokio-tungstenite client against an in-process server on 127.0.0.1:0.
//!
//! Covers: /echo (text, binary, order, 20 MiB message above tungstenite's 16 MiB default frame limit), /close
//! (default, code + non-ASCII reason after K echoes, TCP held open after the handshake), /drop (no close frame;
//! mid-message), /binary and /text patterns, /greet with URL-decoding, /protocol and subprotocol selection (first
//! offered, `protocol=none`), /silent, /slow, /burst order, /flood order and its `floodMs`, /invalid-utf8 (client
//! error), /no-handshake (handshake never completes), /stats (per tag and overall, open drops on close), /endpoints
//! (each listed endpoint serves, counted together, neither route counted), /rpc (replies by id, a `sleep` answered
//! after later requests, notifications before their reply, a stray reply, `drop` without a close frame), HTTP 404
//! for unknown paths and 400 for bad parameters, 100 concurrent connections.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::ClientRequestBuilder;
use tokio_tungstenite::tungstenite::error::{ProtocolError, SubProtocolError};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::WebSocketStream;

use echo_server::{binary_pattern, text_pattern, ws_config, Server};

type Client = WebSocketStream<TcpStream>;

async fn start() -> String {
    let server = Server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
        .quiet(true);
    let url = server.url().unwrap();
    tokio::spawn(server.run());
    url
}

async fn try_connect(url: &str, protocols: &[&str]) -> Result<(Client, Option<String>), Error> {
    let addr = url
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut request = ClientRequestBuilder::new(url.parse().unwrap());
    for protocol in protocols {
        request = request.with_sub_protocol(*protocol);
    }
    let (ws, response) =
        tokio_tungstenite::client_async_with_config(request, tcp, Some(ws_config())).await?;
    let protocol = response
        .headers()
        .get("sec-websocket-protocol")
        .map(|v| v.to_str().unwrap().to_owned());
    Ok((ws, protocol))
}

async fn connect(url: &str) -> Client {
    try_connect(url, &[]).await.unwrap().0
}

/// The next message, failing the test after 5 s.
async fn next(ws: &mut Client) -> Option<Result<Message, Error>> {
    timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("no message within 5 s")
}

async fn next_text(ws: &mut Client) -> String {
    match next(ws).await {
        Some(Ok(Message::Text(text))) => text.to_string(),
        other => panic!("expected text, got {other:?}"),
    }
}

/// Reads until the stream ends; returns the close frame seen (if any) and whether it ended in an error.
async fn read_to_end(ws: &mut Client) -> (Option<Message>, Option<Error>) {
    let mut close = None;
    loop {
        match next(ws).await {
            Some(Ok(message @ Message::Close(_))) => close = Some(message),
            Some(Ok(other)) => panic!("unexpected message {other:?}"),
            Some(Err(err)) => return (close, Some(err)),
            None => return (close, None),
        }
    }
}

async fn stats(url: &str, tag: Option<&str>) -> String {
    let query = tag.map(|t| format!("?tag={t}")).unwrap_or_default();
    reply_then_close(&format!("{url}/stats{query}")).await
}

/// The one text message a route that answers a question sends before it closes with 1000.
async fn reply_then_close(url: &str) -> String {
    let mut ws = connect(url).await;
    let json = next_text(&mut ws).await;
    let (close, err) = read_to_end(&mut ws).await;
    assert!(
        matches!(close, Some(Message::Close(Some(ref f))) if f.code == CloseCode::Normal),
        "{close:?}"
    );
    assert!(err.is_none(), "{err:?}");
    json
}

#[tokio::test]
async fn echo_keeps_kind_and_order() {
    let url = start().await;
    let mut ws = connect(&format!("{url}/echo")).await;
    ws.send(Message::text("one")).await.unwrap();
    ws.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    ws.send(Message::text("")).await.unwrap();
    assert_eq!(next(&mut ws).await.unwrap().unwrap(), Message::text("one"));
    assert_eq!(
        next(&mut ws).await.unwrap().unwrap(),
        Message::binary(vec![1, 2, 3])
    );
    assert_eq!(next(&mut ws).await.unwrap().unwrap(), Message::text(""));
    ws.close(None).await.unwrap();
    let (close, err) = read_to_end(&mut ws).await;
    assert!(close.is_some() && err.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_accepts_messages_above_16_mib() {
    let url = start().await;
    let mut ws = connect(&format!("{url}/echo")).await;
    let big = binary_pattern(20 << 20);
    ws.send(Message::binary(big.clone())).await.unwrap();
    match next(&mut ws).await {
        Some(Ok(Message::Binary(data))) => assert!(data == big, "payload differs"),
        other => panic!("expected binary, got {other:?}"),
    }
}

#[tokio::test]
async fn close_defaults_to_1000_at_once() {
    let url = start().await;
    let mut ws = connect(&format!("{url}/close")).await;
    let (close, err) = read_to_end(&mut ws).await;
    match close {
        Some(Message::Close(Some(frame))) => {
            assert_eq!(frame.code, CloseCode::Normal);
            assert_eq!(frame.reason.as_str(), "");
        }
        other => panic!("expected close 1000, got {other:?}"),
    }
    assert!(err.is_none(), "{err:?}");
}

#[tokio::test]
async fn close_with_code_and_reason_after_echoes() {
    let url = start().await;
    let mut ws = connect(&format!(
        "{url}/close?code=4001&reason=bye+%E2%9C%93&after=2"
    ))
    .await;
    ws.send(Message::text("a")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "a");
    ws.send(Message::text("b")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "b");
    let (close, err) = read_to_end(&mut ws).await;
    match close {
        Some(Message::Close(Some(frame))) => {
            assert_eq!(u16::from(frame.code), 4001);
            assert_eq!(frame.reason.as_str(), "bye ✓");
        }
        other => panic!("expected close 4001, got {other:?}"),
    }
    assert!(err.is_none(), "{err:?}");
}

#[tokio::test]
async fn close_can_hold_the_connection_open_after_the_handshake() {
    let url = start().await;
    let mut ws = connect(&format!("{url}/close?code=4002&hold_ms=1000")).await;
    match next(&mut ws).await {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 4002),
        other => panic!("expected close 4002, got {other:?}"),
    }
    // The reply went out with the frame; the server closes TCP only after the hold.
    let handshake_done = std::time::Instant::now();
    let (close, _) = read_to_end(&mut ws).await;
    assert!(close.is_none(), "{close:?}");
    let held = handshake_done.elapsed();
    assert!(
        held >= Duration::from_millis(500),
        "TCP closed after {held:?}"
    );
}

#[tokio::test]
async fn drop_sends_no_close_frame() {
    let url = start().await;
    let mut ws = connect(&format!("{url}/drop?after=1")).await;
    ws.send(Message::text("last")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "last");
    let (close, err) = read_to_end(&mut ws).await;
    assert!(close.is_none(), "{close:?}");
    assert!(err.is_some(), "expected a reset error");
}

#[tokio::test]
async fn rpc_answers_by_id_and_out_of_order() {
    let url = start().await;
    let mut ws = connect(&format!("{url}/rpc")).await;
    let request = |id: u32, method: &str, params: &str| {
        Message::text(format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":{params}}}"#
        ))
    };
    ws.send(request(1, "sleep", r#"{"ms":300,"value":"late"}"#))
        .await
        .unwrap();
    ws.send(request(2, "add", "[1,2]")).await.unwrap();
    ws.send(request(3, "notify", r#"{"method":"tick","params":[1]}"#))
        .await
        .unwrap();
    ws.send(request(4, "stray", r#"{"id":77}"#)).await.unwrap();
    let expected = [
        r#"{"id":2,"jsonrpc":"2.0","result":3}"#,
        r#"{"jsonrpc":"2.0","method":"tick","params":[1]}"#,
        r#"{"id":3,"jsonrpc":"2.0","result":null}"#,
        r#"{"id":77,"jsonrpc":"2.0","result":"stray"}"#,
        r#"{"id":4,"jsonrpc":"2.0","result":null}"#,
        r#"{"id":1,"jsonrpc":"2.0","result":"late"}"#,
    ];
    for text in expected {
        assert_eq!(next_text(&mut ws).await, text);
    }
    ws.send(request(5, "drop", "null")).await.unwrap();
    let (close, err) = read_to_end(&mut ws).await;
    assert!(close.is_none(), "{close:?}");
    assert!(err.is_some(), "expected a reset error");
}

#[tokio::test]
async fn drop_mid_message_delivers_no_message() {
    let url = start().await;
    let mut ws = connect(&format!("{url}/drop?after_bytes=1000&send=100000")).await;
    let (close, err) = read_to_end(&mut ws).await;
    assert!(close.is_none(), "{close:?}");
    assert!(err.is_some(), "expected an error for the truncated message");
}

#[tokio::test]
async fn binary_and_text_patterns() {
    let url = start().await;
    let mut ws = connect(&format!("{url}/binary?bytes=1000")).await;
    assert_eq!(
        next(&mut ws).await.unwrap().unwrap(),
        Message::binary(binary_pattern(1000))
    );
    let mut ws = connect(&format!("{url}/binary?bytes=0")).await;
    assert_eq!(
        next(&mut ws).await.unwrap().unwrap(),
        Message::binary(Vec::new())
    );
    let mut ws = connect(&format!("{url}/text?bytes=30")).await;
    assert_eq!(next_text(&mut ws).await, text_pattern(30));
    assert!(text_pattern(30).starts_with("abcdefghijklmnopqrstuvwxyzabcd"));
    // Then they echo.
    ws.send(Message::binary(vec![9])).await.unwrap();
    assert_eq!(
        next(&mut ws).await.unwrap().unwrap(),
        Message::binary(vec![9])
    );
}

#[tokio::test]
async fn greet_decodes_the_query() {
    let url = start().await;
    let mut ws = connect(&format!("{url}/greet")).await;
    assert_eq!(next_text(&mut ws).await, "hello");
    let mut ws = connect(&format!("{url}/greet?text=h%C3%A9llo+w%26rld")).await;
    assert_eq!(next_text(&mut ws).await, "héllo w&rld");
}

#[tokio::test]
async fn selects_the_first_offered_protocol() {
    let url = start().await;
    let (mut ws, selected) = try_connect(&format!("{url}/protocol"), &["chat.v2", "chat.v1"])
        .await
        .unwrap();
    assert_eq!(selected.as_deref(), Some("chat.v2"));
    assert_eq!(next_text(&mut ws).await, "chat.v2");

    let (mut ws, selected) = try_connect(&format!("{url}/protocol"), &[]).await.unwrap();
    assert_eq!(selected, None);
    assert_eq!(next_text(&mut ws).await, "");

    // `protocol=none` selects nothing; browsers accept that, tungstenite's client refuses it.
    match try_connect(&format!("{url}/protocol?protocol=none"), &["chat.v1"]).await {
        Err(Error::Protocol(ProtocolError::SecWebSocketSubProtocolError(
            SubProtocolError::NoSubProtocol,
        ))) => {}
        other => panic!(
            "expected no selected protocol, got {:?}",
            other.map(|(_, p)| p)
        ),
    }

    // Every route selects, not only /protocol.
    let (_ws, selected) = try_connect(&format!("{url}/echo"), &["x"]).await.unwrap();
    assert_eq!(selected.as_deref(), Some("x"));
}

#[tokio::test]
async fn unknown_path_is_404_and_bad_param_is_400() {
    let url = start().await;
    for (path, status) in [("/nope", 404), ("/", 404), ("/binary?bytes=lots", 400)] {
        match try_connect(&format!("{url}{path}"), &[]).await {
            Err(Error::Http(response)) => assert_eq!(response.status().as_u16(), status, "{path}"),
            other => panic!(
                "{path}: expected HTTP {status}, got {:?}",
                other.map(|_| ())
            ),
        }
    }
}

#[tokio::test]
async fn silent_never_sends_but_answers_close() {
    let url = start().await;
    let mut ws = connect(&format!("{url}/silent")).await;
    ws.send(Message::text("anyone?")).await.unwrap();
    assert!(
        timeout(Duration::from_millis(200), ws.next())
            .await
            .is_err(),
        "silent sent something"
    );
    ws.close(None).await.unwrap();
    let (close, err) = read_to_end(&mut ws).await;
    assert!(close.is_some() && err.is_none());
}

#[tokio::test]
async fn slow_still_echoes() {
    let url = start().await;
    let mut ws = connect(&format!("{url}/slow?ms=20")).await;
    for i in 0..3 {
        ws.send(Message::text(i.to_string())).await.unwrap();
    }
    for i in 0..3 {
        assert_eq!(next_text(&mut ws).await, i.to_string());
    }
}

#[tokio::test]
async fn burst_is_numbered_in_order() {
    let url = start().await;
    let mut ws = connect(&format!("{url}/burst?count=200&bytes=10")).await;
    for i in 0..200 {
        let text = next_text(&mut ws).await;
        assert!(text.starts_with(&format!("{i}:")), "{i}: {text}");
        assert_eq!(text.len(), 10);
    }
}

#[tokio::test]
async fn flood_sends_in_order_and_records_its_time() {
    let url = start().await;
    let mut ws = connect(&format!("{url}/flood?count=300&bytes=1000&tag=flood")).await;
    // Loopback's buffers hold all of this, so the time is not asserted (the browser test does that with a
    // flood larger than any buffer); only its presence and the order.
    for i in 0..300 {
        let text = next_text(&mut ws).await;
        assert!(text.starts_with(&format!("{i}:")), "{i}: {text}");
        assert_eq!(text.len(), 1000);
    }
    // Recorded once the last message is handed to the kernel, which may be just after the client read it.
    let mut json = stats(&url, Some("flood")).await;
    for _ in 0..50 {
        if json.contains("floodMs") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        json = stats(&url, Some("flood")).await;
    }
    assert!(
        json.starts_with(r#"{"open":1,"total":1,"received":0,"lastClientClose":null,"floodMs":"#),
        "{json}"
    );
    ws.send(Message::text("then echo")).await.expect("sends");
    assert_eq!(next_text(&mut ws).await, "then echo");
}

#[tokio::test]
async fn invalid_utf8_fails_the_client() {
    let url = start().await;
    let mut ws = connect(&format!("{url}/invalid-utf8")).await;
    match next(&mut ws).await {
        Some(Err(Error::Utf8(_))) => {}
        other => panic!("expected a UTF-8 error, got {other:?}"),
    }
}

#[tokio::test]
async fn no_handshake_never_answers() {
    let url = start().await;
    let attempt = timeout(
        Duration::from_millis(500),
        try_connect(&format!("{url}/no-handshake?tag=nh"), &[]),
    )
    .await;
    assert!(attempt.is_err(), "the handshake completed");
    // The abandoned TCP connection is noticed and no longer counted as open.
    let mut json = String::new();
    for _ in 0..50 {
        json = stats(&url, Some("nh")).await;
        if json == r#"{"open":0,"total":1,"received":0,"lastClientClose":null}"# {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        json,
        r#"{"open":0,"total":1,"received":0,"lastClientClose":null}"#
    );
}

#[tokio::test]
async fn stats_counts_per_tag_and_overall() {
    let url = start().await;
    assert_eq!(
        stats(&url, Some("t")).await,
        r#"{"open":0,"total":0,"received":0,"lastClientClose":null}"#
    );
    let mut a = connect(&format!("{url}/echo?tag=t")).await;
    let _b = connect(&format!("{url}/silent?tag=t")).await;
    let _c = connect(&format!("{url}/echo?tag=other")).await;
    let _d = connect(&format!("{url}/echo")).await;
    assert_eq!(
        stats(&url, Some("t")).await,
        r#"{"open":2,"total":2,"received":0,"lastClientClose":null}"#
    );
    assert_eq!(
        stats(&url, Some("other")).await,
        r#"{"open":1,"total":1,"received":0,"lastClientClose":null}"#
    );
    // Without a tag: every connection except /stats ones.
    assert_eq!(
        stats(&url, None).await,
        r#"{"open":4,"total":4,"received":0,"lastClientClose":null}"#
    );

    // Data messages are counted per tag.
    a.send(Message::text("x")).await.unwrap();
    assert_eq!(next_text(&mut a).await, "x");
    // A completed close handshake is already counted as closed.
    a.close(None).await.unwrap();
    let (close, err) = read_to_end(&mut a).await;
    assert!(close.is_some() && err.is_none());
    assert_eq!(
        stats(&url, Some("t")).await,
        r#"{"open":1,"total":2,"received":1,"lastClientClose":1005}"#
    );

    // The code of the latest close frame a client sent, per tag.
    let mut e = connect(&format!("{url}/echo?tag=t")).await;
    e.close(Some(CloseFrame {
        code: CloseCode::from(4429),
        reason: "receive queue full".into(),
    }))
    .await
    .unwrap();
    read_to_end(&mut e).await;
    assert_eq!(
        stats(&url, Some("t")).await,
        r#"{"open":1,"total":3,"received":1,"lastClientClose":4429}"#
    );
}

#[tokio::test]
async fn endpoints_lists_every_endpoint_and_they_count_together() {
    let server = Server::bind_endpoints("127.0.0.1:0".parse().unwrap(), 3)
        .await
        .unwrap()
        .quiet(true);
    let url = server.url().unwrap();
    tokio::spawn(server.run());
    let list = reply_then_close(&format!("{url}/endpoints")).await;
    let endpoints: Vec<&str> = list
        .strip_prefix('[')
        .and_then(|l| l.strip_suffix(']'))
        .unwrap()
        .split(',')
        .map(|quoted| quoted.trim_matches('"'))
        .collect();
    assert_eq!(endpoints.len(), 3, "{list}");
    assert_eq!(endpoints[0], url, "the asked-for endpoint comes first");
    let mut open = Vec::new();
    for endpoint in &endpoints {
        assert!(endpoint.starts_with("ws://127.0.0.1:"), "{endpoint}");
        let mut ws = connect(&format!("{endpoint}/echo?tag=ends")).await;
        ws.send(Message::text(*endpoint)).await.unwrap();
        assert_eq!(next_text(&mut ws).await, *endpoint);
        open.push(ws);
    }
    assert_eq!(
        stats(endpoints[2], Some("ends")).await,
        r#"{"open":3,"total":3,"received":3,"lastClientClose":null}"#
    );
    assert_eq!(
        stats(&url, None).await,
        r#"{"open":3,"total":3,"received":3,"lastClientClose":null}"#,
        "/endpoints and /stats are not counted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handles_100_concurrent_connections() {
    let url = start().await;
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let url = url.clone();
            tokio::spawn(async move {
                let mut ws = connect(&format!("{url}/echo?tag=many")).await;
                for j in 0..10 {
                    let text = format!("{i}-{j}");
                    ws.send(Message::text(text.clone())).await.unwrap();
                    assert_eq!(next_text(&mut ws).await, text);
                }
                ws.close(None).await.unwrap();
                read_to_end(&mut ws).await;
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(
        stats(&url, Some("many")).await,
        r#"{"open":0,"total":100,"received":1000,"lastClientClose":1005}"#
    );
}
