//! Typed messages (feature `typed`): serde codecs, typed `Stream`/`Sink` layers, and JSON-RPC request/response.
//!
//! - [`Message::json`](crate::Message::json) and [`Message::decode_json`](crate::Message::decode_json) for one
//!   message; [`Codec`] with [`Json`] built in, so that a binary codec is one more type.
//! - [`Typed`] (or [`TypedExt::typed`]) over a [`Connection`](crate::Connection), its halves, or a
//!   [`ReconnectingClient`](crate::reconnect::ReconnectingClient): a `Stream<Item = Result<In, Error>>` and a
//!   `Sink<Out>`. A message that fails to decode is an [`Error::Decode`](crate::Error::Decode) carrying the
//!   message, and the stream goes on.
//! - [`RpcClient`]: JSON-RPC 2.0 requests with an id, replies awaited with a timeout, a bound on requests
//!   awaiting a reply, notifications and unknown replies reported in a bounded stream, and requests failed when
//!   their connection drops.
//!
//! ```no_run
//! use browser_ws::typed::{RpcClient, TypedExt};
//! use browser_ws::Message;
//! use futures::{SinkExt, StreamExt};
//!
//! #[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq)]
//! struct Point { x: i32, y: i32 }
//!
//! # async fn run() -> Result<(), browser_ws::Error> {
//! // One message.
//! let message = Message::json(&Point { x: 1, y: 2 })?; // {"x":1,"y":2}, a text message
//! assert_eq!(message.decode_json::<Point>()?, Point { x: 1, y: 2 });
//!
//! // A typed connection.
//! let mut points = browser_ws::connect("wss://example.com/echo").await?.typed::<Point, Point>();
//! points.send(Point { x: 3, y: 4 }).await?;
//! let echoed = points.next().await; // Some(Ok(Point { x: 3, y: 4 }))
//! # let _ = echoed;
//!
//! // Request/response.
//! let rpc = RpcClient::new(browser_ws::connect("wss://example.com/rpc").await?);
//! let sum: f64 = rpc.call("add", &[1.5, 2.0]).await?;
//! # let _ = sum;
//! # Ok(())
//! # }
//! ```
//!
//! Everything here is `!Send`, like the rest of the crate.

mod codec;
mod rpc;
mod stream;

pub use codec::{Codec, Json};
pub use rpc::{Notification, Notifications, RpcClient};

pub use crate::rpc::RpcBuilder;
pub use crate::undecoded::Undecoded;
pub use stream::{Typed, TypedExt};
