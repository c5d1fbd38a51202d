//! Images in `Blob`s and canvases: draw what arrives, send what is drawn.
//!
//! The classic WebSocket sample draws a received `Blob` by giving an `Image` an object URL that it never revokes
//! (every image leaks), and sends a canvas with the IE-only `msToBlob()`. This module does both correctly:
//!
//! - [`draw_blob`] and [`draw_bytes`] decode an image and draw it onto a [`Canvas`]: an `HtmlCanvasElement`, or
//!   an `OffscreenCanvas` (in a worker, say), cleared first, then drawn as chosen by [`Fit`]. They decode with
//!   [`createImageBitmap`](https://developer.mozilla.org/en-US/docs/Web/API/Window/createImageBitmap), which needs
//!   no object URL at all, called on the *global* scope so that it works in workers too. Where it is missing, an
//!   [`HtmlImageElement`] is used with an object URL that is revoked as soon as the
//!   image has loaded or failed (or the future is dropped). [`Decoder`] forces one or the other.
//! - Before anything is drawn, [`DrawOptions`] limits are checked: data larger than `max_bytes` is refused before
//!   it is read ([`Error::ImageTooLarge`]); an image of more than `max_pixels` is refused
//!   ([`Error::ImageTooManyPixels`]), for PNG, GIF, BMP, WebP, JPEG and AVIF from the header before decoding, for
//!   other formats right after. Data that is not a decodable image, or whose MIME type is not an image type, is
//!   [`Error::ImageDecode`]. On any error the canvas is left exactly as it was.
//! - [`canvas_to_blob`] is the standard
//!   [`toBlob`](https://developer.mozilla.org/en-US/docs/Web/API/HTMLCanvasElement/toBlob) (`convertToBlob` for
//!   an `OffscreenCanvas`), awaitable, with MIME type and quality; send its result with [`WebSocket::send_blob`](crate::WebSocket::send_blob).
//! - [`DecodedImage`] splits decoding from drawing, to draw one image several times or to learn which decoder
//!   (and which object URL) was used.
//!
//! Nothing here keeps a Rust closure alive after it returns: promises resolve through the browser's own
//! functions, so a dropped future leaks nothing. Everything is `!Send`, like the JS objects it wraps.
//!
//! # Example
//!
//! ```no_run
//! use browser_ws::canvas::{canvas_to_blob, draw_blob, DrawOptions, Fit};
//! use browser_ws::{Error, Message, WebSocket};
//! use web_sys::HtmlCanvasElement;
//!
//! /// Shows a received image on `view`, refusing anything over 4 MiB or 4096 × 4096 pixels.
//! async fn show(view: &HtmlCanvasElement, message: Message) -> Result<(), Error> {
//!     let options = DrawOptions {
//!         fit: Fit::Contain,
//!         max_bytes: 4 << 20,
//!         max_pixels: 4096 * 4096,
//!         ..DrawOptions::default()
//!     };
//!     let size = match message {
//!         // In `BinaryType::Blob` mode (the browser's default) ...
//!         Message::Blob(blob) => draw_blob(view, &blob, &options).await?,
//!         // ... and in `BinaryType::ArrayBuffer` mode: the sender's format is sniffed.
//!         Message::Binary(bytes) => browser_ws::canvas::draw_bytes(view, &bytes, "", &options).await?,
//!         Message::Text(_) => return Ok(()),
//!     };
//!     web_sys::console::log_1(&format!("drew a {size} image").into());
//!     Ok(())
//! }
//!
//! /// Sends what is drawn on `sketch` as a JPEG.
//! async fn send(socket: &WebSocket, sketch: &HtmlCanvasElement) -> Result<(), Error> {
//!     let blob = canvas_to_blob(sketch, "image/jpeg", Some(0.8)).await?;
//!     socket.send_blob(&blob)
//! }
//! ```

use std::fmt;

