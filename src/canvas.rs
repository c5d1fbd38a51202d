//! Images in `Blob`s and canvases: draw what arrives, send what is drawn.
//!
//! The classic WebSocket sample draws a received `Blob` by giving an `Image` an object URL that it never revokes
//! (every image leaks), and sends a canvas with the IE-only `msToBlob()`. This module does both correctly:
//!
//! - [`draw_blob`] and [`draw_bytes`] decode an image and draw it onto an [`HtmlCanvasElement`]: cleared first,
//!   then drawn as chosen by [`Fit`]. They decode with
//!   [`createImageBitmap`](https://developer.mozilla.org/en-US/docs/Web/API/Window/createImageBitmap), which needs
//!   no object URL at all, called on the *global* scope so that it works in workers too. Where it is missing, an
//!   [`HtmlImageElement`] is used with an object URL that is revoked as soon as the
//!   image has loaded or failed (or the future is dropped). [`Decoder`] forces one or the other.
//! - Before anything is drawn, [`DrawOptions`] limits are checked: data larger than `max_bytes` is refused before
//!   it is read ([`Error::ImageTooLarge`]); an image of more than `max_pixels` is refused
//!   ([`Error::ImageTooManyPixels`]), for PNG, GIF, BMP, WebP and JPEG from the header before decoding, for other
//!   formats right after. Data that is not a decodable image, or whose MIME type is not an image type, is
//!   [`Error::ImageDecode`]. On any error the canvas is left exactly as it was.
//! - [`canvas_to_blob`] is the standard
//!   [`toBlob`](https://developer.mozilla.org/en-US/docs/Web/API/HTMLCanvasElement/toBlob), awaitable, with MIME
//!   type and quality; send its result with [`WebSocket::send_blob`](crate::WebSocket::send_blob).
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
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, BlobPropertyBag, CanvasRenderingContext2d, HtmlCanvasElement, HtmlImageElement,
    ImageBitmap, Url,
};

use crate::error::{exception_parts, Error};

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
/// Refused without touching the canvas: a canvas that has a context other than `"2d"` ([`Error::Browser`]),
/// more than `options.max_bytes` ([`Error::ImageTooLarge`]), a `Blob` whose `type` is neither empty,
/// `application/octet-stream` nor `image/*`, or data that does not decode ([`Error::ImageDecode`]), more than
/// `options.max_pixels` ([`Error::ImageTooManyPixels`]).
///
/// The context's transform, global alpha, composite operation, filter and shadow are reset while drawing and
/// restored after; image smoothing is the context's own (turn it off for pixel art).
pub async fn draw_blob(
    canvas: &HtmlCanvasElement,
    blob: &Blob,
    options: &DrawOptions,
) -> Result<ImageSize, Error> {
    context_2d(canvas)?;
    let image = DecodedImage::from_blob(blob, options).await?;
    image.draw(canvas, options.fit)?;
    Ok(image.size())
}

/// Like [`draw_blob`] for bytes, e.g. a [`Message::Binary`](crate::Message::Binary) received in `ArrayBuffer`
/// mode. `mime` is the data's type (`"image/png"`, ...), or `""` to let the browser sniff it; a type that is not
/// an image type is [`Error::ImageDecode`]. The byte limit is checked before the bytes are copied to the browser.
pub async fn draw_bytes(
    canvas: &HtmlCanvasElement,
    bytes: &[u8],
    mime: &str,
    options: &DrawOptions,
) -> Result<ImageSize, Error> {
    context_2d(canvas)?;
    let image = DecodedImage::from_bytes(bytes, mime, options).await?;
    image.draw(canvas, options.fit)?;
    Ok(image.size())
}

