//! The thrown value behind an error, for its `cause`.
//!
//! An [`Error`](crate::Error) keeps no `JsValue` (it is `Send`, `Clone` and comparable), so when the crate turns
//! a thrown value into one, the value is remembered here with the name and message it became. When the JS API
//! hands the error to JS, it looks the value up by that text and sets it as the error's `cause`, as a JS
//! developer expects of a wrapping error. Only the latest few are kept: an error reaches JS in the same task it
//! was made in, or shortly after (a failed attempt's `disconnected` event), and a cause that has been pushed out
//! is simply left unset.

use std::cell::RefCell;
use std::collections::VecDeque;

use wasm_bindgen::JsValue;

/// How many thrown values are kept.
const KEPT: usize = 8;

thread_local! {
    /// The latest thrown values, newest last, with the name and message they became.
    static RECENT: RefCell<VecDeque<Thrown>> = const { RefCell::new(VecDeque::new()) };
}

struct Thrown {
    name: String,
    message: String,
    value: JsValue,
}

/// Remembers that `value` was thrown and became an error called `name` with `message`.
pub(crate) fn remember(name: &str, message: &str, value: &JsValue) {
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        if recent.len() == KEPT {
            recent.pop_front();
        }
        recent.push_back(Thrown {
            name: name.to_owned(),
            message: message.to_owned(),
            value: value.clone(),
        });
    });
}

/// The latest thrown value that became `message` (and `name`, if given).
pub(crate) fn recall(name: Option<&str>, message: &str) -> Option<JsValue> {
    RECENT.with(|recent| {
        recent
            .borrow()
            .iter()
            .rev()
            .find(|thrown| {
                thrown.message == message && name.map_or(true, |name| thrown.name == name)
            })
            .map(|thrown| thrown.value.clone())
    })
}