use js_sys::{Array, ArrayBuffer, Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, HtmlImageElement, ImageBitmap, Url};

use crate::error::{exception_parts, Error};
use crate::promise::call_on_result;
use crate::quoted::Quoted;

mod fit;
mod header;
mod target;

use fit::placement;
use header::{declared_size, declares_size_later};
pub use target::Canvas;

/// How an image is placed on the canvas. The canvas is always cleared first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Fit {
    /// At its natural size, its top-left corner on the canvas's; whatever does not fit is cut off.
    Natural,
    /// Scaled up or down to fit inside the canvas, keeping its aspect ratio, and centred (whole pixels): the
    /// whole image is visible, with transparent bars on two sides if the aspect ratios differ.
    #[default]
    Contain,
    /// Stretched to fill the canvas exactly; the aspect ratio is not kept.
    Stretch,
    /// The canvas takes the image's size (which clears it and resets its context's state), then the image is
    /// drawn at its natural size: pixel for pixel, nothing cut off.
    ResizeCanvas,
}

/// Which browser facility decodes the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Decoder {
    /// [`ImageBitmap`](Self::ImageBitmap) where `createImageBitmap` exists, [`ImageElement`](Self::ImageElement)
    /// otherwise. SVG (`image/svg+xml`) always goes to the image element, since browsers do not decode SVG from a
    /// `Blob` with `createImageBitmap`.
    #[default]
    Auto,
    /// `createImageBitmap` on the global scope (window or worker): no object URL, decoded off the main thread
    /// where the browser can. Fails with [`Error::Browser`] (`NotSupportedError`) where it does not exist.
    ImageBitmap,
    /// An `HtmlImageElement` loading an object URL, revoked once the image has loaded or failed. Needs a
    /// `document`, so not available in workers.
    ImageElement,
}

/// Limits and placement for [`draw_blob`], [`draw_bytes`] and [`DecodedImage`].
///
/// Build it with struct update syntax: `DrawOptions { fit: Fit::Stretch, ..DrawOptions::default() }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DrawOptions {
    /// How the image is placed on the canvas. Default: [`Fit::Contain`].
    pub fit: Fit,
    /// The most bytes of encoded data accepted; more is [`Error::ImageTooLarge`], refused before the data is
    /// read. Default: [`DEFAULT_MAX_BYTES`](Self::DEFAULT_MAX_BYTES).
    pub max_bytes: u64,
    /// The most pixels (width × height) an image may have; more is [`Error::ImageTooManyPixels`]. Guards against
    /// "decompression bombs": a few kilobytes of PNG can declare gigapixels. Default:
    /// [`DEFAULT_MAX_PIXELS`](Self::DEFAULT_MAX_PIXELS).
    pub max_pixels: u64,
    /// Which browser facility decodes. Default: [`Decoder::Auto`].
    pub decoder: Decoder,
}

impl DrawOptions {
    /// 16 MiB: a large photo, far more than a typical WebSocket image.
    pub const DEFAULT_MAX_BYTES: u64 = 16 * 1024 * 1024;
    /// 16 777 216 pixels, e.g. 4096 × 4096 (64 MiB once decoded to RGBA). A 12-megapixel photo fits.
    pub const DEFAULT_MAX_PIXELS: u64 = 16_777_216;
}

impl Default for DrawOptions {
    fn default() -> Self {
        Self {
            fit: Fit::default(),
            max_bytes: Self::DEFAULT_MAX_BYTES,
            max_pixels: Self::DEFAULT_MAX_PIXELS,
            decoder: Decoder::default(),
        }
    }
}

/// An image's size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImageSize {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl ImageSize {
    /// The number of pixels, `width × height` (cannot overflow).
    pub fn pixels(self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

/// `640×480`.
impl fmt::Display for ImageSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}×{}", self.width, self.height)
    }
}

