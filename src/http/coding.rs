//! Content codings (gzip, deflate, br): decoded here, not by reqwest, so a page's bytes can be kept as served.

use std::io::Read;

/// A response's `Content-Encoding`, as far as we undo it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Deflate,
    Brotli,
}

/// Why a body could not be decoded.
#[derive(Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// More than the limit once decoded (a compression bomb, or just a huge page).
    TooLarge,
    /// Not valid data in its coding; the text says what is wrong.
    Invalid(String),
}

impl Coding {
    /// The coding a `Content-Encoding` value names. Unknown values (servers send `utf-8` and
    /// the like) are taken as identity, as reqwest did: the body is then parsed as it is.
    pub fn from_header(value: Option<&str>) -> Coding {
        match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            Some("gzip" | "x-gzip") => Coding::Gzip,
            Some("deflate") => Coding::Deflate,
            Some("br") => Coding::Brotli,
            _ => Coding::Identity,
        }
    }

    /// The name stored with a kept page (`None` for identity).
    pub fn name(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Deflate => Some("deflate"),
            Coding::Brotli => Some("br"),
        }
    }

    /// The coding of a stored name; `None` for an unknown one.
    pub fn from_name(name: &str) -> Option<Coding> {
        match name {
            "gzip" => Some(Coding::Gzip),
            "deflate" => Some(Coding::Deflate),
            "br" => Some(Coding::Brotli),
            _ => None,
        }
    }
}

/// Decodes `raw` into at most `limit` bytes. The limit bounds memory however small `raw` is.
pub fn decode(coding: Coding, raw: &[u8], limit: u64) -> Result<Vec<u8>, DecodeError> {
    use flate2::bufread::{DeflateDecoder, MultiGzDecoder, ZlibDecoder};
    // The bufread decoders read `raw` in place; the read ones would copy it through a buffer.
    match coding {
        Coding::Identity if raw.len() as u64 > limit => Err(DecodeError::TooLarge),
        Coding::Identity => Ok(raw.to_vec()),
        Coding::Gzip => read_capped(MultiGzDecoder::new(raw), limit, "gzip"),
        // "deflate" is zlib-wrapped by the standard; some servers send raw deflate instead.
        Coding::Deflate => {
            read_capped(ZlibDecoder::new(raw), limit, "deflate").or_else(|e| match e {
                DecodeError::Invalid(_) => read_capped(DeflateDecoder::new(raw), limit, "deflate"),
                too_large @ DecodeError::TooLarge => Err(too_large),
            })
        }
        Coding::Brotli => read_capped(
            brotli_decompressor::Decompressor::new(raw, 8192),
            limit,
            "brotli",
        ),
    }
}

fn read_capped(reader: impl Read, limit: u64, what: &str) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| DecodeError::Invalid(format!("invalid {what} data: {e}")))?;
    if out.len() as u64 > limit {
        return Err(DecodeError::TooLarge);
    }
    Ok(out)
}

/// Gzips `bytes` for keeping (level 2: on the 91 benchmark pages 22.3% of their size at
/// ~80 MB/s, where level 1, static Huffman codes in zlib-rs, keeps 27.7% at ~120 MB/s).
/// Only pages a server sent uncompressed need this.
pub fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(2));
    enc.write_all(bytes)?;
    enc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const PAGE: &[u8] = b"<html><body><p>The article text, in full.</p></body></html>";

    #[test]
    fn each_coding_round_trips() {
        let gz = gzip(PAGE).unwrap();
        assert_eq!(decode(Coding::Gzip, &gz, 1000).unwrap(), PAGE);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(PAGE).unwrap();
        assert_eq!(
            decode(Coding::Deflate, &z.finish().unwrap(), 1000).unwrap(),
            PAGE
        );
        let mut raw =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(PAGE).unwrap();
        let raw = raw.finish().unwrap();
        assert_eq!(
            decode(Coding::Deflate, &raw, 1000).unwrap(),
            PAGE,
            "raw deflate too"
        );
        assert_eq!(decode(Coding::Identity, PAGE, 1000).unwrap(), PAGE);
    }

    #[test]
    fn brotli_round_trips() {
        let mut br = Vec::new();
        let params = brotli::enc::BrotliEncoderParams::default();
        brotli::BrotliCompress(&mut &PAGE[..], &mut br, &params).unwrap();
        assert_eq!(decode(Coding::Brotli, &br, 1000).unwrap(), PAGE);
        assert_eq!(decode(Coding::Brotli, &br, 10), Err(DecodeError::TooLarge));
    }

    #[test]
    fn the_limit_counts_decoded_bytes() {
        let bomb = gzip(&vec![b' '; 1 << 20]).unwrap();
        assert!(bomb.len() < 10_000);
        assert_eq!(
            decode(Coding::Gzip, &bomb, 100_000),
            Err(DecodeError::TooLarge)
        );
        assert_eq!(decode(Coding::Gzip, &bomb, 1 << 20).unwrap().len(), 1 << 20);
        assert_eq!(
            decode(Coding::Identity, PAGE, 10),
            Err(DecodeError::TooLarge)
        );
    }

    #[test]
    fn garbage_is_invalid_not_a_panic() {
        for coding in [Coding::Gzip, Coding::Deflate, Coding::Brotli] {
            let out = decode(coding, b"this is not compressed at all", 1000);
            assert!(
                matches!(out, Err(DecodeError::Invalid(_))),
                "{coding:?}: {out:?}"
            );
        }
        let gz = gzip(PAGE).unwrap();
        let cut = decode(Coding::Gzip, &gz[..gz.len() / 2], 1000);
        assert!(matches!(cut, Err(DecodeError::Invalid(_))), "{cut:?}");
    }

    #[test]
    fn header_values() {
        assert_eq!(Coding::from_header(Some(" GZIP ")), Coding::Gzip);
        assert_eq!(Coding::from_header(Some("x-gzip")), Coding::Gzip);
        assert_eq!(Coding::from_header(Some("br")), Coding::Brotli);
        assert_eq!(Coding::from_header(Some("utf-8")), Coding::Identity);
        assert_eq!(Coding::from_header(None), Coding::Identity);
        for c in [Coding::Gzip, Coding::Deflate, Coding::Brotli] {
            assert_eq!(Coding::from_name(c.name().unwrap()), Some(c));
        }
    }
}
