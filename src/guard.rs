//! What the edge refuses before a request is routed: a malformed request head, and admin
//! calls that do not come from the developer's own tools.
//!
//! The emulated API stays open to every page (frontends on another port need CORS). The
//! admin API can reset, read every token and body, and break the server on purpose, so it
//! is a same-origin tool: a page on another origin — another port of 127.0.0.1 included —
//! and a DNS-rebinding page (whose `Host` names the attacker's domain) are refused, while
//! clients that send no `Origin` (curl, test suites, Playwright's `request`) are served.

use crate::config::Config;
use crate::error::ApiError;
use hyper::header::{self, HeaderMap};
use hyper::http::request::Parts;
use hyper::{Method, Version};
use std::net::IpAddr;

/// The largest request head (request line and headers) served, in bytes; past it the
/// client gets a 431 and the connection is closed.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Checks the request head as RFC 9112 asks: an HTTP/1.1 request carries exactly one
/// `Host`, an HTTP/1.0 one at most one; and the head fits in [`MAX_HEAD_BYTES`].
pub fn check_head(parts: &Parts) -> Result<(), ApiError> {
    let hosts = parts.headers.get_all(header::HOST).iter().count();
    let missing = hosts == 0 && parts.version >= Version::HTTP_11;
    if missing || hosts > 1 {
        return Err(ApiError::BadHost {
            reason: if missing {
                "An HTTP/1.1 request needs a Host header."
            } else {
                "A request may carry only one Host header."
            },
        });
    }
    if head_size(parts) > MAX_HEAD_BYTES {
        return Err(ApiError::HeadTooLarge {
            limit: MAX_HEAD_BYTES,
        });
    }
    Ok(())
}

/// The size of the head as it came on the wire: `METHOD target HTTP/1.1\r\n`, then
/// `name: value\r\n` per header, then `\r\n`.
fn head_size(parts: &Parts) -> usize {
    let target = parts
        .uri
        .path_and_query()
        .map_or(parts.uri.path().len(), |pq| pq.as_str().len());
    let line = parts.method.as_str().len() + 1 + target + " HTTP/1.1\r\n".len();
    let headers: usize = parts
        .headers
        .iter()
        .map(|(name, value)| name.as_str().len() + 2 + value.len() + 2)
        .sum();
    line + headers + 2
}

/// How an admin call that passed the checks is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminCors {
    /// No CORS headers: same origin, or a client that sent no `Origin`.
    None,
    /// The `Origin` was allowed with `--admin-allow-origin`: echo it.
    Allowed,
}

/// Checks that an admin call comes from this server's own origin, or a client that sends
/// none, or an origin allowed with `--admin-allow-origin`; and that its `Host` names this
/// server (loopback, the bound address, or an `--allow-host` name), so that a DNS-rebinding
/// page is refused. `port` is the port the server listens on.
pub fn check_admin(parts: &Parts, config: &Config, port: u16) -> Result<AdminCors, ApiError> {
    let headers = &parts.headers;
    // The target's own authority when it has one (RFC 9112: then `Host` is ignored), else
    // the one `Host` (`check_head` ran first). Without either, nothing names this server.
    let host = match parts.uri.authority() {
        Some(authority) => authority.as_str(),
        None => text(headers, header::HOST).unwrap_or(""),
    };
    if !is_own_host(host, config, port) {
        return Err(ApiError::Forbidden {
            reason: format!(
                "The admin API answers only requests addressed to this server (Host \
                 'localhost:{port}', '127.0.0.1:{port}' or the bound address), not '{}': \
                 start convmock with --allow-host NAME to add a name.",
                crate::model::clip(host)
            ),
        });
    }
    // An Origin that is not text is still a page's: it is compared, and refused, as sent.
    let origin = headers
        .get(header::ORIGIN)
        .map(|v| String::from_utf8_lossy(v.as_bytes()));
    if let Some(origin) = origin.as_deref() {
        let allowed = config
            .admin_allow_origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(origin));
        if allowed {
            return Ok(AdminCors::Allowed);
        }
        if !is_same_origin(origin, host) {
            return Err(ApiError::Forbidden {
                reason: format!(
                    "The admin API is refused to pages on another origin ('{}'): it is for \
                     this server's own page and for clients that send no Origin; start \
                     convmock with --admin-allow-origin ORIGIN to allow one.",
                    crate::model::clip(origin)
                ),
            });
        }
    }
    // A browser marks every request it sends; `same-site` is another port or subdomain.
    let site = text(headers, "sec-fetch-site");
    if site
        .is_some_and(|s| !s.eq_ignore_ascii_case("same-origin") && !s.eq_ignore_ascii_case("none"))
    {
        return Err(ApiError::Forbidden {
            reason: "The admin API is refused to requests a page on another origin makes \
                     (Sec-Fetch-Site): it is for this server's own page and for clients \
                     that send no Origin; start convmock with --admin-allow-origin ORIGIN \
                     to allow one."
                .to_owned(),
        });
    }
    Ok(AdminCors::None)
}

