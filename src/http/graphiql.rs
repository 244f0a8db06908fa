//! The GraphiQL playground, served whole by datakeep (contract section 10):
//! the page, its script and every vendored asset (pinned production builds
//! of React and GraphiQL, their styles and fonts) come from the binary, and
//! a Content-Security-Policy lets the page load nothing from anywhere else,
//! so it works on a machine without internet and cannot be changed by a
//! CDN. `scripts/vendor-graphiql` rebuilds `assets/graphiql/vendor/` from
//! the pinned npm packages.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::Embed;

/// Where the page's assets are served from (`init.js` and `vendor/`).
const ASSETS_PATH: &str = "/graphql/assets";

/// Only this origin: scripts and styles from the binary (GraphiQL sets
/// inline style attributes), fonts and icons as files or data URLs, and
/// requests to `/graphql` itself. No frames, forms or base changes.
const CONTENT_SECURITY_POLICY: HeaderValue = HeaderValue::from_static(
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     font-src 'self' data:; img-src 'self' data:; connect-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
);

/// The page, its script and the vendored packages, embedded at build time
/// in every profile, so tests serve exactly what a release serves.
#[derive(Embed)]
#[folder = "assets/graphiql/"]
#[include = "index.html"]
#[include = "init.js"]
#[include = "vendor/*"]
#[include = "vendor/**/*"]
struct Assets;

/// The playground's page, with its Content-Security-Policy.
pub fn page() -> Response {
    let Some(page) = Assets::get("index.html") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        page.data,
    )
        .into_response()
}

/// `GET /graphql/assets/…`: the page's script and the vendored files.
pub fn assets_router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route(&format!("{ASSETS_PATH}/{{*path}}"), get(asset))
}

async fn asset(Path(path): Path<String>) -> Response {
    let embedded = if path == "init.js" {
        Assets::get("init.js")
    } else {
        Assets::get(&format!("vendor/{path}"))
    };
    let Some(file) = embedded else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // The bundles hold non-ASCII text: say how it is encoded.
    let mimetype = file.metadata.mimetype();
    let content_type = if mimetype.starts_with("text/") {
        HeaderValue::from_str(&format!("{mimetype}; charset=utf-8"))
    } else {
        HeaderValue::from_str(mimetype)
    }
    .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        [
            (header::CONTENT_TYPE, content_type),
            // Names are not versioned: an hour bounds how long an upgrade
            // can leave a browser on the previous files.
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        file.data,
    )
        .into_response()
}
