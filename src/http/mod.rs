//! Downloads feeds and pages: timeouts, size cap, redirects followed by hand, private-address guard.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{self, HeaderMap};
use reqwest::{StatusCode, Url};
use tokio::sync::Semaphore;

use crate::clock::{Clock, SystemClock};
use crate::config::HttpConfig;
use crate::error::{Error, Result};
use crate::politeness::DeadHosts;
use crate::{netguard, redact};

pub mod coding;
mod headers;
pub use coding::Coding;
use headers::{fetched, retry_after};

/// Validators from an earlier response, sent back for a conditional GET.
#[derive(Debug, Default, Clone)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// One redirect hop that was followed.
#[derive(Debug, Clone, PartialEq)]
pub struct Hop {
    pub from: String,
    pub to: String,
    pub status: u16,
}

/// A finished download.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL that finally answered (after redirects).
    pub url: Url,
    /// Redirects followed, in order.
    pub redirects: Vec<Hop>,
    /// True on 304 Not Modified: `body` is empty and the old content still holds.
    pub not_modified: bool,
    pub validators: Validators,
    pub content_type: Option<String>,
    /// Seconds from Cache-Control max-age, when present.
    pub max_age: Option<u64>,
    /// The body, decoded from its content coding. Empty until [`Fetched::decode`] when it
    /// came compressed through [`HttpClient::get_undecoded`].
    pub body: Vec<u8>,
    /// The body as served, when it came compressed: kept pages store these bytes as they are.
    pub encoded: Option<Encoded>,
    /// Whether `body` holds the decoded body (false only while `encoded` awaits decoding).
    decoded: bool,
}

/// A compressed body as it came over the wire.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub coding: Coding,
    pub bytes: Vec<u8>,
}

/// The shared HTTP client for feeds and article pages.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    config: Arc<HttpConfig>,
    slots: Arc<Semaphore>,
    hosts: Arc<crate::politeness::Hosts>,
    /// Reads a Retry-After date as a delay: the poll's clock, so that the delay is counted
    /// on the clock the scheduler waits on.
    clock: Arc<dyn Clock>,
}

impl HttpClient {
    /// Builds a client from the `[http]` settings.
    pub fn new(config: &HttpConfig) -> Result<HttpClient> {
        let mut builder = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .connect_timeout(Duration::from_secs(config.connect_timeout_secs))
            .timeout(Duration::from_secs(config.timeout_secs))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy();
        if !config.allow_private_networks {
            builder = builder.dns_resolver(Arc::new(netguard::PublicOnlyResolver));
        }
        let client = builder.build().map_err(|e| Error::Network {
            url: String::new(),
            message: format!("cannot build HTTP client: {e}"),
            timeout: false,
            cause: Some(e),
        })?;
        Ok(HttpClient {
            client,
            config: Arc::new(config.clone()),
            slots: Arc::new(Semaphore::new(config.concurrency)),
            hosts: Arc::new(crate::politeness::Hosts::new(
                config.per_host_concurrency,
                Duration::from_millis(config.per_host_delay_ms),
            )),
            clock: Arc::new(SystemClock),
        })
    }

