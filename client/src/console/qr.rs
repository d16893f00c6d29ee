//! A join link as a QR code, to print and stick beside a classroom's computer or to scan with a
//! tablet: an SVG image as a `data:` URI, made in the page (no request, nothing stored).

use base64::Engine;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// The QR code of `url` as an `<img src>`; `None` if the URL is too long for a QR code.
pub fn data_uri(url: &str) -> Option<String> {
    // Level M survives a scuffed or badly lit print; a join link fits easily.
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).ok()?;
    let image = code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    let encoded = base64::engine::general_purpose::STANDARD.encode(image);
    Some(format!("data:image/svg+xml;base64,{encoded}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use qrcode::Color;

    /// Decodes what `data_uri` encodes, from the QR module matrix (as a camera would see it).
    fn decode(url: &str) -> String {
        let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).unwrap();
        let width = code.width();
        let colors = code.to_colors();
        // 4 pixels per module and a quiet zone of 4 modules, like the rendered image.
        let (scale, quiet) = (4, 4);
        let size = (width + 2 * quiet) * scale;
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(size, size, |x, y| {
            let (mx, my) = (x / scale, y / scale);
            if mx < quiet || my < quiet || mx >= width + quiet || my >= width + quiet {
                return 255;
            }
            match colors[(my - quiet) * width + (mx - quiet)] {
                Color::Dark => 0,
                Color::Light => 255,
            }
        });
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the image");
        grids[0].decode().expect("decodes").1
    }

    #[test]
    fn a_join_link_round_trips_through_its_qr_code() {
        let url = "https://relay.example.org/lesson#token=v1.eyJsZXNzb24iOjF9.c2lnbmF0dXJl";
        assert_eq!(decode(url), url);
        let uri = data_uri(url).expect("fits");
        assert!(uri.starts_with("data:image/svg+xml;base64,"));
        let svg = base64::engine::general_purpose::STANDARD
            .decode(&uri["data:image/svg+xml;base64,".len()..])
            .unwrap();
        let svg = String::from_utf8(svg).unwrap();
        assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
    }

    #[test]
    fn a_url_too_long_for_a_qr_code_gives_none() {
        assert_eq!(data_uri(&"x".repeat(5_000)), None);
    }
}
