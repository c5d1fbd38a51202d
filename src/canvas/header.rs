//! Image sizes read from headers, so an image declaring too many pixels is refused before it is decoded.

use super::ImageSize;

/// The size an image's header declares, for the formats whose header is easy to read: PNG, GIF, BMP, WebP, JPEG
/// and AVIF. `None` for other formats, a header cut short, or a declared size of zero (left to the decoder).
pub(super) fn declared_size(bytes: &[u8]) -> Option<ImageSize> {
    let (width, height) = png_size(bytes)
        .or_else(|| gif_size(bytes))
        .or_else(|| bmp_size(bytes))
        .or_else(|| webp_size(bytes))
        .or_else(|| jpeg_size(bytes))
        .or_else(|| heif_size(bytes))?;
    (width > 0 && height > 0).then_some(ImageSize { width, height })
}

/// Whether `prefix` starts a format whose size can lie further on than any prefix (behind a JPEG's segments, a
/// GIF's extensions, or an AVIF's boxes): when the prefix has none, the whole file is worth reading for it.
pub(super) fn declares_size_later(prefix: &[u8]) -> bool {
    prefix.starts_with(&[0xff, 0xd8])
        || prefix.starts_with(b"GIF8")
        || prefix.get(4..8) == Some(b"ftyp")
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

/// GIF: the logical screen, grown to hold the first frame. Browsers enlarge the screen to a first frame that does
/// not fit in it, so a GIF declaring a 1×1 screen around a 60000×60000 frame decodes to the frame's size: the
/// walk goes past the global colour table and the extensions to the first image descriptor. `None` if it is
/// not within `bytes`, as for a JPEG whose frame header is not.
fn gif_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.starts_with(b"GIF87a") && !bytes.starts_with(b"GIF89a") {
        return None;
    }
    let screen = (u32::from(le_u16(bytes, 6)?), u32::from(le_u16(bytes, 8)?));
    let flags = *bytes.get(10)?;
    let mut at = 13;
    if flags & 0x80 != 0 {
        at += 3 << ((flags & 0x07) + 1);
    }
    loop {
        match *bytes.get(at)? {
            // An extension: its label, then data sub-blocks (a length byte each) up to an empty one.
            0x21 => {
                at += 2;
                loop {
                    let length = usize::from(*bytes.get(at)?);
                    at += 1 + length;
                    if length == 0 {
                        break;
                    }
                }
            }
            // The image descriptor: left, top, width, height.
            0x2c => {
                let edge = |offset: usize, length: usize| -> Option<u32> {
                    Some(
                        u32::from(le_u16(bytes, at + offset)?)
                            + u32::from(le_u16(bytes, at + length)?),
                    )
                };
                return Some((screen.0.max(edge(1, 5)?), screen.1.max(edge(3, 7)?)));
            }
            // The trailer, or not a GIF block: no frame to size.
            _ => return None,
        }
    }
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

/// JPEG: walks the segments up to the first start-of-frame marker, finding each marker as libjpeg (the decoder of
/// Chromium and Firefox) does, so that no byte it skips can steer the walk to another frame header than the one
/// it decodes.
fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.starts_with(&[0xff, 0xd8]) {
        return None;
    }
    let mut at = 2;
    loop {
        // Bytes before a marker that are not 0xff are extraneous data, skipped with a warning; then any number
        // of 0xff fill bytes.
        while *bytes.get(at)? != 0xff {
            at += 1;
        }
        while bytes.get(at) == Some(&0xff) {
            at += 1;
        }
        let marker = *bytes.get(at)?;
        at += 1;
        match marker {
            // 0xff 0x00 is no marker (a stuffed byte): the search goes on after it.
            0x00 => {}
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

/// AVIF (and HEIF): the largest image spatial extent (`ispe`) among the item properties (`meta` → `iprp` →
/// `ipco`), which covers the primary image, a grid and its tiles alike. `None` if there is none within `bytes`.
fn heif_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.get(4..8) != Some(b"ftyp") {
        return None;
    }
    // A full box (`meta`, `ispe`) starts with a version and flags.
    let meta = child(bytes, b"meta")?.get(4..)?;
    let properties = child(child(meta, b"iprp")?, b"ipco")?;
    Boxes(properties)
        .filter(|(kind, _)| kind == b"ispe")
        .filter_map(|(_, body)| Some((be_u32(body, 4)?, be_u32(body, 8)?)))
        .reduce(|a, b| (a.0.max(b.0), a.1.max(b.1)))
}

/// The body of the first box of `kind` among those `bytes` holds.
fn child<'a>(bytes: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    Boxes(bytes)
        .find(|(found, _)| found == kind)
        .map(|(_, body)| body)
}

/// ISO base media file format boxes, one level: (type, body); ends at the first box cut short or malformed.
struct Boxes<'a>(&'a [u8]);