    /// Counts Retry-After dates from `clock`'s now rather than the system clock's.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> HttpClient {
        self.clock = clock;
        self
    }

    /// GETs `url`, following redirects and sending `validators` for a conditional request;
    /// the body comes decoded from its content coding.
    pub async fn get(&self, url: &str, validators: Option<&Validators>) -> Result<Fetched> {
        let mut fetched = self.get_undecoded(url, validators).await?;
        fetched.decode(self.config.max_body_bytes)?;
        Ok(fetched)
    }

    /// Like [`HttpClient::get`], but a compressed body is left in `encoded` for the caller
    /// to [`Fetched::decode`] where it likes. The cap on bytes received still applies.
    pub async fn get_undecoded(
        &self,
        url: &str,
        validators: Option<&Validators>,
    ) -> Result<Fetched> {
        self.download(url, validators, None).await
    }

    /// GETs an article page, its body left compressed as [`HttpClient::get_undecoded`] does
    /// (it is decoded on an extraction thread, not the loop that drives every download).
    /// A host `dead` says is down in this poll is not asked ([`Error::HostDown`]); each
    /// request's end is noted there.
    pub async fn get_page(&self, url: &str, dead: &DeadHosts) -> Result<Fetched> {
        self.download(url, None, Some(dead)).await
    }

    /// The GET behind the others. Requests wait for their host's turn first, then for a
    /// global slot, so a busy host never holds global slots that other hosts could use; each
    /// redirect hop waits again, for the host it goes to. A name that does not resolve, or
    /// resolves only to addresses the guard refuses, gives its turn back: no request reached
    /// the host.
    async fn download(
        &self,
        url: &str,
        validators: Option<&Validators>,
        dead: Option<&DeadHosts>,
    ) -> Result<Fetched> {
        let mut current = self.check_url(url)?;
        let shutting_down = || Error::Network {
            url: url.to_string(),
            message: "client is shutting down".into(),
            timeout: false,
            cause: None,
        };
        let mut redirects = Vec::new();
        loop {
            // Every hop waits for its own host's turn: a redirect to another site must not
            // skip that site's limits. The slots of the hop before are free by now (they
            // drop at the end of each turn), so two requests redirecting into each other's
            // host cannot hold one slot each and wait forever.
            let host = current.host_str().unwrap_or_default().to_string();
            skip_if_down(dead, url, &host)?;
            let turn = self.hosts.enter(&host).await.ok_or_else(shutting_down)?;
            // Checked again: the host may have gone down while this request waited its turn.
            if let Err(e) = skip_if_down(dead, url, &host) {
                turn.refund();
                return Err(e);
            }
            let _slot = self.slots.acquire().await.map_err(|_| shutting_down())?;
            let response = match self.send(&current, validators).await {
                Ok(response) => response,
                Err(e) => {
                    if let Some(dead) = dead {
                        dead.note(&host, e.is_connection_failure());
                    }
                    if e.reached_no_server() {
                        turn.refund();
                    }
                    return Err(e);
                }
            };
            if let Some(dead) = dead {
                dead.note(&host, false);
            }
            let status = response.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let next =
                    self.redirect_target(&current, status, response.headers(), redirects.len())?;
                redirects.push(Hop {
                    from: current.to_string(),
                    to: next.to_string(),
                    status: status.as_u16(),
                });
                current = next;
                continue;
            }
            if !redirects.is_empty() {
                let (from, to) = (redact::urls(url), redact::urls(current.as_str()));
                tracing::debug!("{from} redirected to {to} ({} hops)", redirects.len());
            }
            return self.finish(current, redirects, response).await;
        }
    }

    fn check_url(&self, url: &str) -> Result<Url> {
        let parsed = Url::parse(url).map_err(|e| Error::Refused {
            url: url.to_string(),
            reason: format!("invalid URL: {e}"),
        })?;
        netguard::check_url(&parsed, self.config.allow_private_networks)?;
        Ok(parsed)
    }

    async fn send(&self, url: &Url, validators: Option<&Validators>) -> Result<reqwest::Response> {
        let mut request = self
            .client
            .get(url.clone())
            .header(header::ACCEPT_ENCODING, "br, gzip, deflate");
        if let Some(v) = validators {
            if let Some(etag) = &v.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &v.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, lm);
            }
        }
        request
            .send()
            .await
            .map_err(|e| network_error(url.as_str(), e))
    }

    /// Where a redirect from `from` leads, after the same checks as the first URL (scheme,
    /// private address): each hop is checked, so a public page cannot bounce us inward.
    fn redirect_target(
        &self,
        from: &Url,
        status: StatusCode,
        headers: &HeaderMap,
        hops: usize,
    ) -> Result<Url> {
        if hops >= self.config.max_redirects {
            return Err(Error::Redirect {
                url: from.to_string(),
                message: format!("more than {} redirects", self.config.max_redirects),
            });
        }
        let location = headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Error::Redirect {
                url: from.to_string(),
                message: format!("HTTP {status} without a Location header"),
            })?;
        let next = from.join(location).map_err(|e| Error::Redirect {
            url: from.to_string(),
            message: format!("bad Location `{location}`: {e}"),
        })?;
        self.check_url(next.as_str())
    }

    async fn finish(
        &self,
        url: Url,
        redirects: Vec<Hop>,
        mut response: reqwest::Response,
    ) -> Result<Fetched> {
        let status = response.status();
        let headers = response.headers().clone();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(fetched(url, redirects, &headers, true, Vec::new()));
        }
        if !status.is_success() {
            return Err(Error::Status {
                url: url.to_string(),
                status: status.as_u16(),
                retry_after: retry_after(&headers, self.clock.now()),
            });
        }
        let limit = self.config.max_body_bytes;
        let too_large = || Error::TooLarge {
            url: url.to_string(),
            limit,
        };
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut raw = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| network_error(url.as_str(), e))?
        {
            if raw.len() as u64 + chunk.len() as u64 > limit {
                return Err(too_large());
            }
            raw.extend_from_slice(&chunk);
        }
        let encoding = headers
            .get(header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok());
        let mut done = fetched(url, redirects, &headers, false, Vec::new());
        match Coding::from_header(encoding) {
            Coding::Identity => done.body = raw,
            coding => {
                done.encoded = Some(Encoded { coding, bytes: raw });
                done.decoded = false;
            }
        }
        Ok(done)
    }

    /// The most body bytes a response may have, once decoded (`[http] max_body_bytes`).
    pub fn max_body_bytes(&self) -> u64 {
        self.config.max_body_bytes
    }
}

