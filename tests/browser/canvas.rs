//! Blob images and the canvas: draw what arrives, send what is drawn.
//!
//! Covers: a PNG made with `canvas_to_blob` and drawn back gives the same pixels (`Fit::Natural`,
//! `Fit::ResizeCanvas`), also after a round trip through `/echo` in Blob mode and in ArrayBuffer mode;
//! `canvas_to_blob` honours the MIME type and quality, falls back to PNG, and refuses a canvas with no area;
//! `Fit::Contain`, `Fit::Stretch` and `Fit::Natural` place the image and clear the rest; the context's own state is
//! ignored while drawing and restored after; corrupt bytes, a cut-short PNG, a non-image MIME type, an over-limit
//! size in bytes and in pixels (from the header, a decompression-bomb header, a JPEG's frame header past the first
//! 128 KiB of a Blob, a GIF's first frame larger than its logical screen, an AVIF's `ispe`, and after decoding an
//! SVG) give the typed error and leave the canvas as it was, with both
//! decoders (a canvas with no context is not given one); `Decoder::Auto` uses `createImageBitmap` and makes no
//! object URL; the `Decoder::ImageElement` fallback revokes its object URL (a fetch of it fails) after a load,
//! after an error, and when the future is dropped; a `createImageBitmap` decode dropped before it ends closes the
//! bitmap once it comes.

use crate::common::{blob_bytes, open, within};
use browser_ws::canvas::{
    canvas_to_blob, draw_blob, draw_bytes, DecodedImage, Decoder, DrawOptions, Fit, ImageSize,
};
use browser_ws::{BinaryType, Error, Message};
use futures::FutureExt;
use js_sys::{Array, Promise, Uint8ClampedArray};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Blob, BlobPropertyBag, CanvasRenderingContext2d, HtmlCanvasElement, ImageBitmap};

#[wasm_bindgen(inline_js = r#"
export function watch_object_urls() {
    const create = URL.createObjectURL;
    const revoke = URL.revokeObjectURL;
    const watch = {
        created: [],
        revoked: [],
        stop() {
            URL.createObjectURL = create;
            URL.revokeObjectURL = revoke;
        },
    };
    URL.createObjectURL = function (blob) {
        const url = create.call(URL, blob);
        watch.created.push(url);
        return url;
    };
    URL.revokeObjectURL = function (url) {
        watch.revoked.push(url);
        return revoke.call(URL, url);
    };
    return watch;
}

export function next_bitmap() {
    const create = globalThis.createImageBitmap;
    return new Promise((resolve) => {
        globalThis.createImageBitmap = function (...args) {
            globalThis.createImageBitmap = create;
            const made = create.apply(this, args);
            resolve(made);
            return made;
        };
    });
}
"#)]
extern "C" {
    /// Records every object URL created and revoked until `stop()`.
    type UrlWatch;
    fn watch_object_urls() -> UrlWatch;
    #[wasm_bindgen(method, getter)]
    fn created(this: &UrlWatch) -> Array;
    #[wasm_bindgen(method, getter)]
    fn revoked(this: &UrlWatch) -> Array;
    #[wasm_bindgen(method)]
    fn stop(this: &UrlWatch);

    /// What the next `createImageBitmap` call makes (the call goes to the browser's own, which is restored).
    fn next_bitmap() -> Promise;
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = document, js_name = createElement)]
    fn create_element(tag: &str) -> JsValue;

    #[wasm_bindgen(js_name = fetch)]
    fn fetch(url: &str) -> Promise;

    /// A 2D context, for `getImageData` without the `ImageData` feature.
    type PixelReader;
    #[wasm_bindgen(method, js_name = getImageData)]
    fn get_image_data(this: &PixelReader, x: i32, y: i32, width: u32, height: u32)
        -> ImageDataLike;
    type ImageDataLike;
    #[wasm_bindgen(method, getter)]
    fn data(this: &ImageDataLike) -> Uint8ClampedArray;
}

/// Stops watching object URLs when dropped.
struct Watch(UrlWatch);