/// Decodes `blob` and draws it onto `canvas`: cleared, then drawn as `options.fit` says. Resolves to the image's
/// decoded size.
///
/// Refused without touching the canvas (one with no context yet is not given one): a canvas that has a context
/// other than `"2d"` ([`Error::Browser`], found once the image is decoded),
/// more than `options.max_bytes` ([`Error::ImageTooLarge`]), a `Blob` whose `type` is neither empty,
/// `application/octet-stream` nor `image/*`, or data that does not decode ([`Error::ImageDecode`]), more than
/// `options.max_pixels` ([`Error::ImageTooManyPixels`]).
///
/// The context's transform, global alpha, composite operation, filter and shadow are reset while drawing and
/// restored after; image smoothing is the context's own (turn it off for pixel art). A clip region the context
/// has set still applies to the clearing and the drawing: the canvas API can lift a clip only by restoring a
/// state saved before it, which is the caller's.
pub async fn draw_blob(
    canvas: impl Into<Canvas>,
    blob: &Blob,
    options: &DrawOptions,
) -> Result<ImageSize, Error> {
    // The canvas's context is taken only to draw: asking for it first would make a fresh canvas a 2D one even
    // when the image is refused.
    let image = DecodedImage::from_blob(blob, options).await?;
    image.draw(canvas.into(), options.fit)?;
    Ok(image.size())
}

/// Like [`draw_blob`] for bytes, e.g. a [`Message::Binary`](crate::Message::Binary) received in `ArrayBuffer`
/// mode. `mime` is the data's type (`"image/png"`, ...), or `""` to let the browser sniff it; a type that is not
/// an image type is [`Error::ImageDecode`]. The byte limit is checked before the bytes are copied to the browser.
pub async fn draw_bytes(
    canvas: impl Into<Canvas>,
    bytes: &[u8],
    mime: &str,
    options: &DrawOptions,
) -> Result<ImageSize, Error> {
    let image = DecodedImage::from_bytes(bytes, mime, options).await?;
    image.draw(canvas.into(), options.fit)?;
    Ok(image.size())
}

/// Encodes what is drawn on `canvas` as a `Blob`, with
/// [`toBlob`](https://developer.mozilla.org/en-US/docs/Web/API/HTMLCanvasElement/toBlob) (or, for an
/// `OffscreenCanvas`, [`convertToBlob`](https://developer.mozilla.org/en-US/docs/Web/API/OffscreenCanvas/convertToBlob)):
/// the standard replacement for IE's `msToBlob()`. Send the result with [`WebSocket::send_blob`](crate::WebSocket::send_blob).
///
/// `mime` is the format (`"image/png"`, `"image/jpeg"`, `"image/webp"`); `""` means PNG, and a format the
/// browser cannot write also gives PNG, as in the DOM: the `Blob`'s `type` tells what was made. `quality`, from
/// 0.0 to 1.0, applies to lossy formats; `None`, or a value out of range, is the browser's default.
///
/// A canvas with no area (width or height 0) or too large to encode is [`Error::ImageEncode`]; a canvas tainted
/// by a cross-origin image is [`Error::Browser`] (`SecurityError`).
pub async fn canvas_to_blob(
    canvas: impl Into<Canvas>,
    mime: &str,
    quality: Option<f64>,
) -> Result<Blob, Error> {
    let canvas = canvas.into();
    canvas
        .encode(mime, quality)
        .await?
        .ok_or_else(|| Error::ImageEncode {
            message: format!(
                "the browser made no {} image of the {}×{} canvas (it has no area, or is too large to encode)",
                if mime.is_empty() { "image/png" } else { mime },
                canvas.width(),
                canvas.height(),
            ),
        })
}

/// A decoded image, ready to be drawn any number of times.
///
/// Made by [`from_blob`](Self::from_blob) or [`from_bytes`](Self::from_bytes), with the same checks as
/// [`draw_blob`]. An image decoded with `createImageBitmap` is `close()`d when this is dropped, freeing its pixels
/// at once rather than at the next garbage collection; so is one whose decoding future was dropped before it
/// ended, once the browser has made it.
#[derive(Debug)]
pub struct DecodedImage {
    source: Source,
    size: ImageSize,
    object_url: Option<String>,
}