/// Encodes what is drawn on `canvas` as a `Blob`, with
/// [`toBlob`](https://developer.mozilla.org/en-US/docs/Web/API/HTMLCanvasElement/toBlob): the standard
/// replacement for IE's `msToBlob()`. Send the result with [`WebSocket::send_blob`](crate::WebSocket::send_blob).
///
/// `mime` is the format (`"image/png"`, `"image/jpeg"`, `"image/webp"`); `""` means PNG, and a format the
/// browser cannot write also gives PNG, as in the DOM: the `Blob`'s `type` tells what was made. `quality`, from
/// 0.0 to 1.0, applies to lossy formats; `None`, or a value out of range, is the browser's default.
///
/// A canvas with no area (width or height 0) or too large to encode is [`Error::ImageEncode`]; a canvas tainted
/// by a cross-origin image is [`Error::Browser`] (`SecurityError`).
pub async fn canvas_to_blob(
    canvas: &HtmlCanvasElement,
    mime: &str,
    quality: Option<f64>,
) -> Result<Blob, Error> {
    let quality = quality.map_or(JsValue::UNDEFINED, JsValue::from_f64);
    let mut thrown = None;
    // toBlob calls `resolve` itself, with the Blob or null: no Rust closure to keep alive or leak.
    let encoded = Promise::new(&mut |resolve, _reject| {
        if let Err(exception) =
            canvas.to_blob_with_type_and_encoder_options(&resolve, mime, &quality)
        {
            thrown = Some(exception);
        }
    });
    if let Some(exception) = thrown {
        return Err(Error::from_exception(&exception));
    }
    let value = JsFuture::from(encoded)
        .await
        .map_err(|e| Error::from_exception(&e))?;
    value.dyn_into::<Blob>().map_err(|_| Error::ImageEncode {
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
/// at once rather than at the next garbage collection.
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
        if let Some(prefix) = read_prefix(blob).await {
            check_declared_size(&prefix, options)?;
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
    pub fn draw(&self, canvas: &HtmlCanvasElement, fit: Fit) -> Result<(), Error> {
        let context = context_2d(canvas)?;
        if fit == Fit::ResizeCanvas {
            canvas.set_width(self.size.width);
            canvas.set_height(self.size.height);
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

/// The canvas's 2D context; an error if it already has another kind (`webgl`, `bitmaprenderer`, ...).
fn context_2d(canvas: &HtmlCanvasElement) -> Result<CanvasRenderingContext2d, Error> {
    let not_2d = || Error::Browser {
        name: "InvalidStateError".to_owned(),
        message: "the canvas already has a context other than \"2d\"".to_owned(),
    };
    canvas
        .get_context("2d")
        .map_err(|e| Error::from_exception(&e))?
        .ok_or_else(not_2d)?
        .dyn_into::<CanvasRenderingContext2d>()
        .map_err(|_| not_2d())
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
            message: format!("{mime:?} is not an image MIME type"),
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

/// The start of `blob`, or `None` if it cannot be read (old browsers have no `Blob.arrayBuffer`): the size is then
/// checked after decoding only.
async fn read_prefix(blob: &Blob) -> Option<Vec<u8>> {
    let prefix = blob.slice_with_f64_and_f64(0.0, HEADER_BYTES).ok()?;
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
    Some(Uint8Array::new(&buffer).to_vec())
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
    let bitmap = JsFuture::from(promise)
        .await
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

/// Where an image goes on the canvas, in canvas pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Placement {
    x: f64,
    y: f64,
    width: f64,
    height: f64,
}

/// Where `fit` puts an image of `image` size on a canvas of `canvas_width × canvas_height` (for
/// [`Fit::ResizeCanvas`], the canvas already has the image's size).
fn placement(fit: Fit, image: ImageSize, canvas_width: u32, canvas_height: u32) -> Placement {
    let (iw, ih) = (f64::from(image.width), f64::from(image.height));
    let (cw, ch) = (f64::from(canvas_width), f64::from(canvas_height));
    match fit {
        Fit::Natural | Fit::ResizeCanvas => Placement {
            x: 0.0,
            y: 0.0,
            width: iw,
            height: ih,
        },
        Fit::Stretch => Placement {
            x: 0.0,
            y: 0.0,
            width: cw,
            height: ch,
        },
        Fit::Contain if image.width == 0 || image.height == 0 => Placement {
            x: 0.0,
            y: 0.0,
            width: 0.0,
            height: 0.0,
        },
        Fit::Contain => {
            // Compare the aspect ratios exactly in integers, so the limiting side fills the canvas exactly.
            let width_limited = u64::from(canvas_width) * u64::from(image.height)
                <= u64::from(canvas_height) * u64::from(image.width);
            let (width, height) = if width_limited {
                (cw, ih * cw / iw)
            } else {
                (iw * ch / ih, ch)
            };
            Placement {
                x: ((cw - width) / 2.0).floor(),
                y: ((ch - height) / 2.0).floor(),
                width,
                height,
            }
        }
    }
}

/// The size an image's header declares, for formats whose header is easy to read: PNG, GIF, BMP, WebP and
/// JPEG. `None` for other formats, a header cut short, or a declared size of zero (left to the decoder).
fn declared_size(bytes: &[u8]) -> Option<ImageSize> {
    let (width, height) = png_size(bytes)
        .or_else(|| gif_size(bytes))
        .or_else(|| bmp_size(bytes))
        .or_else(|| webp_size(bytes))
        .or_else(|| jpeg_size(bytes))?;
    (width > 0 && height > 0).then_some(ImageSize { width, height })
}

fn array<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at.checked_add(N)?)?.try_into().ok()
}

fn be_u16(bytes: &[u8], at: usize) -> Option<u16> {
    array(bytes, at).map(u16::from_be_bytes)
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    array(bytes, at).map(u32::from_be_bytes)
}

fn le_u16(bytes: &[u8], at: usize) -> Option<u16> {
    array(bytes, at).map(u16::from_le_bytes)
}

fn le_u24(bytes: &[u8], at: usize) -> Option<u32> {
    array::<3>(bytes, at).map(|[a, b, c]| u32::from_le_bytes([a, b, c, 0]))
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    array(bytes, at).map(u32::from_le_bytes)
}

/// PNG: the IHDR chunk comes first.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") || bytes.get(12..16) != Some(b"IHDR") {
        return None;
    }
    Some((be_u32(bytes, 16)?, be_u32(bytes, 20)?))
}

/// GIF: the logical screen size.
fn gif_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.starts_with(b"GIF87a") && !bytes.starts_with(b"GIF89a") {
        return None;
    }
    Some((u32::from(le_u16(bytes, 6)?), u32::from(le_u16(bytes, 8)?)))
}

/// BMP: the DIB header, old (OS/2, 16-bit sizes) or new (signed 32-bit sizes; a negative height is top-down).
fn bmp_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.starts_with(b"BM") {
        return None;
    }
    match le_u32(bytes, 14)? {
        12 => Some((u32::from(le_u16(bytes, 18)?), u32::from(le_u16(bytes, 20)?))),
        size if size >= 16 => {
            let width = i32::from_le_bytes(array(bytes, 18)?);
            let height = i32::from_le_bytes(array(bytes, 22)?);
            Some((u32::try_from(width).ok()?, height.unsigned_abs()))
        }
        _ => None,
    }
}

/// WebP: lossy (`VP8 `), lossless (`VP8L`) or extended (`VP8X`).
fn webp_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.starts_with(b"RIFF") || bytes.get(8..12) != Some(b"WEBP") {
        return None;
    }
    match bytes.get(12..16)? {
        b"VP8 " => {
            if bytes.get(23..26) != Some(&[0x9d, 0x01, 0x2a]) {
                return None;
            }
            Some((
                u32::from(le_u16(bytes, 26)? & 0x3fff),
                u32::from(le_u16(bytes, 28)? & 0x3fff),
            ))
        }
        b"VP8L" => {
            if bytes.get(20) != Some(&0x2f) {
                return None;
            }
            let bits = le_u32(bytes, 21)?;
            Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
        }
        b"VP8X" => Some((le_u24(bytes, 24)? + 1, le_u24(bytes, 27)? + 1)),
        _ => None,
    }
}