impl Fetched {
    /// A document that did not come over HTTP (a file's, a test's), as if `url` served it.
    pub fn from_body(url: Url, body: Vec<u8>) -> Fetched {
        Fetched {
            url,
            redirects: Vec::new(),
            not_modified: false,
            validators: Validators::default(),
            content_type: None,
            max_age: None,
            body,
            encoded: None,
            decoded: true,
        }
    }

    /// Decodes a compressed body into `body` (a no-op for an uncompressed one), refusing more
    /// than `limit` decoded bytes: a small gzip bomb stops at the limit. `encoded` stays, so
    /// the bytes as served can be kept.
    pub fn decode(&mut self, limit: u64) -> Result<()> {
        let Some(encoded) = self.encoded.as_ref().filter(|_| !self.decoded) else {
            return Ok(());
        };
        self.body = coding::decode(encoded.coding, &encoded.bytes, limit).map_err(|e| match e {
            coding::DecodeError::TooLarge => Error::TooLarge {
                url: self.url.to_string(),
                limit,
            },
            coding::DecodeError::Invalid(why) => Error::Network {
                url: self.url.to_string(),
                message: format!("cannot read the body: {why}"),
                timeout: false,
                cause: None,
            },
        })?;
        self.decoded = true;
        Ok(())
    }
}

/// [`Error::HostDown`] when `dead` says `host` is down in this poll.
fn skip_if_down(dead: Option<&DeadHosts>, url: &str, host: &str) -> Result<()> {
    match dead.and_then(|d| d.skip(host)) {
        Some(failures) => Err(Error::HostDown {
            url: url.to_string(),
            host: host.to_string(),
            failures,
        }),
        None => Ok(()),
    }
}

/// One readable line for a reqwest failure, with the guard's refusal surfaced as such; the
/// error itself is kept as the [`Error::Network`] cause.
fn network_error(url: &str, e: reqwest::Error) -> Error {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    let mut deepest = e.to_string();
    while let Some(err) = source {
        if let Some(refusal) = err.downcast_ref::<netguard::PrivateAddress>() {
            return Error::Refused {
                url: url.to_string(),
                reason: refusal.to_string(),
            };
        }
        deepest = err.to_string();
        source = err.source();
    }
    let timeout = e.is_timeout();
    let message = if timeout {
        "timed out".to_string()
    } else if e.is_connect() {
        format!("cannot connect: {deepest}")
    } else if e.is_body() || e.is_decode() {
        format!("cannot read the body: {deepest}")
    } else {
        deepest
    };
    Error::Network {
        url: url.to_string(),
        message,
        timeout,
        cause: Some(e),
    }
}

#[cfg(test)]
mod tests;