impl Watch {
    fn start() -> Self {
        Self(watch_object_urls())
    }

    fn created(&self) -> Vec<String> {
        strings(&self.0.created())
    }

    fn revoked(&self) -> Vec<String> {
        strings(&self.0.revoked())
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.0.stop();
    }
}

fn strings(array: &Array) -> Vec<String> {
    array.iter().filter_map(|v| v.as_string()).collect()
}

fn canvas(width: u32, height: u32) -> HtmlCanvasElement {
    let canvas: HtmlCanvasElement = create_element("canvas").unchecked_into();
    canvas.set_width(width);
    canvas.set_height(height);
    canvas
}

fn context(canvas: &HtmlCanvasElement) -> CanvasRenderingContext2d {
    canvas
        .get_context("2d")
        .expect("getContext")
        .expect("a 2d context")
        .unchecked_into()
}

/// The canvas's pixels as RGBA bytes, row by row.
fn pixels(canvas: &HtmlCanvasElement) -> Vec<u8> {
    context(canvas)
        .unchecked_into::<PixelReader>()
        .get_image_data(0, 0, canvas.width(), canvas.height())
        .data()
        .to_vec()
}

/// The RGBA of one pixel.
fn pixel(canvas: &HtmlCanvasElement, x: u32, y: u32) -> [u8; 4] {
    let all = pixels(canvas);
    let at = ((y * canvas.width() + x) * 4) as usize;
    all[at..at + 4].try_into().unwrap()
}

const TRANSPARENT: [u8; 4] = [0, 0, 0, 0];
const RED: [u8; 4] = [255, 0, 0, 255];
const BLUE: [u8; 4] = [0, 0, 255, 255];
const GREEN: [u8; 4] = [0, 255, 0, 255];

fn fill(canvas: &HtmlCanvasElement, x: u32, y: u32, [r, g, b, a]: [u8; 4]) {
    let context = context(canvas);
    context.set_fill_style_str(&format!("rgba({r}, {g}, {b}, {})", f64::from(a) / 255.0));
    context.fill_rect(f64::from(x), f64::from(y), 1.0, 1.0);
}

/// A 4×3 canvas whose every pixel differs: opaque colours, and one fully transparent pixel (exact through PNG).
fn known_pixels() -> HtmlCanvasElement {
    let canvas = canvas(4, 3);
    for y in 0..3 {
        for x in 0..4 {
            if (x, y) == (3, 2) {
                continue;
            }
            let (x8, y8) = (x as u8, y as u8);
            fill(
                &canvas,
                x,
                y,
                [x8 * 60, y8 * 100, 255 - x8 * 30 - y8 * 20, 255],
            );
        }
    }
    canvas
}

/// A canvas painted green all over: what "left as it was" is compared with.
fn green_canvas(width: u32, height: u32) -> HtmlCanvasElement {
    let canvas = canvas(width, height);
    let context = context(&canvas);
    context.set_fill_style_str("rgb(0, 255, 0)");
    context.fill_rect(0.0, 0.0, f64::from(width), f64::from(height));
    canvas
}

async fn png_of(canvas: &HtmlCanvasElement) -> Blob {
    within("toBlob", canvas_to_blob(canvas, "image/png", None))
        .await
        .expect("a PNG")
}

fn blob_with_type(bytes: &[u8], mime: &str) -> Blob {
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let parts = Array::of1(&js_sys::Uint8Array::from(bytes));
    Blob::new_with_u8_array_sequence_and_options(&parts, &options).expect("a blob")
}

fn with(decoder: Decoder) -> DrawOptions {
    DrawOptions {
        fit: Fit::Natural,
        decoder,
        ..DrawOptions::default()
    }
}

const DECODERS: [Decoder; 3] = [Decoder::Auto, Decoder::ImageBitmap, Decoder::ImageElement];

async fn fetch_fails(url: &str) -> bool {
    JsFuture::from(fetch(url)).await.is_err()
}