/// JPEG: walks the segments up to the first start-of-frame marker.
fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.starts_with(&[0xff, 0xd8]) {
        return None;
    }
    let mut at = 2;
    loop {
        if *bytes.get(at)? != 0xff {
            return None;
        }
        // A marker may be preceded by any number of 0xff fill bytes.
        while bytes.get(at) == Some(&0xff) {
            at += 1;
        }
        let marker = *bytes.get(at)?;
        at += 1;
        match marker {
            // Markers without a length: TEM, RSTn, SOI.
            0x01 | 0xd0..=0xd8 => {}
            // End of image or start of scan before any frame header: not a usable JPEG header.
            0xd9 | 0xda => return None,
            // SOFn (but not DHT, JPG or DAC): length, precision, height, width.
            0xc0..=0xcf if !matches!(marker, 0xc4 | 0xc8 | 0xcc) => {
                let height = be_u16(bytes, at.checked_add(3)?)?;
                let width = be_u16(bytes, at.checked_add(5)?)?;
                return Some((u32::from(width), u32::from(height)));
            }
            _ => {
                let length = usize::from(be_u16(bytes, at)?);
                if length < 2 {
                    return None;
                }
                at = at.checked_add(length)?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Native tests of the pure logic: header sniffing for every format (and cut-short or foreign data),
    //! placement for every fit, the MIME and limit checks, `ImageSize`.
    use super::*;

    fn size(width: u32, height: u32) -> Option<ImageSize> {
        Some(ImageSize { width, height })
    }

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        bytes.extend(width.to_be_bytes());
        bytes.extend(height.to_be_bytes());
        bytes.extend([8, 6, 0, 0, 0]);
        bytes
    }

    #[test]
    fn png_header_is_read() {
        assert_eq!(declared_size(&png(640, 480)), size(640, 480));
        assert_eq!(
            declared_size(&png(100_000, 100_000)),
            size(100_000, 100_000)
        );
        assert_eq!(declared_size(&png(640, 480)[..23]), None, "cut short");
        assert_eq!(
            declared_size(&png(0, 480)),
            None,
            "zero is left to the decoder"
        );
        let mut not_ihdr = png(640, 480);
        not_ihdr[12] = b'X';
        assert_eq!(declared_size(&not_ihdr), None);
    }

    #[test]
    fn gif_header_is_read() {
        let mut gif = b"GIF89a".to_vec();
        gif.extend(300u16.to_le_bytes());
        gif.extend(200u16.to_le_bytes());
        assert_eq!(declared_size(&gif), size(300, 200));
        gif[4] = b'7';
        assert_eq!(declared_size(&gif), size(300, 200), "GIF87a");
        assert_eq!(declared_size(&gif[..9]), None);
    }

    #[test]
    fn bmp_header_is_read() {
        let mut bmp = b"BM".to_vec();
        bmp.extend([0; 12]);
        bmp.extend(40u32.to_le_bytes());
        bmp.extend(5i32.to_le_bytes());
        bmp.extend((-7i32).to_le_bytes());
        assert_eq!(declared_size(&bmp), size(5, 7), "top-down");

        let mut core = b"BM".to_vec();
        core.extend([0; 12]);
        core.extend(12u32.to_le_bytes());
        core.extend(9u16.to_le_bytes());
        core.extend(4u16.to_le_bytes());
        assert_eq!(declared_size(&core), size(9, 4), "OS/2 header");

        let mut negative_width = bmp.clone();
        negative_width[18..22].copy_from_slice(&(-5i32).to_le_bytes());
        assert_eq!(declared_size(&negative_width), None);
    }

    fn riff(chunk: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut bytes = b"RIFF\0\0\0\0WEBP".to_vec();
        bytes.extend(chunk);
        bytes.extend([0; 4]);
        bytes.extend(payload);
        bytes
    }

    #[test]
    fn webp_headers_are_read() {
        let mut lossy = vec![0, 0, 0, 0x9d, 0x01, 0x2a];
        lossy.extend((0xc000u16 | 400).to_le_bytes()); // the top two bits are the scale
        lossy.extend(300u16.to_le_bytes());
        assert_eq!(declared_size(&riff(b"VP8 ", &lossy)), size(400, 300));

        let bits: u32 = (400 - 1) | ((300 - 1) << 14);
        let mut lossless = vec![0x2f];
        lossless.extend(bits.to_le_bytes());
        assert_eq!(declared_size(&riff(b"VP8L", &lossless)), size(400, 300));

        let mut extended = vec![0; 4];
        extended.extend(&(20_000u32 - 1).to_le_bytes()[..3]);
        extended.extend(&(30_000u32 - 1).to_le_bytes()[..3]);
        assert_eq!(
            declared_size(&riff(b"VP8X", &extended)),
            size(20_000, 30_000)
        );

        assert_eq!(
            declared_size(&riff(b"VP8 ", &[0; 10])),
            None,
            "no start code"
        );
        assert_eq!(declared_size(&riff(b"ANIM", &[0; 10])), None);
    }

    fn jpeg(segments_before_frame: &[&[u8]], width: u16, height: u16) -> Vec<u8> {
        let mut bytes = vec![0xff, 0xd8];
        for segment in segments_before_frame {
            bytes.extend(*segment);
        }
        bytes.extend([0xff, 0xc2, 0, 17, 8]);
        bytes.extend(height.to_be_bytes());
        bytes.extend(width.to_be_bytes());
        bytes.extend([3; 10]);
        bytes
    }

    #[test]
    fn jpeg_header_is_read_past_other_segments() {
        assert_eq!(declared_size(&jpeg(&[], 1024, 768)), size(1024, 768));
        let mut exif = vec![0xff, 0xe1, 0x10, 0x02];
        exif.extend(vec![0xaa; 0x1000]);
        let table = [0xff, 0xc4, 0, 4, 1, 2];
        let fill = [0xff, 0xff];
        assert_eq!(
            declared_size(&jpeg(&[&exif, &table, &fill], 4000, 3000)),
            size(4000, 3000),
            "APP1, DHT (not a frame), fill bytes"
        );
        assert_eq!(
            declared_size(&jpeg(&[&[0xff, 0xda, 0, 2]], 1, 1)),
            None,
            "scan before frame"
        );
        assert_eq!(declared_size(&jpeg(&[], 1024, 0)), None, "height from DNL");
        assert_eq!(declared_size(&exif[..100]), None, "not a JPEG");
        let whole = jpeg(&[&exif], 10, 10);
        assert_eq!(declared_size(&whole[..2000]), None, "cut short");
        assert_eq!(
            declared_size(&[0xff, 0xd8, 0xff, 0xe0, 0, 0]),
            None,
            "bad length"
        );
    }

    #[test]
    fn other_data_declares_nothing() {
        assert_eq!(declared_size(b""), None);
        assert_eq!(
            declared_size(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            None
        );
        assert_eq!(declared_size(&[0xff; 64]), None);
    }

    fn image(width: u32, height: u32) -> ImageSize {
        ImageSize { width, height }
    }

    fn at(x: f64, y: f64, width: f64, height: f64) -> Placement {
        Placement {
            x,
            y,
            width,
            height,
        }
    }

    #[test]
    fn placement_for_each_fit() {
        let i = image(200, 100);
        assert_eq!(
            placement(Fit::Natural, i, 50, 50),
            at(0.0, 0.0, 200.0, 100.0)
        );
        assert_eq!(
            placement(Fit::ResizeCanvas, i, 200, 100),
            at(0.0, 0.0, 200.0, 100.0)
        );
        assert_eq!(placement(Fit::Stretch, i, 30, 70), at(0.0, 0.0, 30.0, 70.0));
        // Wider than the canvas: width-limited, centred vertically.
        assert_eq!(
            placement(Fit::Contain, i, 100, 100),
            at(0.0, 25.0, 100.0, 50.0)
        );
        // Scaled up, height-limited, centred horizontally.
        assert_eq!(
            placement(Fit::Contain, i, 1000, 200),
            at(300.0, 0.0, 400.0, 200.0)
        );
        // Same aspect ratio: fills exactly.
        assert_eq!(
            placement(Fit::Contain, i, 400, 200),
            at(0.0, 0.0, 400.0, 200.0)
        );
        // An odd margin is floored to a whole pixel.
        assert_eq!(
            placement(Fit::Contain, image(2, 2), 5, 2),
            at(1.0, 0.0, 2.0, 2.0)
        );
        // Degenerate sizes draw nothing rather than dividing by zero.
        assert_eq!(
            placement(Fit::Contain, image(0, 5), 5, 5),
            at(0.0, 0.0, 0.0, 0.0)
        );
        assert_eq!(placement(Fit::Contain, i, 0, 0), at(0.0, 0.0, 0.0, 0.0));
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
