//! The page's elements, looked up once by id, and the few ways the demo writes to them: always through
//! `textContent`, never `innerHTML`, so nothing a server sends can become markup.

use js_sys::Date;
use wasm_bindgen::{JsCast, JsError};
use web_sys::{
    Document, Element, HtmlButtonElement, HtmlCanvasElement, HtmlElement, HtmlInputElement,
    HtmlSelectElement,
};

use crate::{BinaryType, ReadyState};

/// How many entries the event log keeps; older ones are removed.
const LOG_LIMIT: u32 = 200;

/// How much of a message the event log shows.
const LOG_PREVIEW_CHARS: usize = 120;

/// Every element the demo uses. The ids the classic sample uses are kept: `serverStatus`, `serverResponse`,
/// `textmessage`, `source`, `destination` (and `serverData`, which its text mentions).
pub(super) struct Ui {
    pub document: Document,
    pub url: HtmlInputElement,
    pub connect: HtmlButtonElement,
    pub disconnect: HtmlButtonElement,
    pub binary_blob: HtmlInputElement,
    pub binary_array_buffer: HtmlInputElement,
    pub close_code: HtmlInputElement,
    pub close_reason: HtmlInputElement,
    pub server_status: HtmlElement,
    pub ready_state: HtmlElement,
    pub text_message: HtmlInputElement,
    pub send_text: HtmlButtonElement,
    pub send_hint: HtmlElement,
    pub server_response: HtmlElement,
    pub source: HtmlCanvasElement,
    pub destination: HtmlCanvasElement,
    pub destination_info: HtmlElement,
    pub brush_color: HtmlInputElement,
    pub brush_size: HtmlInputElement,
    pub reset_sketch: HtmlButtonElement,
    pub image_format: HtmlSelectElement,
    pub send_binary: HtmlButtonElement,
    pub sent_messages: HtmlElement,
    pub sent_bytes: HtmlElement,
    pub received_messages: HtmlElement,
    pub received_bytes: HtmlElement,
    pub event_log: HtmlElement,
    pub clear_log: HtmlButtonElement,
}

/// The look of a status line or log entry (a CSS class).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tone {
    Neutral,
    Good,
    Bad,
    Sent,
    Received,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Self::Neutral => "neutral",
            Self::Good => "good",
            Self::Bad => "bad",
            Self::Sent => "sent",
            Self::Received => "received",
        }
    }
}

/// Messages and bytes, each way.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Traffic {
    pub sent_messages: u64,
    pub sent_bytes: u64,
    pub received_messages: u64,
    pub received_bytes: u64,
}

impl Ui {
    /// Finds every element, or says which one is missing.
    pub fn find(document: Document) -> Result<Self, JsError> {
        let d = &document;
        Ok(Self {
            url: by_id(d, "url")?,
            connect: by_id(d, "connect")?,
            disconnect: by_id(d, "disconnect")?,
            binary_blob: by_id(d, "binaryBlob")?,
            binary_array_buffer: by_id(d, "binaryArrayBuffer")?,
            close_code: by_id(d, "closeCode")?,
            close_reason: by_id(d, "closeReason")?,
            server_status: by_id(d, "serverStatus")?,
            ready_state: by_id(d, "readyState")?,
            text_message: by_id(d, "textmessage")?,
            send_text: by_id(d, "sendText")?,
            send_hint: by_id(d, "sendHint")?,
            server_response: by_id(d, "serverResponse")?,
            source: by_id(d, "source")?,
            destination: by_id(d, "destination")?,
            destination_info: by_id(d, "destinationInfo")?,
            brush_color: by_id(d, "brushColor")?,
            brush_size: by_id(d, "brushSize")?,
            reset_sketch: by_id(d, "resetSketch")?,
            image_format: by_id(d, "imageFormat")?,
            send_binary: by_id(d, "sendBinary")?,
            sent_messages: by_id(d, "sentMessages")?,
            sent_bytes: by_id(d, "sentBytes")?,
            received_messages: by_id(d, "receivedMessages")?,
            received_bytes: by_id(d, "receivedBytes")?,
            event_log: by_id(d, "eventLog")?,
            clear_log: by_id(d, "clearLog")?,
            document,
        })
    }

    /// The binary type chosen with the switch.
    pub fn binary_type(&self) -> BinaryType {
        if self.binary_array_buffer.checked() {
            BinaryType::ArrayBuffer
        } else {
            BinaryType::Blob
        }
    }

    /// The sample's status line: `WebSocket Status:: ...`.
    pub fn set_status(&self, text: &str, tone: Tone) {
        self.server_status
            .set_text_content(Some(&format!("WebSocket Status:: {text}")));
        self.server_status
            .set_class_name(&format!("status {}", tone.class()));
    }

    /// The sample's reply line: `Server Reply:: ...`, as text.
    pub fn set_reply(&self, text: &str) {
        self.server_response
            .set_text_content(Some(&format!("Server Reply:: {text}")));
    }

