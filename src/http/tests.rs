//! Tests of the HTTP client: redirects refused inward, bodies decoded once.

use super::*;

fn hop(client: &HttpClient, location: &str) -> Result<Url> {
    let from = Url::parse("https://feeds.example.com/a/feed").unwrap();
    let mut h = HeaderMap::new();
    h.insert(header::LOCATION, location.parse().unwrap());
    client.redirect_target(&from, StatusCode::FOUND, &h, 0)
}

#[test]
fn a_compressed_body_is_decoded_once_even_when_it_is_empty() {
    let url = Url::parse("http://127.0.0.1/p").unwrap();
    let mut page = headers::fetched(url, Vec::new(), &HeaderMap::new(), false, Vec::new());
    page.encoded = Some(Encoded {
        coding: Coding::Gzip,
        bytes: coding::gzip(b"").unwrap(),
    });
    page.decoded = false;
    page.decode(100).unwrap();
    assert!(page.body.is_empty());
    // Decoded (to nothing) already: a second call must not read `encoded` again.
    page.encoded.as_mut().unwrap().bytes = b"not gzip".to_vec();
    page.decode(100).unwrap();
}

#[test]
fn redirects_inward_or_to_other_schemes_are_refused() {
    let strict = HttpClient::new(&HttpConfig::default()).unwrap();
    let open = HttpClient::new(&HttpConfig {
        allow_private_networks: true,
        ..HttpConfig::default()
    })
    .unwrap();
    for inward in [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://2852039166/latest/meta-data/",
        "http://0xa9fea9fe/",
        "http://0251.0376.0251.0376/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://0.0.0.0:8080/",
        "http://0/",
        "http://[::]/",
        "http://[::1]/",
        "//127.0.0.1/admin",
        "http://127.1/",
        "http://10.0.0.1/",
        "http://[fe80::1]/",
    ] {
        let err = hop(&strict, inward).unwrap_err().to_string();
        assert!(err.contains("not a public address"), "{inward}: {err}");
        assert!(
            hop(&open, inward).is_ok(),
            "{inward} allowed when private networks are"
        );
    }
    for scheme in [
        "file:///etc/passwd",
        "ftp://feeds.example.com/x",
        "gopher://feeds.example.com/",
        "data:text/html,<script>x</script>",
        "javascript:alert(1)",
    ] {
        for client in [&strict, &open] {
            let err = hop(client, scheme).unwrap_err().to_string();
            assert!(err.contains("refused"), "{scheme}: {err}");
        }
    }
    assert_eq!(
        hop(&strict, "/b/feed").unwrap().as_str(),
        "https://feeds.example.com/b/feed"
    );
    let mut h = HeaderMap::new();
    h.insert(header::LOCATION, "/x".parse().unwrap());
    let from = Url::parse("https://feeds.example.com/").unwrap();
    let err = strict
        .redirect_target(&from, StatusCode::FOUND, &h, 10)
        .unwrap_err();
    assert!(err.to_string().contains("more than 10 redirects"), "{err}");
}
