//! The `source` canvas: a picture to send, which the user can paint on with the pointer.

use std::cell::Cell;
use std::f64::consts::TAU;

use wasm_bindgen::{JsCast, JsError};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, PointerEvent};

/// The source canvas and the stroke being painted.
pub(super) struct Sketch {
    canvas: HtmlCanvasElement,
    context: CanvasRenderingContext2d,
    /// Where the pointer was at the last event of the current stroke; `None` when not painting.
    last: Cell<Option<(f64, f64)>>,
}

impl Sketch {
    pub fn new(canvas: HtmlCanvasElement) -> Result<Self, JsError> {
        let context = canvas
            .get_context("2d")
            .ok()
            .flatten()
            .and_then(|context| context.dyn_into::<CanvasRenderingContext2d>().ok())
            .ok_or_else(|| JsError::new("the source canvas has no 2d context"))?;
        Ok(Self {
            canvas,
            context,
            last: Cell::new(None),
        })
    }

    /// Draws the starting picture. Every pixel is opaque, so it survives a PNG round trip exactly.
    pub fn reset(&self) {
        let c = &self.context;
        let (w, h) = (
            f64::from(self.canvas.width()),
            f64::from(self.canvas.height()),
        );
        c.save();
        let sky = c.create_linear_gradient(0.0, 0.0, w, h);
        let _ = sky.add_color_stop(0.0, "#1e3a8a");
        let _ = sky.add_color_stop(1.0, "#0891b2");
        c.set_fill_style_canvas_gradient(&sky);
        c.fill_rect(0.0, 0.0, w, h);

        // Three overlapping discs, like a Venn diagram of text, binary and close frames.
        c.set_global_alpha(0.85);
        for (x, y, colour) in [
            (w * 0.72, h * 0.34, "#f97316"),
            (w * 0.85, h * 0.34, "#facc15"),
            (w * 0.785, h * 0.54, "#22c55e"),
        ] {
            c.begin_path();
            let _ = c.arc(x, y, h * 0.18, 0.0, TAU);
            c.set_fill_style_str(colour);
            c.fill();
        }
        c.set_global_alpha(1.0);

        c.set_fill_style_str("#ffffff");
        c.set_font("bold 28px system-ui, sans-serif");
        let _ = c.fill_text("browser-ws", w * 0.06, h * 0.78);
        c.set_font("14px system-ui, sans-serif");
        c.set_fill_style_str("#dbeafe");
        let _ = c.fill_text("drag to paint, then send", w * 0.06, h * 0.78 + 24.0);
        c.restore();
    }

    /// Starts a stroke where the pointer went down: a dot, so that a click paints too.
    pub fn begin(&self, event: &PointerEvent, colour: &str, size: f64) {
        // Keep receiving the pointer's events when it leaves the canvas mid-stroke.
        let _ = self.canvas.set_pointer_capture(event.pointer_id());
        let (x, y) = self.position(event);
        let c = &self.context;
        c.begin_path();
        let _ = c.arc(x, y, size / 2.0, 0.0, TAU);
        c.set_fill_style_str(colour);
        c.fill();
        self.last.set(Some((x, y)));
    }

    /// Continues the stroke, if one is going on.
    pub fn extend(&self, event: &PointerEvent, colour: &str, size: f64) {
        let Some((from_x, from_y)) = self.last.get() else {
            return;
        };
        let (x, y) = self.position(event);
        let c = &self.context;
        c.begin_path();
        c.move_to(from_x, from_y);
        c.line_to(x, y);
        c.set_stroke_style_str(colour);
        c.set_line_width(size);
        c.set_line_cap("round");
        c.stroke();
        self.last.set(Some((x, y)));
    }

    /// Ends the stroke.
    pub fn end(&self) {
        self.last.set(None);
    }

    /// The pointer's position in canvas pixels (the canvas may be displayed smaller or larger).
    fn position(&self, event: &PointerEvent) -> (f64, f64) {
        let scale = |pixels: u32, shown: i32| {
            if shown > 0 {
                f64::from(pixels) / f64::from(shown)
            } else {
                1.0
            }
        };
        (
            f64::from(event.offset_x()) * scale(self.canvas.width(), self.canvas.client_width()),
            f64::from(event.offset_y()) * scale(self.canvas.height(), self.canvas.client_height()),
        )
    }
}
