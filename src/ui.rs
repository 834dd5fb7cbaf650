//! The dashboard: one page under `/__admin/ui` that shows the journal, the data and the
//! admin controls, live, in a browser.
//!
//! The page is four files embedded in the binary (`src/ui/`): HTML, a script, a style
//! sheet and an icon, with no build step and nothing fetched from elsewhere. It is served to
//! anyone who passes the admin API's origin and host checks (`guard`), without the admin
//! token: it holds no data, and asks for the token before its first call. Everything it
//! shows it reads through the admin API and the emulated API, as any client would; the edge
//! (`http`) adds the headers below, which forbid the page any script, style or connection
//! but its own.

use crate::error::ApiError;
use crate::exchange::Method;

/// Where the page is served.
pub const PATH: &str = "/__admin/ui";

/// What the page may load and run: its own files only (no inline script or style), and it
/// may not be framed.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// One embedded file of the page.
#[derive(Debug)]
pub struct Asset {
    /// Its name under [`PATH`]; empty for the page itself.
    pub name: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
}

/// The page's files.
pub const ASSETS: [Asset; 4] = [
    Asset {
        name: "",
        content_type: "text/html; charset=utf-8",
        bytes: include_bytes!("ui/index.html"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("ui/app.js"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("ui/app.css"),
    },
    Asset {
        name: "icon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("ui/icon.svg"),
    },
];

/// How many bytes the page adds to the binary.
pub fn embedded_bytes() -> usize {
    ASSETS.iter().map(|a| a.bytes.len()).sum()
}

/// The file a request for `path` asks for: `None` when the path is not the page's; a 404 for
/// a name under [`PATH`] that is no file of it, a 405 for a method other than GET or HEAD.
pub fn serve(method: &Method, path: &str) -> Option<Result<&'static Asset, ApiError>> {
    let rest = path.strip_prefix(PATH)?;
    let name = match rest {
        "" => "",
        _ => rest.strip_prefix('/')?,
    };
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return Some(Err(ApiError::NoRoute {
            method: method.to_string(),
            path: path.to_owned(),
        }));
    };
    if !method.is_read() {
        return Some(Err(ApiError::MethodNotAllowed {
            method: method.to_string(),
            path: path.to_owned(),
            allow: "GET, HEAD",
        }));
    }
    Some(Ok(asset))
}

/// The page's address on a server at `url` (`http://127.0.0.1:8080`).
pub fn address(url: &str) -> String {
    format!("{url}{PATH}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(name: &str) -> &'static str {
        let asset = ASSETS.iter().find(|a| a.name == name).expect("a file");
        std::str::from_utf8(asset.bytes).expect("UTF-8")
    }

    /// An inline event handler attribute (` onclick=`), if the HTML has one.
    fn regex_lite_free_handler(html: &str) -> Option<&str> {
        html.match_indices(" on")
            .map(|(i, _)| &html[i + 1..])
            .find(|rest| {
                let name: String = rest.chars().take_while(char::is_ascii_lowercase).collect();
                name.len() > 2 && rest[name.len()..].starts_with('=')
            })
    }

    #[test]
    fn the_page_and_its_files_are_served_and_nothing_else() {
        for path in ["/__admin/ui", "/__admin/ui/", "/__admin/ui/app.js"] {
            assert!(matches!(serve(&Method::Get, path), Some(Ok(_))), "{path}");
        }
        assert!(serve(&Method::Get, "/__admin/uix").is_none());
        assert!(serve(&Method::Get, "/__admin/requests").is_none());
        assert!(matches!(
            serve(&Method::Get, "/__admin/ui/nope.js"),
            Some(Err(ApiError::NoRoute { .. }))
        ));
        assert!(matches!(
            serve(&Method::Post, "/__admin/ui"),
            Some(Err(ApiError::MethodNotAllowed { .. }))
        ));
    }

    #[test]
    fn the_page_loads_only_its_own_files_and_has_no_inline_script() {
        let page = text("");
        assert!(page.contains("src=\"/__admin/ui/app.js\""));
        assert!(page.contains("href=\"/__admin/ui/app.css\""));
        assert_eq!(page.matches("<script").count(), 1, "one script, by src");
        let handler = regex_lite_free_handler(page);
        assert!(
            !page.contains(" style=") && handler.is_none(),
            "{handler:?}"
        );
        for file in ASSETS.iter().map(|a| a.name) {
            // The SVG namespace is a name, not an address anything is fetched from.
            let body = text(file).replace("http://www.w3.org/2000/svg", "");
            assert!(
                !body.contains("https://") && !body.contains("http://"),
                "{file}"
            );
        }
    }
}
