//! The canvas helpers for JavaScript: draw a received image, encode a canvas to send.

use js_sys::{Array, ArrayBuffer, Object, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::future_to_promise;
use web_sys::{Blob, HtmlCanvasElement, OffscreenCanvas};

use crate::canvas::{self, Canvas, Decoder, DrawOptions, Fit};
use crate::js::args::{self, Options};
use crate::js::error::{set, to_js, type_error};
use crate::safe_integer::MAX_SAFE_INTEGER;

/// Decodes an image and draws it onto `canvas` (an `HTMLCanvasElement` or an `OffscreenCanvas`): cleared, then drawn as `options.fit` says (`"contain"`, the
/// default, `"natural"`, `"stretch"` or `"resize-canvas"`). `image` is a `Blob` (as received with
/// `binaryType: "blob"`) or the bytes of one (an `ArrayBuffer` or `ArrayBufferView`, whose format the browser
/// sniffs). Resolves with the image's `{ width, height }`.
///
/// Refused before anything is drawn, leaving the canvas untouched: more than `options.maxBytes` (default 16 MiB,
/// `ImageTooLargeError`), more than `options.maxPixels` (default 16,777,216, `ImageTooManyPixelsError`, read
/// from the header where the format allows, so a decompression bomb is never decoded), data that does not
/// decode (`ImageDecodeError`). `options.decoder` forces `"image-bitmap"` or `"image-element"` (default
/// `"auto"`). Object URLs, if any are needed, are revoked at once.
#[wasm_bindgen(js_name = drawBlob, unchecked_return_type = "Promise<ImageSize>")]
pub fn draw_blob(
    #[wasm_bindgen(unchecked_param_type = "HTMLCanvasElement | OffscreenCanvas")] canvas: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Blob | ArrayBuffer | ArrayBufferView")] image: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "DrawOptions")] options: Option<JsValue>,
) -> Promise {
    let checked = (|| {
        let canvas = canvas_of(&canvas)?;
        let blob = image_blob(&image)?;
        let options = draw_options(options.as_ref())?;
        Ok::<_, JsValue>((canvas, blob, options))
    })();
    let (canvas, blob, options) = match checked {
        Ok(checked) => checked,
        Err(error) => return Promise::reject(&error),
    };
    future_to_promise(async move {
        let size = canvas::draw_blob(canvas, &blob, &options)
            .await
            .map_err(|e| to_js(&e))?;
        let result = JsValue::from(Object::new());
        set(&result, "width", &size.width.into());
        set(&result, "height", &size.height.into());
        Ok(result)
    })
}

/// Encodes what is drawn on `canvas` as a `Blob`, with the standard `toBlob` (`convertToBlob` for an
/// `OffscreenCanvas`): `type` is the format
/// (`"image/png"`, the default, `"image/jpeg"`, `"image/webp"`; a format the browser cannot write gives PNG,
/// as the `Blob`'s `type` tells), `quality` from 0 to 1 applies to lossy formats. Rejects with
/// `ImageEncodeError` for a canvas with no area, `SecurityError` for one tainted by a cross-origin image.
#[wasm_bindgen(js_name = canvasToBlob, unchecked_return_type = "Promise<Blob>")]
pub fn canvas_to_blob(
    #[wasm_bindgen(unchecked_param_type = "HTMLCanvasElement | OffscreenCanvas")] canvas: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "string")] mime: Option<JsValue>,
    #[wasm_bindgen(unchecked_optional_param_type = "number")] quality: Option<JsValue>,
) -> Promise {
    let checked = (|| {
        let canvas = canvas_of(&canvas)?;
        let mime = match &mime {
            None => String::new(),
            Some(value) => value
                .as_string()
                .ok_or_else(|| type_error("the type must be a string"))?,
        };
        let quality = quality
            .as_ref()
            .map(|value| args::number(value, "quality", 0.0, 1.0))
            .transpose()?;
        Ok::<_, JsValue>((canvas, mime, quality))
    })();
    let (canvas, mime, quality) = match checked {
        Ok(checked) => checked,
        Err(error) => return Promise::reject(&error),
    };
    future_to_promise(async move {
        canvas::canvas_to_blob(canvas, &mime, quality)
            .await
            .map(JsValue::from)
            .map_err(|e| to_js(&e))
    })
}

fn canvas_of(value: &JsValue) -> Result<Canvas, JsValue> {
    if let Some(element) = value.dyn_ref::<HtmlCanvasElement>() {
        return Ok(element.into());
    }
    value
        .dyn_ref::<OffscreenCanvas>()
        .map(Canvas::from)
        .ok_or_else(|| type_error("the canvas must be an HTMLCanvasElement or an OffscreenCanvas"))
}

/// A `Blob` as is; bytes wrapped in a `Blob` without a copy into Wasm memory.
fn image_blob(value: &JsValue) -> Result<Blob, JsValue> {
    if let Some(blob) = value.dyn_ref::<Blob>() {
        return Ok(blob.clone());
    }
    if value.dyn_ref::<ArrayBuffer>().is_some()
        || (value.is_object() && ArrayBuffer::is_view(value))
    {
        return Blob::new_with_buffer_source_sequence(&Array::of1(value));
    }
    Err(type_error(
        "the image must be a Blob, an ArrayBuffer or an ArrayBufferView",
    ))
}

fn draw_options(value: Option<&JsValue>) -> Result<DrawOptions, JsValue> {
    let options = Options::new(value, "options")?;
    let defaults = DrawOptions::default();
    let fit = match options.one_of("fit", &["natural", "contain", "stretch", "resize-canvas"])? {
        Some("natural") => Fit::Natural,
        Some("stretch") => Fit::Stretch,
        Some("resize-canvas") => Fit::ResizeCanvas,
        _ => Fit::Contain,
    };
    let decoder = match options.one_of("decoder", &["auto", "image-bitmap", "image-element"])? {
        Some("image-bitmap") => Decoder::ImageBitmap,
        Some("image-element") => Decoder::ImageElement,
        _ => Decoder::Auto,
    };
    // Limits are whole numbers up to 2^53 (every larger double is a whole number anyway).
    let limit = |key: &str, default: u64| -> Result<u64, JsValue> {
        Ok(options
            .integer(key, 0.0, MAX_SAFE_INTEGER)?
            .map_or(default, |v| v as u64))
    };
    Ok(DrawOptions {
        fit,
        max_bytes: limit("maxBytes", defaults.max_bytes)?,
        max_pixels: limit("maxPixels", defaults.max_pixels)?,
        decoder,
    })
}