/// Whether an admin call with this method must say its body is JSON: every write that
/// carries a body. A page can send `text/plain` without asking first; `application/json`
/// needs a CORS preflight, which other origins do not pass.
pub fn admin_body_must_be_json(method: &Method, body: &[u8]) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::DELETE) && !body.is_empty()
}

fn text<K: header::AsHeaderName>(headers: &HeaderMap, name: K) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `origin` is `http://` followed by exactly the `Host` the request was sent to.
fn is_same_origin(origin: &str, host: &str) -> bool {
    !host.is_empty()
        && origin
            .strip_prefix("http://")
            .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
}

/// Whether a `Host` value names this server: the right port, and a loopback name or
/// address, the bound address (any IP address when bound to all of them), or a name
/// allowed with `--allow-host`.
fn is_own_host(host: &str, config: &Config, port: u16) -> bool {
    let Some((name, sent_port)) = split_host(host) else {
        return false;
    };
    if sent_port.unwrap_or(80) != port {
        return false;
    }
    let name = name.to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        // Browsers resolve these to loopback themselves (RFC 6761): never rebound.
        return true;
    }
    if config
        .allow_hosts
        .iter()
        .chain(std::iter::once(&config.host))
        .any(|allowed| allowed.trim_matches(['[', ']']).eq_ignore_ascii_case(&name))
    {
        return true;
    }
    // An IP address cannot be rebound; any one of this machine's will do when the server
    // listens on all of them, loopback always.
    let bound_everywhere = config
        .host
        .trim_matches(['[', ']'])
        .parse::<IpAddr>()
        .is_ok_and(|ip| ip.is_unspecified());
    name.parse::<IpAddr>()
        .is_ok_and(|ip| ip.is_loopback() || bound_everywhere)
}

/// An `--allow-host` value: a host name or IP address as a `Host` header names it, without
/// a port (the server's own port is required anyway) or a wildcard.
pub fn host_name(value: &str) -> Result<String, String> {
    let name = value.trim_matches(['[', ']']);
    let fits = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
        && (name.parse::<IpAddr>().is_ok() || !name.contains(':'));
    if fits {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "'{value}' is not a host name: give a name or an IP address without a port or \
             wildcard, like devbox.test"
        ))
    }
}

/// An `--admin-allow-origin` value: an origin exactly as a browser sends it,
/// `scheme://host[:port]`, without a path, a trailing slash or a wildcard.
pub fn origin(value: &str) -> Result<String, String> {
    let fits = value.split_once("://").is_some_and(|(scheme, rest)| {
        matches!(scheme, "http" | "https")
            && split_host(rest).is_some()
            && !rest.contains(['/', '*', '?', '#', '@'])
    });
    if fits {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "'{value}' is not an origin: give it as a browser sends it, like \
             http://localhost:5173 (a scheme, a host, a port; no path or trailing slash)"
        ))
    }
}

