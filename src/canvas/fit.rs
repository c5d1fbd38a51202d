//! Where an image goes on a canvas for each [`Fit`].

use super::{Fit, ImageSize};

/// Where an image goes on the canvas, in canvas pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Placement {
    pub(super) x: f64,
    pub(super) y: f64,
    pub(super) width: f64,
    pub(super) height: f64,
}

/// Where `fit` puts an image of `image` size on a canvas of `canvas_width × canvas_height` (for
/// [`Fit::ResizeCanvas`], the canvas already has the image's size).
pub(super) fn placement(
    fit: Fit,
    image: ImageSize,
    canvas_width: u32,
    canvas_height: u32,
) -> Placement {
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

#[cfg(test)]
mod tests {
    //! Placement for every fit.
    use super::*;

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
}