#[derive(Debug)]
enum Source {
    Bitmap(ImageBitmap),
    Element(HtmlImageElement),
}

impl DecodedImage {
    /// Decodes `blob`, refusing it as [`draw_blob`] does (`options.fit` is not used).
    pub async fn from_blob(blob: &Blob, options: &DrawOptions) -> Result<Self, Error> {
        check_bytes(blob.size(), options)?;
        let mime = blob.type_();
        check_mime(&mime)?;
        if let Some(prefix) = read_prefix(blob, HEADER_BYTES).await {
            // An image whose size lies past the prefix (after a JPEG's long segments, say) is read whole: it is
            // within `max_bytes`, and a small file declaring a huge frame is what this check is for.
            let whole = declares_size_later(&prefix)
                && declared_size(&prefix).is_none()
                && blob.size() > HEADER_BYTES;
            let header = if whole {
                read_prefix(blob, blob.size()).await
            } else {
                None
            };
            check_declared_size(header.as_deref().unwrap_or(&prefix), options)?;
        }
        decode(blob, &mime, options).await
    }

    /// Decodes `bytes` of type `mime` (`""` to sniff), refusing them as [`draw_bytes`] does (`options.fit` is not
    /// used).
    pub async fn from_bytes(
        bytes: &[u8],
        mime: &str,
        options: &DrawOptions,
    ) -> Result<Self, Error> {
        // A usize always fits in a double exactly enough for a limit check.
        check_bytes(bytes.len() as f64, options)?;
        check_mime(mime)?;
        check_declared_size(bytes, options)?;
        let blob = blob_of(bytes, mime)?;
        decode(&blob, mime, options).await
    }

    /// The decoded size in pixels.
    pub fn size(&self) -> ImageSize {
        self.size
    }

    /// The decoder that was used: [`Decoder::ImageBitmap`] or [`Decoder::ImageElement`], never `Auto`.
    pub fn decoder(&self) -> Decoder {
        match self.source {
            Source::Bitmap(_) => Decoder::ImageBitmap,
            Source::Element(_) => Decoder::ImageElement,
        }
    }

    /// The object URL the image element loaded, already revoked; `None` for `createImageBitmap`, which needs none.
    pub fn object_url(&self) -> Option<&str> {
        self.object_url.as_deref()
    }

    /// Clears `canvas` and draws the image as `fit` says (see [`draw_blob`] for the context's state). Fails only
    /// if the canvas has a context other than `"2d"` ([`Error::Browser`]), before anything is changed.
    pub fn draw(&self, canvas: impl Into<Canvas>, fit: Fit) -> Result<(), Error> {
        let canvas = canvas.into();
        let context = canvas.context_2d()?;
        if fit == Fit::ResizeCanvas {
            canvas.set_size(self.size.width, self.size.height);
        }
        let (canvas_width, canvas_height) = (canvas.width(), canvas.height());
        let place = placement(fit, self.size, canvas_width, canvas_height);
        context.save();
        // None of these throw for the values given; a failure would only leave that bit of state as it was.
        let _ = context.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        context.set_global_alpha(1.0);
        let _ = context.set_global_composite_operation("source-over");
        context.set_filter("none");
        context.set_shadow_color("transparent");
        context.clear_rect(0.0, 0.0, f64::from(canvas_width), f64::from(canvas_height));
        let drawn = match &self.source {
            Source::Bitmap(bitmap) => context.draw_image_with_image_bitmap_and_dw_and_dh(
                bitmap,
                place.x,
                place.y,
                place.width,
                place.height,
            ),
            Source::Element(element) => context.draw_image_with_html_image_element_and_dw_and_dh(
                element,
                place.x,
                place.y,
                place.width,
                place.height,
            ),
        };
        context.restore();
        drawn.map_err(|e| Error::from_exception(&e))
    }
}