/// `name` and the port of a `Host` value; IPv6 addresses come in brackets, which are
/// dropped. `None` for a malformed value.
fn split_host(host: &str) -> Option<(&str, Option<u16>)> {
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        let (name, after) = rest.split_once(']')?;
        match after {
            "" => (name, None),
            _ => (name, Some(after.strip_prefix(':')?)),
        }
    } else {
        match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        }
    };
    if name.is_empty() {
        return None;
    }
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok()?),
        None => None,
    };
    Some((name, port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::Request;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut req = Request::builder().method("POST").uri("/__admin/reset");
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        req.body(()).unwrap().into_parts().0
    }

    fn admin(headers: &[(&str, &str)], config: &Config) -> Result<AdminCors, ApiError> {
        check_admin(&parts(headers), config, 8080)
    }

    #[test]
    fn only_this_servers_own_origin_or_no_origin_reaches_the_admin_api() {
        let config = Config::default();
        let ok = |h: &[(&str, &str)]| assert_eq!(admin(h, &config), Ok(AdminCors::None), "{h:?}");
        let refused = |h: &[(&str, &str)]| assert!(admin(h, &config).is_err(), "{h:?}");
        ok(&[("Host", "127.0.0.1:8080")]);
        ok(&[
            ("Host", "localhost:8080"),
            ("Origin", "http://localhost:8080"),
        ]);
        ok(&[("Host", "[::1]:8080"), ("Sec-Fetch-Site", "same-origin")]);
        ok(&[("Host", "app.localhost:8080")]);
        // Another port of the same machine is another origin.
        refused(&[
            ("Host", "127.0.0.1:8080"),
            ("Origin", "http://127.0.0.1:5173"),
        ]);
        refused(&[
            ("Host", "localhost:8080"),
            ("Origin", "http://127.0.0.1:8080"),
        ]);
        refused(&[("Host", "127.0.0.1:8080"), ("Origin", "null")]);
        refused(&[("Host", "127.0.0.1:8080"), ("Sec-Fetch-Site", "same-site")]);
        refused(&[("Host", "127.0.0.1:8080"), ("Sec-Fetch-Site", "cross-site")]);
        // DNS rebinding: the page's own name, pointed at 127.0.0.1.
        refused(&[
            ("Host", "evil.test:8080"),
            ("Origin", "http://evil.test:8080"),
        ]);
        refused(&[("Host", "evil.test:8080")]);
        refused(&[("Host", "127.0.0.1:9999")]);
        refused(&[("Host", "127.0.0.1:x")]);
        refused(&[("Host", "192.168.1.2:8080")]);
        // Nothing names this server: no Host (HTTP/1.0), or an empty one.
        refused(&[]);
        refused(&[("Host", "")]);
        ok(&[("Host", "127.0.0.1:8080"), ("Sec-Fetch-Site", "NONE")]);
    }

    #[test]
    fn an_absolute_target_names_the_server_instead_of_host() {
        let config = Config::default();
        let target = |uri: &str| {
            let req = Request::builder()
                .method("POST")
                .uri(uri)
                .header("Host", "127.0.0.1:8080");
            check_admin(&req.body(()).unwrap().into_parts().0, &config, 8080)
        };
        assert!(target("http://evil.test:8080/__admin/reset").is_err());
        assert_eq!(
            target("http://127.0.0.1:8080/__admin/reset"),
            Ok(AdminCors::None)
        );
    }

    #[test]
    fn an_origin_that_is_not_text_is_refused() {
        let mut p = parts(&[("Host", "127.0.0.1:8080")]);
        p.headers.insert(
            header::ORIGIN,
            header::HeaderValue::from_bytes(b"http://\xff").unwrap(),
        );
        assert!(check_admin(&p, &Config::default(), 8080).is_err());
    }

    #[test]
    fn flags_widen_the_hosts_and_origins_the_admin_api_serves() {
        let config = Config {
            host: "0.0.0.0".into(),
            allow_hosts: vec!["devbox.test".into()],
            admin_allow_origins: vec!["http://127.0.0.1:5173".into()],
            ..Config::default()
        };
        assert_eq!(
            admin(&[("Host", "192.168.1.2:8080")], &config),
            Ok(AdminCors::None)
        );
        assert_eq!(
            admin(&[("Host", "devbox.test:8080")], &config),
            Ok(AdminCors::None)
        );
        assert_eq!(
            admin(
                &[
                    ("Host", "127.0.0.1:8080"),
                    ("Origin", "http://127.0.0.1:5173"),
                    ("Sec-Fetch-Site", "same-site")
                ],
                &config
            ),
            Ok(AdminCors::Allowed)
        );
        assert!(admin(&[("Host", "other.test:8080")], &config).is_err());
    }

    #[test]
    fn flag_values_must_be_names_and_origins_a_request_can_carry() {
        for good in ["devbox.test", "192.168.1.2", "[::1]", "my_host"] {
            assert!(host_name(good).is_ok(), "{good}");
        }
        for bad in ["", "*", "evil.test:8080", "a b", "*.test"] {
            assert!(host_name(bad).is_err(), "{bad}");
        }
        for good in [
            "http://localhost:5173",
            "https://app.test",
            "http://[::1]:3000",
        ] {
            assert!(origin(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "*",
            "localhost:5173",
            "http://localhost:5173/",
            "http://a.test/x",
            "ftp://a.test",
            "http://",
        ] {
            assert!(origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn host_values_split_into_name_and_port() {
        assert_eq!(split_host("a:1"), Some(("a", Some(1))));
        assert_eq!(split_host("[::1]:8080"), Some(("::1", Some(8080))));
        assert_eq!(split_host("[::1]"), Some(("::1", None)));
        assert_eq!(split_host("a"), Some(("a", None)));
        for bad in ["", ":80", "a:", "a:99999", "[::1", "[::1]x"] {
            assert_eq!(split_host(bad), None, "{bad}");
        }
    }

    #[test]
    fn heads_need_one_host_and_fit_the_limit() {
        let one = parts(&[("Host", "a")]);
        assert!(check_head(&one).is_ok());
        assert!(matches!(
            check_head(&parts(&[])),
            Err(ApiError::BadHost { .. })
        ));
        let mut two = parts(&[("Host", "a")]);
        two.headers
            .append(header::HOST, header::HeaderValue::from_static("b"));
        assert!(matches!(check_head(&two), Err(ApiError::BadHost { .. })));
        let mut big = parts(&[("Host", "a")]);
        let value = "x".repeat(40 * 1024);
        big.headers
            .insert("x-a", header::HeaderValue::from_str(&value).unwrap());
        assert!(check_head(&big).is_ok());
        big.headers
            .insert("x-b", header::HeaderValue::from_str(&value).unwrap());
        assert!(matches!(
            check_head(&big),
            Err(ApiError::HeadTooLarge { .. })
        ));
    }
}