    /// Enables what makes sense in `state` (`None`: no socket yet) and says why sending is off.
    pub fn show_state(&self, state: Option<ReadyState>) {
        let label = state.map_or_else(
            || "– (no socket)".to_owned(),
            |state| format!("{} {state}", state.to_dom()),
        );
        self.ready_state.set_text_content(Some(&label));
        self.ready_state.set_class_name(&format!(
            "state-{}",
            state.map_or("none", |s| s.as_str()).to_ascii_lowercase()
        ));

        let live = matches!(state, Some(ReadyState::Connecting | ReadyState::Open));
        self.connect.set_disabled(live);
        self.disconnect.set_disabled(!live);

        let open = state == Some(ReadyState::Open);
        self.send_text.set_disabled(!open);
        self.send_binary.set_disabled(!open);
        let reason = match state {
            Some(ReadyState::Open) => "",
            Some(ReadyState::Connecting) => "Sending is off: the socket is still connecting.",
            Some(ReadyState::Closing) => "Sending is off: the socket is closing.",
            Some(ReadyState::Closed) => "Sending is off: the socket is closed. Press Connect.",
            None => "Sending is off: not connected. Press Connect.",
        };
        self.send_hint.set_text_content(Some(reason));
        self.send_hint.set_hidden(reason.is_empty());
        self.send_text.set_title(reason);
        self.send_binary.set_title(reason);
    }

    /// Shows the counters.
    pub fn show_traffic(&self, traffic: &Traffic) {
        self.sent_messages
            .set_text_content(Some(&traffic.sent_messages.to_string()));
        self.sent_bytes
            .set_text_content(Some(&format_bytes(traffic.sent_bytes)));
        self.received_messages
            .set_text_content(Some(&traffic.received_messages.to_string()));
        self.received_bytes
            .set_text_content(Some(&format_bytes(traffic.received_bytes)));
    }

    /// Adds a line at the top of the event log: the time, a tag (`open`, `sent`, ...) and `text`, as text.
    pub fn log(&self, tag: &str, tone: Tone, text: &str) {
        // Creating elements only fails for invalid names; these are fixed and valid.
        let (Ok(entry), Ok(time), Ok(label), Ok(body)) = (
            self.document.create_element("li"),
            self.document.create_element("time"),
            self.document.create_element("span"),
            self.document.create_element("span"),
        ) else {
            return;
        };
        entry.set_class_name(tone.class());
        time.set_text_content(Some(&clock()));
        label.set_class_name("tag");
        label.set_text_content(Some(tag));
        body.set_class_name("text");
        body.set_text_content(Some(text));
        for part in [&time, &label, &body] {
            let _ = entry.append_child(part);
        }
        let _ = self.event_log.prepend_with_node_1(&entry);
        while self.event_log.child_element_count() > LOG_LIMIT {
            match self.event_log.last_element_child() {
                Some(oldest) => oldest.remove(),
                None => break,
            }
        }
    }

    /// Empties the event log.
    pub fn clear_log(&self) {
        self.event_log.set_text_content(None);
    }
}

/// The element with `id`, as the expected type.
fn by_id<T: JsCast>(document: &Document, id: &str) -> Result<T, JsError> {
    document
        .get_element_by_id(id)
        .ok_or_else(|| JsError::new(&format!("the page has no element #{id}")))?
        .dyn_into::<T>()
        .map_err(|element: Element| {
            JsError::new(&format!(
                "#{id} is a <{}>, not the element the demo expects",
                element.tag_name().to_ascii_lowercase()
            ))
        })
}

/// The local time as `12:34:56.789`.
fn clock() -> String {
    let now = Date::new_0();
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        now.get_hours(),
        now.get_minutes(),
        now.get_seconds(),
        now.get_milliseconds()
    )
}

/// `512 B`, `12.3 kB`, `4.0 MB` (powers of 1000).
pub(super) fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    // Display only: the precision lost converting to a double is invisible at one decimal.
    let mut value = bytes as f64 / 1000.0;
    let mut unit = "kB";
    for next in UNITS.iter().skip(1) {
        if value < 999.95 {
            break;
        }
        value /= 1000.0;
        unit = next;
    }
    format!("{value:.1} {unit}")
}

/// The start of `text` for the event log, with `…` if it was cut.
pub(super) fn preview(text: &str) -> String {
    let mut chars = text.chars();
    let shown: String = chars.by_ref().take(LOG_PREVIEW_CHARS).collect();
    if chars.next().is_some() {
        format!("{shown}…")
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_readable() {
        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(999), "999 B");
        assert_eq!(format_bytes(1000), "1.0 kB");
        assert_eq!(format_bytes(12_345), "12.3 kB");
        assert_eq!(format_bytes(999_999), "1.0 MB");
        assert_eq!(format_bytes(4_000_000), "4.0 MB");
        assert_eq!(format_bytes(u64::MAX), "18446744.1 TB");
    }

    #[test]
    fn previews_are_cut_on_characters() {
        assert_eq!(preview("hello"), "hello");
        let long = "é".repeat(LOG_PREVIEW_CHARS + 1);
        let shown = preview(&long);
        assert!(shown.ends_with('…'));
        assert_eq!(shown.chars().count(), LOG_PREVIEW_CHARS + 1);
    }
}
