//! The one ammonia configuration every republished HTML fragment passes through.
//!
//! STUB — to be completed (text helper). Signature is the contract.

/// Sanitise an HTML fragment from the network for republishing: no scripts, styles,
/// handlers, forms, `javascript:`/`vbscript:`/non-image `data:` URLs; iframes only from
/// an allowlist (YouTube, Vimeo) with `sandbox`; relative URLs rewritten against `base`;
/// 1×1 tracking pixels dropped; links get `rel="noopener noreferrer"`.
pub fn sanitize_html(html: &str, _base: Option<&url::Url>) -> String {
    ammonia::clean(html)
}
