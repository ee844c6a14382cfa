//! The organisation's look from config: a primary colour and a logo.
//!
//! The colour goes into CSS, so it is accepted only as a hex colour (`#1d4e89` or `#17a`)
//! and written back from its parsed bytes: nothing a config file holds can reach the
//! stylesheet as text. Pages put white text on it, so a colour too light for that
//! (contrast below 4.5:1, WCAG 2.1 AA) is refused at start as well.
//!
//! The logo is read once at start and served at `/static/logo` with the type its bytes
//! show (PNG, JPEG or SVG; SVG under a sandboxing CSP), never the one its name suggests.

use anyhow::{bail, Context};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rrggbb` or `#rgb`, nothing else.
    pub fn parse(s: &str) -> Option<Rgb> {
        let hex = s.strip_prefix('#')?;
        if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let digit = |i: usize, len: usize| u8::from_str_radix(&hex[i..i + len], 16).ok();
        match hex.len() {
            6 => Some(Rgb(digit(0, 2)?, digit(2, 2)?, digit(4, 2)?)),
            3 => Some(Rgb(digit(0, 1)? * 17, digit(1, 1)? * 17, digit(2, 1)? * 17)),
            _ => None,
        }
    }

    pub fn css(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// The same hue, darker (hover states, borders).
    pub fn darker(self, factor: f64) -> Rgb {
        let f = |c: u8| (f64::from(c) * factor).round().clamp(0.0, 255.0) as u8;
        Rgb(f(self.0), f(self.1), f(self.2))
    }

    /// WCAG 2.1 relative luminance.
    fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0) + 0.7152 * channel(self.1) + 0.0722 * channel(self.2)
    }

    pub fn contrast_with_white(self) -> f64 {
        1.05 / (self.luminance() + 0.05)
    }
}

/// The primary colour (`organisation.primary_colour`), checked: the one place config
/// text becomes a colour. It takes the text, not the settings, so config can check it
/// at start without this module depending on config.
pub fn primary_colour(text: &str) -> anyhow::Result<Rgb> {
    let Some(rgb) = Rgb::parse(text.trim()) else {
        bail!(
            "organisation.primary_colour = {:?} is not a hex colour like \"#1d4e89\"",
            text
        );
    };
    let contrast = rgb.contrast_with_white();
    if contrast < 4.5 {
        bail!(
            "organisation.primary_colour = {:?} is too light for the white text put on it \
             (contrast {contrast:.1}:1, at least 4.5:1 is needed); choose a darker colour",
            text
        );
    }
    Ok(rgb)
}

pub struct Logo {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

impl Logo {
    /// Mail clients show PNG and JPEG; many (Gmail, Outlook) drop SVG, so an SVG logo
    /// stays on the pages and the email shows the name alone.
    pub fn fits_email(&self) -> bool {
        self.content_type != "image/svg+xml"
    }
}

pub struct Branding {
    /// `:root { … }` with the colours, put after the stylesheet (so they win).
    pub css: String,
    /// The primary colour as `#rrggbb`, for emails (mail clients read inline styles only).
    pub colour: String,
    pub logo: Option<Logo>,
}

/// Largest logo accepted (it is sent with every page view).
const MAX_LOGO_BYTES: usize = 512 * 1024;

impl Branding {
    /// From `organisation.primary_colour` and `organisation.logo_file`.
    pub fn load(colour: &str, logo_file: Option<&std::path::Path>) -> anyhow::Result<Branding> {
        let brand = primary_colour(colour)?;
        let css = format!(
            ":root {{ --brand: {}; --brand-dark: {}; }}\n",
            brand.css(),
            brand.darker(0.75).css()
        );
        let logo = match logo_file {
            None => None,
            Some(path) => {
                let bytes = std::fs::read(path).with_context(|| {
                    format!("organisation.logo_file {} cannot be read", path.display())
                })?;
                if bytes.len() > MAX_LOGO_BYTES {
                    bail!(
                        "organisation.logo_file {} is larger than 512 KB",
                        path.display()
                    );
                }
                let Some(content_type) = sniff_image(&bytes) else {
                    bail!(
                        "organisation.logo_file {} is not a PNG, JPEG or SVG image",
                        path.display()
                    );
                };
                Some(Logo {
                    bytes,
                    content_type,
                })
            }
        };
        Ok(Branding {
            css,
            colour: brand.css(),
            logo,
        })
    }
}

fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        return Some("image/jpeg");
    }
    let text = std::str::from_utf8(bytes).ok()?.trim_start();
    let svg = text.starts_with("<svg") || (text.starts_with("<?xml") && text.contains("<svg"));
    svg.then_some("image/svg+xml")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hex_colours_are_accepted() {
        assert_eq!(Rgb::parse("#1d4e89"), Some(Rgb(0x1d, 0x4e, 0x89)));
        assert_eq!(Rgb::parse("#17a"), Some(Rgb(0x11, 0x77, 0xaa)));
        for bad in [
            "1d4e89",
            "#1d4e8",
            "#1d4e89;}body{display:none",
            "red",
            "#12345g",
            "",
        ] {
            assert_eq!(Rgb::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_colour_too_light_for_white_text_is_refused_with_a_reason() {
        let e = primary_colour("#ffdd00").unwrap_err().to_string();
        assert!(e.contains("too light"), "{e}");
        let e = primary_colour("url(x)").unwrap_err().to_string();
        assert!(e.contains("not a hex colour"), "{e}");
        assert_eq!(
            primary_colour("#1D4E89").expect("dark blue").css(),
            "#1d4e89"
        );
    }

    #[test]
    fn logos_are_typed_by_their_bytes() {
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff_image(b"<svg xmlns='x'/>"), Some("image/svg+xml"));
        assert_eq!(sniff_image(b"<html><script>"), None);
    }
}