#[wasm_bindgen_test]
async fn png_drawn_back_gives_the_same_pixels() {
    let source = known_pixels();
    let expected = pixels(&source);
    let png = png_of(&source).await;
    assert_eq!(png.type_(), "image/png");

    for decoder in DECODERS {
        let target = canvas(4, 3);
        let size = draw_blob(&target, &png, &with(decoder)).await;
        assert_eq!(
            size,
            Ok(ImageSize {
                width: 4,
                height: 3
            }),
            "{decoder:?}"
        );
        assert_eq!(pixels(&target), expected, "{decoder:?}");

        let resized = green_canvas(1, 1);
        let options = DrawOptions {
            fit: Fit::ResizeCanvas,
            ..with(decoder)
        };
        draw_blob(&resized, &png, &options).await.expect("drawn");
        assert_eq!((resized.width(), resized.height()), (4, 3));
        assert_eq!(pixels(&resized), expected, "{decoder:?}, resized");
    }
}

#[wasm_bindgen_test]
async fn canvas_to_blob_honours_type_and_quality() {
    let noisy = canvas(64, 64);
    for y in 0..64 {
        for x in 0..64 {
            let v = ((x * 37 + y * 91) % 256) as u8;
            fill(&noisy, x, y, [v, 255 - v, (v / 2) + 64, 255]);
        }
    }
    let low = canvas_to_blob(&noisy, "image/jpeg", Some(0.1))
        .await
        .expect("a JPEG");
    let high = canvas_to_blob(&noisy, "image/jpeg", Some(1.0))
        .await
        .expect("a JPEG");
    assert_eq!(low.type_(), "image/jpeg");
    assert!(low.size() < high.size(), "{} < {}", low.size(), high.size());

    // The default and an unknown type both give PNG, as in the DOM.
    let default = canvas_to_blob(&noisy, "", None).await.expect("a PNG");
    assert_eq!(default.type_(), "image/png");
    let unknown = canvas_to_blob(&noisy, "image/x-unknown", None)
        .await
        .expect("a PNG");
    assert_eq!(unknown.type_(), "image/png");

    // A JPEG drawn back has the canvas's size.
    let target = canvas(1, 1);
    let options = DrawOptions {
        fit: Fit::ResizeCanvas,
        ..DrawOptions::default()
    };
    let size = draw_blob(&target, &high, &options).await;
    assert_eq!(
        size,
        Ok(ImageSize {
            width: 64,
            height: 64
        })
    );

    // No area, no image.
    let empty = canvas(0, 10);
    match canvas_to_blob(&empty, "image/png", None).await {
        Err(Error::ImageEncode { message }) => assert!(message.contains("0×10"), "{message}"),
        other => panic!("expected ImageEncode, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn round_trip_through_echo_in_blob_mode() {
    let source = known_pixels();
    let png = png_of(&source).await;
    let (socket, mut events) = open("/echo").await;
    assert_eq!(socket.binary_type(), BinaryType::Blob);
    socket.send_blob(&png).expect("open socket sends");
    let Message::Blob(received) = events.message().await else {
        panic!("expected a Blob");
    };
    assert_eq!(
        received.type_(),
        "",
        "a received Blob has no type: the format is sniffed"
    );
    let target = canvas(4, 3);
    let size = draw_blob(&target, &received, &with(Decoder::Auto)).await;
    assert_eq!(
        size,
        Ok(ImageSize {
            width: 4,
            height: 3
        })
    );
    assert_eq!(pixels(&target), pixels(&source));
}

#[wasm_bindgen_test]
async fn round_trip_through_echo_in_array_buffer_mode() {
    let source = known_pixels();
    let png = png_of(&source).await;
    let (socket, mut events) = open("/echo").await;
    socket.set_binary_type(BinaryType::ArrayBuffer);
    socket.send_blob(&png).expect("open socket sends");
    let Message::Binary(bytes) = events.message().await else {
        panic!("expected bytes");
    };
    assert_eq!(bytes, blob_bytes(&png).await);
    for mime in ["image/png", ""] {
        for decoder in DECODERS {
            let target = canvas(4, 3);
            let size = draw_bytes(&target, &bytes, mime, &with(decoder)).await;
            assert_eq!(
                size,
                Ok(ImageSize {
                    width: 4,
                    height: 3
                }),
                "{mime:?} {decoder:?}"
            );
            assert_eq!(pixels(&target), pixels(&source), "{mime:?} {decoder:?}");
        }
    }
}

/// A 2×1 image: red, then blue.
async fn red_blue() -> Blob {
    let source = canvas(2, 1);
    fill(&source, 0, 0, RED);
    fill(&source, 1, 0, BLUE);
    png_of(&source).await
}

async fn drawn_with(fit: Fit) -> HtmlCanvasElement {
    let target = green_canvas(4, 4);
    context(&target).set_image_smoothing_enabled(false);
    let options = DrawOptions {
        fit,
        ..DrawOptions::default()
    };
    let size = draw_blob(&target, &red_blue().await, &options).await;
    assert_eq!(
        size,
        Ok(ImageSize {
            width: 2,
            height: 1
        }),
        "{fit:?}"
    );
    target
}

#[wasm_bindgen_test]
async fn fits_place_the_image_and_clear_the_rest() {
    // Contain: scaled to 4×2, centred vertically; the bars are cleared, not left green.
    let contain = drawn_with(Fit::Contain).await;
    for (x, y, expected) in [
        (0, 0, TRANSPARENT),
        (3, 0, TRANSPARENT),
        (0, 1, RED),
        (1, 2, RED),
        (2, 1, BLUE),
        (3, 2, BLUE),
        (0, 3, TRANSPARENT),
    ] {
        assert_eq!(pixel(&contain, x, y), expected, "contain ({x}, {y})");
    }

    let stretch = drawn_with(Fit::Stretch).await;
    for (x, y, expected) in [(0, 0, RED), (1, 3, RED), (2, 0, BLUE), (3, 3, BLUE)] {
        assert_eq!(pixel(&stretch, x, y), expected, "stretch ({x}, {y})");
    }

    let natural = drawn_with(Fit::Natural).await;
    for (x, y, expected) in [
        (0, 0, RED),
        (1, 0, BLUE),
        (2, 0, TRANSPARENT),
        (0, 1, TRANSPARENT),
    ] {
        assert_eq!(pixel(&natural, x, y), expected, "natural ({x}, {y})");
    }
}

#[wasm_bindgen_test]
async fn the_contexts_own_state_is_ignored_and_restored() {
    let target = green_canvas(4, 4);
    let context = context(&target);
    context.translate(2.0, 2.0).expect("translate");
    context.set_global_alpha(0.5);
    let options = DrawOptions {
        fit: Fit::Natural,
        ..DrawOptions::default()
    };
    draw_blob(&target, &red_blue().await, &options)
        .await
        .expect("drawn");
    assert_eq!(pixel(&target, 0, 0), RED, "at the origin, opaque");
    assert_eq!(pixel(&target, 1, 0), BLUE);
    assert_eq!(
        pixel(&target, 2, 2),
        TRANSPARENT,
        "the whole canvas was cleared"
    );
    assert_eq!(context.global_alpha(), 0.5, "restored");
}

/// Checks that drawing `bytes` as `mime` fails with `expected` (compared by `check`) with every decoder, for
/// bytes and for a Blob, leaving the canvas green.
async fn refused(bytes: &[u8], mime: &str, options: DrawOptions, check: impl Fn(&Error) -> bool) {
    for decoder in DECODERS {
        let options = DrawOptions { decoder, ..options };
        let target = green_canvas(4, 3);
        let before = pixels(&target);
        let from_bytes = draw_bytes(&target, bytes, mime, &options).await;
        match &from_bytes {
            Err(error) if check(error) => {}
            other => panic!("{decoder:?}, bytes: unexpected {other:?}"),
        }
        assert_eq!(
            pixels(&target),
            before,
            "{decoder:?}, bytes: the canvas changed"
        );

        let from_blob = draw_blob(&target, &blob_with_type(bytes, mime), &options).await;
        assert_eq!(
            from_blob, from_bytes,
            "{decoder:?}: a Blob fails as the bytes do"
        );
        assert_eq!(
            pixels(&target),
            before,
            "{decoder:?}, blob: the canvas changed"
        );
        assert_eq!(pixel(&target, 0, 0), GREEN);
    }
}

fn is_decode_error(error: &Error) -> bool {
    matches!(error, Error::ImageDecode { .. })
}

#[wasm_bindgen_test]
async fn corrupt_bytes_are_refused() {
    let garbage: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
    refused(
        &garbage,
        "image/png",
        DrawOptions::default(),
        is_decode_error,
    )
    .await;
    refused(&garbage, "", DrawOptions::default(), is_decode_error).await;
    refused(b"", "", DrawOptions::default(), is_decode_error).await;
    // A canvas with no context yet is not given one by a refused image: it can still become any kind.
    let fresh = canvas(4, 3);
    let drawn = draw_bytes(&fresh, &garbage, "", &DrawOptions::default()).await;
    assert!(matches!(drawn, Err(Error::ImageDecode { .. })), "{drawn:?}");
    assert!(
        fresh
            .get_context("bitmaprenderer")
            .expect("getContext")
            .is_some(),
        "the refused image made the canvas a 2D one"
    );

    // A real PNG header (so the size check passes), then nothing.
    let png = blob_bytes(&png_of(&known_pixels()).await).await;
    refused(
        &png[..40],
        "image/png",
        DrawOptions::default(),
        is_decode_error,
    )
    .await;
}

#[wasm_bindgen_test]
async fn a_non_image_mime_type_is_refused() {
    let png = blob_bytes(&png_of(&known_pixels()).await).await;
    for mime in ["text/plain", "text/html; charset=utf-8", "application/json"] {
        let expected = Error::ImageDecode {
            message: format!("\"{mime}\" is not an image MIME type"),
        };
        refused(&png, mime, DrawOptions::default(), |e| *e == expected).await;
    }
}

#[wasm_bindgen_test]
async fn more_bytes_than_the_limit_are_refused() {
    let png = blob_bytes(&png_of(&known_pixels()).await).await;
    let len = png.len() as u64;
    let options = DrawOptions {
        max_bytes: len - 1,
        ..DrawOptions::default()
    };
    let expected = Error::ImageTooLarge {
        bytes: len,
        limit: len - 1,
    };
    refused(&png, "image/png", options, |e| *e == expected).await;

    let exactly = DrawOptions {
        max_bytes: len,
        ..DrawOptions::default()
    };
    assert!(draw_bytes(&canvas(4, 3), &png, "image/png", &exactly)
        .await
        .is_ok());
}

#[wasm_bindgen_test]
async fn more_pixels_than_the_limit_are_refused() {
    // From the PNG header, before decoding.
    let png = blob_bytes(&png_of(&known_pixels()).await).await;
    let options = DrawOptions {
        max_pixels: 11,
        ..DrawOptions::default()
    };
    let expected = Error::ImageTooManyPixels {
        width: 4,
        height: 3,
        limit: 11,
    };
    refused(&png, "image/png", options, |e| *e == expected).await;
    let exactly = DrawOptions {
        max_pixels: 12,
        ..DrawOptions::default()
    };
    assert!(draw_bytes(&canvas(4, 3), &png, "image/png", &exactly)
        .await
        .is_ok());

    // A decompression bomb: a header declaring 100 000 × 100 000 pixels is refused for its size, not decoded.
    let mut bomb = png[..33].to_vec();
    bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let expected = Error::ImageTooManyPixels {
        width: 100_000,
        height: 100_000,
        limit: DrawOptions::DEFAULT_MAX_PIXELS,
    };
    refused(&bomb, "", DrawOptions::default(), |e| *e == expected).await;

    // The same from a JPEG whose frame header comes after 128 KiB of comments, past the start of a Blob that is
    // read first: refused from its header all the same, and as its bytes are.
    let mut jpeg = vec![0xff, 0xd8];
    for _ in 0..2 {
        jpeg.extend([0xff, 0xfe, 0xff, 0xff]);
        jpeg.resize(jpeg.len() + 0xffff - 2, b' ');
    }
    jpeg.extend([0xff, 0xc0, 0x00, 0x11, 0x08, 0xff, 0xff, 0xff, 0xff, 0x03]);
    jpeg.extend([1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xff, 0xd9]);
    let expected = Error::ImageTooManyPixels {
        width: 65_535,
        height: 65_535,
        limit: DrawOptions::DEFAULT_MAX_PIXELS,
    };
    refused(&jpeg, "image/jpeg", DrawOptions::default(), |e| {
        *e == expected
    })
    .await;

    // A GIF whose 1×1 logical screen hides a 60 000 × 50 000 first frame (browsers enlarge the screen to it), after
    // 200 KB of comment extensions: refused for the frame's size.
    let mut gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff".to_vec();
    gif.extend([0x21, 0xfe]);
    for _ in 0..800 {
        gif.push(250);
        gif.extend([b'c'; 250]);
    }
    gif.push(0);
    gif.push(0x2c);
    for value in [0u16, 0, 60_000, 50_000] {
        gif.extend(value.to_le_bytes());
    }
    gif.extend([0, 2, 2, 0x4c, 0x01, 0, 0x3b]);
    let expected = Error::ImageTooManyPixels {
        width: 60_000,
        height: 50_000,
        limit: DrawOptions::DEFAULT_MAX_PIXELS,
    };
    refused(&gif, "image/gif", DrawOptions::default(), |e| {
        *e == expected
    })
    .await;

    // An AVIF (as libavif writes it) from its image spatial extent property, `ispe`: 20 × 10, then made to declare
    // 60 000 × 50 000.
    let mut avif = include_bytes!("../data/red-20x10.avif").to_vec();
    let options = DrawOptions {
        max_pixels: 199,
        ..DrawOptions::default()
    };
    let expected = Error::ImageTooManyPixels {
        width: 20,
        height: 10,
        limit: 199,
    };
    refused(&avif, "image/avif", options, |e| *e == expected).await;
    let ispe = avif
        .windows(4)
        .position(|window| window == b"ispe")
        .expect("an ispe box")
        + 8;
    avif[ispe..ispe + 4].copy_from_slice(&60_000u32.to_be_bytes());
    avif[ispe + 4..ispe + 8].copy_from_slice(&50_000u32.to_be_bytes());
    let expected = Error::ImageTooManyPixels {
        width: 60_000,
        height: 50_000,
        limit: DrawOptions::DEFAULT_MAX_PIXELS,
    };
    refused(&avif, "image/avif", DrawOptions::default(), |e| {
        *e == expected
    })
    .await;
}

const SVG: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" width="5" height="4"><rect width="5" height="4" fill="red"/></svg>"#;

#[wasm_bindgen_test]
async fn svg_is_decoded_by_the_image_element_and_its_size_checked_after_decoding() {
    let svg = blob_with_type(SVG.as_bytes(), "image/svg+xml");
    let image = DecodedImage::from_blob(&svg, &DrawOptions::default())
        .await
        .expect("an SVG");
    assert_eq!(
        image.decoder(),
        Decoder::ImageElement,
        "Auto sends SVG to the element"
    );
    assert_eq!(
        image.size(),
        ImageSize {
            width: 5,
            height: 4
        }
    );
    let target = canvas(5, 4);
    image.draw(&target, Fit::Natural).expect("drawn");
    assert_eq!(pixel(&target, 2, 2), RED);

    let target = green_canvas(5, 4);
    let before = pixels(&target);
    let options = DrawOptions {
        max_pixels: 19,
        ..DrawOptions::default()
    };
    let result = draw_blob(&target, &svg, &options).await;
    assert_eq!(
        result,
        Err(Error::ImageTooManyPixels {
            width: 5,
            height: 4,
            limit: 19
        })
    );
    assert_eq!(pixels(&target), before);
}

#[wasm_bindgen_test]
async fn auto_uses_create_image_bitmap_and_no_object_url() {
    let png = png_of(&known_pixels()).await;
    let watch = Watch::start();
    let image = DecodedImage::from_blob(&png, &DrawOptions::default())
        .await
        .expect("decoded");
    assert_eq!(image.decoder(), Decoder::ImageBitmap);
    assert_eq!(image.object_url(), None);
    assert_eq!(
        image.size(),
        ImageSize {
            width: 4,
            height: 3
        }
    );
    assert_eq!(watch.created(), Vec::<String>::new());
}

#[wasm_bindgen_test]
async fn a_fetch_of_a_revoked_object_url_fails() {
    // The check the fallback tests rely on, checked itself.
    let png = png_of(&known_pixels()).await;
    let url = web_sys::Url::create_object_url_with_blob(&png).expect("a URL");
    assert!(!fetch_fails(&url).await, "a live URL can be fetched");
    web_sys::Url::revoke_object_url(&url).expect("revoked");
    assert!(fetch_fails(&url).await);
}

#[wasm_bindgen_test]
async fn the_fallback_revokes_its_object_url_after_loading() {
    let source = known_pixels();
    let png = png_of(&source).await;
    let watch = Watch::start();
    let image = DecodedImage::from_blob(&png, &with(Decoder::ImageElement))
        .await
        .expect("decoded");
    assert_eq!(image.decoder(), Decoder::ImageElement);
    let url = image.object_url().expect("the URL used").to_owned();
    assert!(url.starts_with("blob:"), "{url}");
    assert_eq!(watch.created(), vec![url.clone()]);
    assert_eq!(watch.revoked(), vec![url.clone()]);
    assert!(fetch_fails(&url).await, "the URL is revoked");

    // The image still draws after its URL is gone.
    let target = canvas(4, 3);
    image.draw(&target, Fit::Natural).expect("drawn");
    assert_eq!(pixels(&target), pixels(&source));
}

#[wasm_bindgen_test]
async fn the_fallback_revokes_its_object_url_after_an_error() {
    let watch = Watch::start();
    let result = DecodedImage::from_bytes(b"not an image", "", &with(Decoder::ImageElement)).await;
    assert!(
        matches!(result, Err(Error::ImageDecode { .. })),
        "{result:?}"
    );
    let created = watch.created();
    assert_eq!(created.len(), 1);
    assert_eq!(watch.revoked(), created);
    assert!(fetch_fails(&created[0]).await);
}

#[wasm_bindgen_test]
async fn a_bitmap_decode_dropped_before_it_ends_closes_its_bitmap() {
    let png = blob_bytes(&png_of(&known_pixels()).await).await;
    let made = next_bitmap();
    let options = with(Decoder::ImageBitmap);
    let pending = DecodedImage::from_bytes(&png, "image/png", &options).now_or_never();
    assert!(pending.is_none(), "still decoding after one poll");
    let bitmap = within("the decode", JsFuture::from(made))
        .await
        .expect("decoded");
    let bitmap = bitmap.dyn_into::<ImageBitmap>().expect("an ImageBitmap");
    assert_eq!(
        bitmap.width(),
        0,
        "closed once decoded: nobody would draw it"
    );
}

#[wasm_bindgen_test]
async fn the_fallback_revokes_its_object_url_when_dropped() {
    let png = blob_bytes(&png_of(&known_pixels()).await).await;
    let watch = Watch::start();
    let options = with(Decoder::ImageElement);
    let pending = DecodedImage::from_bytes(&png, "image/png", &options).now_or_never();
    assert!(pending.is_none(), "still loading after one poll");
    let created = watch.created();
    assert_eq!(created.len(), 1);
    assert_eq!(
        watch.revoked(),
        created,
        "revoked when the future was dropped"
    );
    assert!(fetch_fails(&created[0]).await);
}
