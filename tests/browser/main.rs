//! The browser test suite, which every browser step of `cargo xtask test` runs: one module per behaviour, each
//! starting with what it covers.
//!
//! One test binary rather than one per file: each binary costs a wasm-bindgen run and a browser start in each of
//! the five browser runs. The soak (`tests/soak.rs`, minutes long) and the worker tests (`tests/worker.rs`,
//! another runner mode) have binaries of their own.
#![cfg(target_arch = "wasm32")]

#[path = "../common/mod.rs"]
mod common;

mod canvas;
mod close;
mod connection;
mod faults;
mod hostile_input;
mod js_api;
mod js_typed;
mod listeners;
mod open;
mod races;
mod reconnect;
mod reconnect_control;
mod reconnect_queues;
mod reentrancy;
mod send_receive;
mod sink;
mod threads;
mod transport;
#[cfg(feature = "typed")]
mod typed;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
