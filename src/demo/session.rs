//! One connection: the socket and the four listeners the classic sample set with `onopen`, `onmessage`,
//! `onerror` and `onclose`. Dropping a session detaches them and closes the socket, without events.

use std::rc::{Rc, Weak};

use crate::{BinaryType, Error, EventListener, WebSocket};

use super::App;

pub(super) struct Session {
    pub socket: WebSocket,
    /// Kept for as long as the session: dropping a listener removes it.
    _listeners: [EventListener; 4],
}

impl Session {
    /// Opens `url`; the events go to `app` for as long as it exists (the listeners hold it weakly, so there is no
    /// reference cycle between the app, its session and the session's callbacks).
    pub fn open(url: &str, binary_type: BinaryType, app: &Weak<App>) -> Result<Self, Error> {
        let socket = WebSocket::open(url)?;
        socket.set_binary_type(binary_type);
        let on_open = {
            let app = app.clone();
            socket.on_open(move || with(&app, |app| app.opened()))
        };
        let on_message = {
            let app = app.clone();
            socket.on_message(move |message| with(&app, |app| app.received(message)))
        };
        let on_error = {
            let app = app.clone();
            socket.on_error(move || with(&app, |app| app.errored()))
        };
        let on_close = {
            let app = app.clone();
            socket.on_close(move |event| with(&app, |app| app.closed(&event)))
        };
        Ok(Self {
            socket,
            _listeners: [on_open, on_message, on_error, on_close],
        })
    }
}

/// Calls `f` with the app, unless it is gone.
pub(super) fn with(app: &Weak<App>, f: impl FnOnce(&Rc<App>)) {
    if let Some(app) = app.upgrade() {
        f(&app);
    }
}