impl Drop for DecodedImage {
    fn drop(&mut self) {
        if let Source::Bitmap(bitmap) = &self.source {
            bitmap.close();
        }
    }
}

fn check_bytes(bytes: f64, options: &DrawOptions) -> Result<(), Error> {
    // Compared as doubles: a Blob's size is one, and any u64 limit converts (rounding only beyond 2^53 bytes).
    if bytes > options.max_bytes as f64 {
        return Err(Error::ImageTooLarge {
            bytes: bytes as u64,
            limit: options.max_bytes,
        });
    }
    Ok(())
}

/// Accepts an empty type (unknown, e.g. a received message), `application/octet-stream` and `image/*`.
fn check_mime(mime: &str) -> Result<(), Error> {
    let essence = mime
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence.is_empty() || essence == "application/octet-stream" || essence.starts_with("image/")
    {
        Ok(())
    } else {
        Err(Error::ImageDecode {
            message: format!("{} is not an image MIME type", Quoted(mime)),
        })
    }
}

fn is_svg(mime: &str) -> bool {
    mime.split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .eq_ignore_ascii_case("image/svg+xml")
}

fn check_size(size: ImageSize, options: &DrawOptions) -> Result<(), Error> {
    if size.pixels() > options.max_pixels {
        return Err(Error::ImageTooManyPixels {
            width: size.width,
            height: size.height,
            limit: options.max_pixels,
        });
    }
    Ok(())
}

/// Refuses an image whose header already declares too many pixels, before anything is decoded.
fn check_declared_size(header: &[u8], options: &DrawOptions) -> Result<(), Error> {
    match declared_size(header) {
        Some(size) => check_size(size, options),
        None => Ok(()),
    }
}

/// How much of a Blob is read to find its declared size: enough for a JPEG's EXIF thumbnail and colour profile.
const HEADER_BYTES: f64 = 128.0 * 1024.0;

/// The first `bytes` of `blob`, or `None` if they cannot be read (old browsers have no `Blob.arrayBuffer`): the
/// size is then checked after decoding only.
async fn read_prefix(blob: &Blob, bytes: f64) -> Option<Vec<u8>> {
    let prefix = blob.slice_with_f64_and_f64(0.0, bytes).ok()?;
    let read = Reflect::get(&prefix, &JsValue::from_str("arrayBuffer"))
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    let promise = read.call0(&prefix).ok()?.dyn_into::<Promise>().ok()?;
    let buffer = JsFuture::from(promise)
        .await
        .ok()?
        .dyn_into::<ArrayBuffer>()
        .ok()?;
    Some(crate::message::buffer_bytes(&buffer))
}

/// A Blob holding a copy of `bytes` (a view into Wasm memory would break if memory grows).
fn blob_of(bytes: &[u8], mime: &str) -> Result<Blob, Error> {
    let length = u32::try_from(bytes.len()).map_err(|_| Error::ImageTooLarge {
        bytes: bytes.len() as u64,
        limit: u64::from(u32::MAX),
    })?;
    let copy = Uint8Array::new_with_length(length);
    copy.copy_from(bytes);
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    Blob::new_with_u8_array_sequence_and_options(&Array::of1(&copy), &options)
        .map_err(|e| Error::from_exception(&e))
}

/// The global `createImageBitmap` and its `this`, if the browser has it.
fn create_image_bitmap() -> Option<(JsValue, Function)> {
    let global: JsValue = js_sys::global().into();
    let function = Reflect::get(&global, &JsValue::from_str("createImageBitmap"))
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    Some((global, function))
}

async fn decode(blob: &Blob, mime: &str, options: &DrawOptions) -> Result<DecodedImage, Error> {
    let bitmap = match options.decoder {
        Decoder::ImageBitmap => true,
        Decoder::ImageElement => false,
        Decoder::Auto => !is_svg(mime) && create_image_bitmap().is_some(),
    };
    if bitmap {
        decode_with_bitmap(blob, options).await
    } else {
        decode_with_element(blob, options).await
    }
}

