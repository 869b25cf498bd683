//! Reads files that are meant to be small (config, rule files, OPML) with a size cap.

use std::io::Read;
use std::path::Path;

/// Most bytes a config or rule file may have: far above any real one, and `--config
/// /dev/zero` (or a log file given by mistake) stops there instead of filling memory.
pub const CONFIG_LIMIT: u64 = 1 << 20;

/// Most bytes an OPML file may have: an export of thousands of feeds stays far below it.
pub const OPML_LIMIT: u64 = 16 << 20;

/// The bytes of `path`, or an error of kind [`std::io::ErrorKind::FileTooLarge`] (reading
/// "larger than 1 MiB") once it has more than `limit`. Never reads more than `limit + 1`
/// bytes, so devices and endless pipes end too.
pub fn read(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("larger than {}", size(limit)),
        ));
    }
    Ok(bytes)
}

/// Like [`read`], for a file that must be UTF-8 text.
pub fn read_to_string(path: &Path, limit: u64) -> std::io::Result<String> {
    String::from_utf8(read(path, limit)?).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

/// What a config-like file's read error says after `config FILE: `: the cap by itself,
/// anything else as `cannot read: ...`.
pub fn describe(e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::FileTooLarge {
        e.to_string()
    } else {
        format!("cannot read: {e}")
    }
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_up_to_the_cap_and_refuses_more() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![b'a'; 100]).unwrap();
        assert_eq!(read(&path, 100).unwrap().len(), 100);
        let e = read(&path, 99).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::FileTooLarge);
        assert_eq!(describe(&e), "larger than 99 bytes");
        #[cfg(unix)]
        {
            let e = read(Path::new("/dev/zero"), CONFIG_LIMIT).unwrap_err();
            assert_eq!(describe(&e), "larger than 1 MiB");
        }
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        assert!(read_to_string(&path, 100).is_err());
    }
}
