//! Handlers chained to a promise without a Rust closure: built-in functions only, so nothing of ours has to
//! outlive the future that gave the promise up, and nothing is left for the garbage collector to find.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

#[wasm_bindgen]
extern "C" {
    /// `Function.prototype`, a function that does nothing: the handler of rejections nobody needs to see.
    #[wasm_bindgen(thread_local_v2, js_namespace = Function, js_name = prototype)]
    static DO_NOTHING: Function;

    /// `Function.prototype.call`: bound to a method, a function that calls it on its argument.
    #[wasm_bindgen(thread_local_v2, js_namespace = Function, js_name = "prototype.call")]
    static CALL: Function;

    /// `Promise.prototype.then.call(promise, handler)`.
    #[wasm_bindgen(js_namespace = Promise, js_name = "prototype.then.call")]
    fn then_with(promise: &Promise, handler: &Function) -> Promise;

    /// `Promise.prototype.catch.call(promise, handler)`.
    #[wasm_bindgen(js_namespace = Promise, js_name = "prototype.catch.call")]
    fn catch_with(promise: &Promise, handler: &Function) -> Promise;
}

/// Lets `promise` fail quietly: no unhandled rejection is reported for it.
pub(crate) fn ignore_failure(promise: &Promise) {
    let _ = DO_NOTHING.with(|nothing| catch_with(promise, nothing));
}

/// Once `promise` resolves, calls `method` (a method from a prototype) on the value, and lets a failure of
/// either pass quietly.
pub(crate) fn call_on_result(promise: &Promise, method: &JsValue) {
    let handler = CALL.with(|call| call.bind0(method));
    ignore_failure(&then_with(promise, &handler));
}