impl<'a> Iterator for Boxes<'a> {
    type Item = ([u8; 4], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.0;
        let kind: [u8; 4] = array(bytes, 4)?;
        let (header, size) = match be_u32(bytes, 0)? {
            // To the end of the enclosing box or file.
            0 => (8, bytes.len()),
            // A 64-bit size follows the type.
            1 => (
                16,
                usize::try_from(u64::from_be_bytes(array(bytes, 8)?)).ok()?,
            ),
            size => (8, usize::try_from(size).ok()?),
        };
        let body = bytes.get(header..size)?;
        self.0 = bytes.get(size..).unwrap_or_default();
        Some((kind, body))
    }
}

#[cfg(test)]
pub(super) mod tests {
    //! Header sniffing for every format, and cut-short or foreign data.
    use super::*;

    fn size(width: u32, height: u32) -> Option<ImageSize> {
        Some(ImageSize { width, height })
    }

    /// The first bytes of a PNG of this size (shared with the canvas module's tests).
    pub(in crate::canvas) fn png(width: u32, height: u32) -> Vec<u8> {
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

    /// An ISO base media file format box.
    fn bmff(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut bytes = u32::try_from(8 + body.len())
            .expect("a small box")
            .to_be_bytes()
            .to_vec();
        bytes.extend(kind);
        bytes.extend(body);
        bytes
    }

    /// An AVIF's `ftyp` and `meta` boxes, with an `ispe` property for each size, then the start of its `mdat`.
    fn avif(sizes: &[(u32, u32)]) -> Vec<u8> {
        let mut properties = bmff(b"colr", b"nclx\0\x01\0\x0d\0\x06\x80");
        for (width, height) in sizes {
            let mut ispe = vec![0; 4];
            ispe.extend(width.to_be_bytes());
            ispe.extend(height.to_be_bytes());
            properties.extend(bmff(b"ispe", &ispe));
        }
        let mut meta = vec![0; 4];
        meta.extend(bmff(b"hdlr", &[0; 25]));
        meta.extend(bmff(
            b"iprp",
            &[bmff(b"ipco", &properties), bmff(b"ipma", &[0; 10])].concat(),
        ));
        [
            bmff(b"ftyp", b"avif\0\0\0\0mif1miafavif"),
            bmff(b"meta", &meta),
            bmff(b"mdat", &[0; 64]),
        ]
        .concat()
    }

    /// A 20×10 AVIF as libavif writes it (by Pillow 13), for the header tests here and the browser's.
    const AVIF_20X10: &[u8] = include_bytes!("../../tests/data/red-20x10.avif");

    #[test]
    fn avif_header_is_read() {
        assert_eq!(
            declared_size(AVIF_20X10),
            size(20, 10),
            "as libavif writes it"
        );
        assert_eq!(declared_size(&avif(&[(640, 480)])), size(640, 480));
        assert_eq!(
            declared_size(&avif(&[(512, 512), (8_000, 6_000), (512, 512)])),
            size(8_000, 6_000),
            "a grid and its tiles: the largest"
        );
        let whole = avif(&[(100_000, 100_000)]);
        assert_eq!(declared_size(&whole), size(100_000, 100_000));
        let meta_ends = whole.len() - 72;
        assert_eq!(declared_size(&whole[..meta_ends]), size(100_000, 100_000));
        assert_eq!(declared_size(&whole[..meta_ends - 1]), None, "cut short");
        assert!(declares_size_later(&whole[..40]));
        assert_eq!(declared_size(&avif(&[])), None, "no ispe");

        // A 64-bit box size, and a last box that runs to the end (size 0).
        let mut large = whole.clone();
        let meta = 28;
        let meta_size = u32::from_be_bytes(large[meta..meta + 4].try_into().expect("4 bytes"));
        large.splice(
            meta..meta + 8,
            [
                &[0, 0, 0, 1][..],
                b"meta",
                &u64::from(meta_size + 8).to_be_bytes(),
            ]
            .concat(),
        );
        assert_eq!(declared_size(&large), size(100_000, 100_000), "64-bit size");
        let mut to_end = whole[..meta_ends].to_vec();
        to_end[meta..meta + 4].copy_from_slice(&[0; 4]);
        assert_eq!(declared_size(&to_end), size(100_000, 100_000), "size 0");
    }

    /// A GIF's blocks up to its first image descriptor: a `screen`, a global colour table of 4 colours, a comment
    /// extension of `comment` bytes in sub-blocks, and a frame `(left, top, width, height)`.
    fn gif(screen: (u16, u16), comment: usize, frame: (u16, u16, u16, u16)) -> Vec<u8> {
        let mut gif = b"GIF89a".to_vec();
        gif.extend(screen.0.to_le_bytes());
        gif.extend(screen.1.to_le_bytes());
        gif.extend([0x81, 0, 0]);
        gif.extend([0; 12]);
        gif.extend([0x21, 0xfe]);
        for chunk in vec![b'c'; comment].chunks(255) {
            gif.push(chunk.len() as u8);
            gif.extend(chunk);
        }
        gif.push(0);
        gif.push(0x2c);
        for value in [frame.0, frame.1, frame.2, frame.3] {
            gif.extend(value.to_le_bytes());
        }
        gif.push(0);
        gif
    }

    #[test]
    fn gif_header_is_read() {
        let mut plain = gif((300, 200), 0, (0, 0, 300, 200));
        assert_eq!(declared_size(&plain), size(300, 200));
        plain[4] = b'7';
        assert_eq!(declared_size(&plain), size(300, 200), "GIF87a");
        assert_eq!(declared_size(&plain[..9]), None);
        assert_eq!(
            declared_size(&gif((300, 200), 0, (10, 20, 30, 40))),
            size(300, 200),
            "a frame inside the screen"
        );
    }

    /// Browsers enlarge the logical screen to a first frame that does not fit: a tiny screen does not hide a huge
    /// frame, however many bytes of extensions come before it.
    #[test]
    fn a_gif_frame_larger_than_its_screen_is_its_size() {
        assert_eq!(
            declared_size(&gif((1, 1), 0, (0, 0, 60_000, 50_000))),
            size(60_000, 50_000)
        );
        assert_eq!(
            declared_size(&gif((1, 1), 1_000, (65_535, 65_535, 65_535, 2))),
            size(131_070, 65_537),
            "offsets count"
        );
        let long = gif((1, 1), 200_000, (0, 0, 60_000, 50_000));
        assert_eq!(declared_size(&long), size(60_000, 50_000));
        assert_eq!(
            declared_size(&long[..long.len() - 8]),
            None,
            "no frame within the bytes: unknown, not the screen"
        );
        let mut no_frame = gif((1, 1), 10, (0, 0, 5, 5));
        let descriptor = no_frame.len() - 10;
        no_frame[descriptor] = 0x3b;
        assert_eq!(declared_size(&no_frame), None, "the trailer first");
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

    /// Markers are found as libjpeg finds them: stray bytes before a marker are skipped, and 0xff 0x00 is no
    /// marker. Taking the bytes after 0xff 0x00 for a segment length let a crafted file jump over its real frame
    /// header (60000 × 60000) to a fake one (1 × 1) hidden in a comment; a stray byte gave no size at all.
    #[test]
    fn jpeg_markers_are_found_as_the_decoder_finds_them() {
        let mut steered = vec![0xff, 0xd8, 0xff, 0xe0, 0, 16];
        steered.extend([0; 14]);
        steered.extend([0xff, 0x00]);
        let real = steered.len();
        steered.extend([0xff, 0xc0, 0, 17, 8, 0xea, 0x60, 0xea, 0x60, 3]);
        steered.extend([1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        steered.extend([0xff, 0xfe, 0xff, 0xff]);
        steered.resize(real + 0xffc0, 0);
        steered.extend([0xff, 0xc0, 0, 17, 8, 0, 1, 0, 1, 3]);
        steered.resize(steered.len() + 9, 0);
        assert_eq!(declared_size(&steered), size(60_000, 60_000), "0xff 0x00");
        assert_eq!(
            declared_size(&jpeg(
                &[&[0xff, 0xe0, 0, 4, 0, 0], &[0x00, 0x42]],
                60_000,
                60_000
            )),
            size(60_000, 60_000),
            "stray bytes between segments"
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
}