async fn decode_with_bitmap(blob: &Blob, options: &DrawOptions) -> Result<DecodedImage, Error> {
    let (global, create) = create_image_bitmap().ok_or_else(|| Error::Browser {
        name: "NotSupportedError".to_owned(),
        message: "createImageBitmap is not available here".to_owned(),
    })?;
    let promise = create
        .call1(&global, blob)
        .map_err(|e| Error::from_exception(&e))?
        .dyn_into::<Promise>()
        .map_err(|_| Error::Browser {
            name: "TypeError".to_owned(),
            message: "createImageBitmap returned no promise".to_owned(),
        })?;
    let mut abandoned = Abandoned(Some(promise.clone()));
    let settled = JsFuture::from(promise).await;
    abandoned.0 = None;
    let bitmap = settled
        .map_err(|e| decode_error(&e))?
        .dyn_into::<ImageBitmap>()
        .map_err(|_| Error::ImageDecode {
            message: "createImageBitmap resolved to something other than an ImageBitmap".to_owned(),
        })?;
    let size = ImageSize {
        width: bitmap.width(),
        height: bitmap.height(),
    };
    // From here the bitmap is owned: dropping `image` on an error closes it.
    let image = DecodedImage {
        source: Source::Bitmap(bitmap),
        size,
        object_url: None,
    };
    check_size(size, options)?;
    Ok(image)
}

/// A `createImageBitmap` promise whose decode was dropped before it settled: its bitmap, which nobody will
/// draw, is closed when it comes, freeing its pixels then rather than at some later garbage collection.
struct Abandoned(Option<Promise>);

impl Drop for Abandoned {
    fn drop(&mut self) {
        if let Some(promise) = self.0.take() {
            CLOSE_BITMAP.with(|close| call_on_result(&promise, close));
        }
    }
}

#[wasm_bindgen]
extern "C" {
    /// `ImageBitmap.prototype.close`.
    #[wasm_bindgen(thread_local_v2, js_namespace = ImageBitmap, js_name = "prototype.close")]
    static CLOSE_BITMAP: JsValue;
}

async fn decode_with_element(blob: &Blob, options: &DrawOptions) -> Result<DecodedImage, Error> {
    let element = HtmlImageElement::new().map_err(|e| {
        let (_, message) = exception_parts(&e);
        Error::Browser {
            name: "NotSupportedError".to_owned(),
            message: format!("no image element to decode with (is this a worker?): {message}"),
        }
    })?;
    let url = ObjectUrl::new(blob)?;
    let mut handlers = None;
    // The element calls the promise's own functions: no Rust closure is kept, so none leaks if this is dropped.
    let loaded = Promise::new(&mut |resolve, reject| {
        let _ = element.add_event_listener_with_callback("load", &resolve);
        let _ = element.add_event_listener_with_callback("error", &reject);
        handlers = Some((resolve, reject));
    });
    element.set_src(url.as_str());
    let settled = JsFuture::from(loaded).await;
    if let Some((resolve, reject)) = handlers {
        let _ = element.remove_event_listener_with_callback("load", &resolve);
        let _ = element.remove_event_listener_with_callback("error", &reject);
    }
    // Loaded or failed, the URL is no longer needed. (Dropping this future earlier revokes it too.)
    let object_url = url.revoke();
    if settled.is_err() {
        return Err(Error::ImageDecode {
            message: "the browser could not load the data as an image".to_owned(),
        });
    }
    // `load` can fire for data that only starts like an image: `decode()`, where it exists, makes sure.
    if let Some(decoded) = call_decode(&element) {
        JsFuture::from(decoded)
            .await
            .map_err(|e| decode_error(&e))?;
    }
    let size = ImageSize {
        width: element.natural_width(),
        height: element.natural_height(),
    };
    if size.width == 0 || size.height == 0 {
        return Err(Error::ImageDecode {
            message: format!("the image has no intrinsic size ({size})"),
        });
    }
    check_size(size, options)?;
    Ok(DecodedImage {
        source: Source::Element(element),
        size,
        object_url: Some(object_url),
    })
}

