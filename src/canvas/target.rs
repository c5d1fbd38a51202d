//! The two kinds of canvas the helpers draw on and encode: a `<canvas>` element, and an `OffscreenCanvas`, which is
//! what a worker has.

use js_sys::Promise;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, CanvasRenderingContext2d, HtmlCanvasElement, ImageEncodeOptions, OffscreenCanvas,
    OffscreenCanvasRenderingContext2d,
};

use crate::error::{exception_parts, Error};

/// A canvas to draw on or encode. Every helper takes `impl Into<Canvas>`, so pass an `HtmlCanvasElement` or an
/// `OffscreenCanvas`, or a reference to one (the JS object is shared, not copied).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Canvas {
    /// A `<canvas>` element of a document.
    Element(HtmlCanvasElement),
    /// An `OffscreenCanvas`: made in a worker, or handed to one with `transferControlToOffscreen()`.
    Offscreen(OffscreenCanvas),
}

impl From<HtmlCanvasElement> for Canvas {
    fn from(canvas: HtmlCanvasElement) -> Self {
        Canvas::Element(canvas)
    }
}

impl From<&HtmlCanvasElement> for Canvas {
    fn from(canvas: &HtmlCanvasElement) -> Self {
        Canvas::Element(canvas.clone())
    }
}

impl From<OffscreenCanvas> for Canvas {
    fn from(canvas: OffscreenCanvas) -> Self {
        Canvas::Offscreen(canvas)
    }
}

impl From<&OffscreenCanvas> for Canvas {
    fn from(canvas: &OffscreenCanvas) -> Self {
        Canvas::Offscreen(canvas.clone())
    }
}

impl Canvas {
    pub(crate) fn width(&self) -> u32 {
        match self {
            Canvas::Element(canvas) => canvas.width(),
            Canvas::Offscreen(canvas) => canvas.width(),
        }
    }

    pub(crate) fn height(&self) -> u32 {
        match self {
            Canvas::Element(canvas) => canvas.height(),
            Canvas::Offscreen(canvas) => canvas.height(),
        }
    }

    /// Resizes the canvas, which clears it and resets its context's state.
    pub(crate) fn set_size(&self, width: u32, height: u32) {
        match self {
            Canvas::Element(canvas) => {
                canvas.set_width(width);
                canvas.set_height(height);
            }
            Canvas::Offscreen(canvas) => {
                canvas.set_width(width);
                canvas.set_height(height);
            }
        }
    }

    /// The canvas's 2D context; an error if it already has another kind (`webgl`, `bitmaprenderer`, ...).
    ///
    /// An `OffscreenCanvasRenderingContext2D` has every method the helpers call, under the same names, and
    /// wasm-bindgen calls methods by name on the object: so both kinds are used as a `CanvasRenderingContext2d`.
    pub(crate) fn context_2d(&self) -> Result<CanvasRenderingContext2d, Error> {
        let not_2d = || Error::Browser {
            name: "InvalidStateError".to_owned(),
            message: "the canvas already has a context other than \"2d\"".to_owned(),
        };
        let context = match self {
            Canvas::Element(canvas) => canvas.get_context("2d"),
            Canvas::Offscreen(canvas) => canvas.get_context("2d"),
        };
        let context = context
            .map_err(|e| Error::from_exception(&e))?
            .ok_or_else(not_2d)?;
        let is_2d = match self {
            Canvas::Element(_) => context.is_instance_of::<CanvasRenderingContext2d>(),
            Canvas::Offscreen(_) => context.is_instance_of::<OffscreenCanvasRenderingContext2d>(),
        };
        if is_2d {
            Ok(context.unchecked_into())
        } else {
            Err(not_2d())
        }
    }

    /// Encodes the canvas: `toBlob` for an element, `convertToBlob` for an `OffscreenCanvas`. `Ok(None)` when the
    /// browser made no image (a canvas with no area, or too large to encode).
    pub(crate) async fn encode(
        &self,
        mime: &str,
        quality: Option<f64>,
    ) -> Result<Option<Blob>, Error> {
        let encoded = match self {
            Canvas::Element(canvas) => {
                let quality = quality.map_or(JsValue::UNDEFINED, JsValue::from_f64);
                let mut thrown = None;
                // toBlob calls `resolve` itself, with the Blob or null: no Rust closure to keep alive or leak.
                let promise = Promise::new(&mut |resolve, _reject| {
                    if let Err(exception) =
                        canvas.to_blob_with_type_and_encoder_options(&resolve, mime, &quality)
                    {
                        thrown = Some(exception);
                    }
                });
                if let Some(exception) = thrown {
                    return Err(Error::from_exception(&exception));
                }
                JsFuture::from(promise).await
            }
            Canvas::Offscreen(canvas) => {
                let options = ImageEncodeOptions::new();
                if !mime.is_empty() {
                    options.set_type(mime);
                }
                if let Some(quality) = quality {
                    options.set_quality(quality);
                }
                let promise = canvas
                    .convert_to_blob_with_options(&options)
                    .map_err(|e| Error::from_exception(&e))?;
                match JsFuture::from(promise).await {
                    // convertToBlob rejects where toBlob gives null: a canvas with no area (IndexSizeError), or
                    // one too large to encode (EncodingError).
                    Err(e)
                        if matches!(
                            exception_parts(&e).0.as_str(),
                            "IndexSizeError" | "EncodingError"
                        ) =>
                    {
                        return Ok(None)
                    }
                    other => other,
                }
            }
        };
        let value = encoded.map_err(|e| Error::from_exception(&e))?;
        Ok(value.dyn_into::<Blob>().ok())
    }
}