/// `element.decode()`, if the browser has it.
fn call_decode(element: &HtmlImageElement) -> Option<Promise> {
    let decode = Reflect::get(element, &JsValue::from_str("decode"))
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    decode.call0(element).ok()?.dyn_into::<Promise>().ok()
}

fn decode_error(exception: &JsValue) -> Error {
    let (name, message) = exception_parts(exception);
    Error::ImageDecode {
        message: format!("{name}: {message}"),
    }
}

/// An object URL, revoked when dropped.
struct ObjectUrl(String);

impl ObjectUrl {
    fn new(blob: &Blob) -> Result<Self, Error> {
        Url::create_object_url_with_blob(blob)
            .map(Self)
            .map_err(|e| Error::from_exception(&e))
    }

    fn as_str(&self) -> &str {
        &self.0
    }

    /// Revokes the URL now and returns it, for the record.
    fn revoke(self) -> String {
        let url = self.0.clone();
        drop(self);
        url
    }
}

impl Drop for ObjectUrl {
    fn drop(&mut self) {
        // revokeObjectURL does not throw, even for a URL that is unknown or already revoked.
        let _ = Url::revoke_object_url(&self.0);
    }
}

#[cfg(test)]
mod tests {
    //! Native tests of the pure logic: the MIME and limit checks, `ImageSize`.
    use super::header::tests::png;
    use super::*;

    fn image(width: u32, height: u32) -> ImageSize {
        ImageSize { width, height }
    }

    #[test]
    fn mime_types_that_may_be_images() {
        for ok in [
            "",
            "image/png",
            "IMAGE/JPEG",
            "image/svg+xml; charset=utf-8",
            "application/octet-stream",
        ] {
            assert_eq!(check_mime(ok), Ok(()), "{ok}");
        }
        assert_eq!(
            check_mime("text/plain"),
            Err(Error::ImageDecode {
                message: "\"text/plain\" is not an image MIME type".to_owned()
            })
        );
        assert!(check_mime("application/json").is_err());
        assert!(is_svg("Image/SVG+XML;charset=utf-8") && !is_svg("image/png"));
    }

    #[test]
    fn limits() {
        let options = DrawOptions {
            max_bytes: 10,
            max_pixels: 100,
            ..DrawOptions::default()
        };
        assert_eq!(check_bytes(10.0, &options), Ok(()));
        assert_eq!(
            check_bytes(11.0, &options),
            Err(Error::ImageTooLarge {
                bytes: 11,
                limit: 10
            })
        );
        assert_eq!(check_size(image(10, 10), &options), Ok(()));
        assert_eq!(
            check_size(image(101, 1), &options),
            Err(Error::ImageTooManyPixels {
                width: 101,
                height: 1,
                limit: 100
            })
        );
        assert_eq!(
            check_declared_size(&png(11, 10), &options),
            check_size(image(11, 10), &options)
        );
        assert_eq!(check_declared_size(b"unknown", &options), Ok(()));
    }

    #[test]
    fn image_size_and_defaults() {
        assert_eq!(image(640, 480).to_string(), "640×480");
        assert_eq!(
            image(u32::MAX, u32::MAX).pixels(),
            u64::from(u32::MAX) * u64::from(u32::MAX)
        );
        let options = DrawOptions::default();
        assert_eq!(options.fit, Fit::Contain);
        assert_eq!(options.decoder, Decoder::Auto);
        assert_eq!(options.max_bytes, 16 << 20);
        assert_eq!(options.max_pixels, 4096 * 4096);
    }
}
