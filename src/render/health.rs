//! The source health page (`GET /sources`).

use std::fmt::Write as _;

use chrono::{DateTime, TimeZone};

use super::html::{head, heading, vn_datetime};
use super::{FeedMeta, esc_attr, esc_text, province_name, safe_href};
use crate::model::{SourceInfo, SourceState};

fn opt_time<Tz: TimeZone>(t: &Option<DateTime<Tz>>) -> String {
    t.as_ref()
        .map(vn_datetime)
        .unwrap_or_else(|| "—".to_string())
}

/// Vietnamese label of a poll status.
fn status_label(status: Option<&str>) -> &str {
    match status {
        None => "chưa quét",
        Some("new") => "có tin mới",
        Some("updated") => "có tin cập nhật",
        Some("unchanged") => "không đổi",
        Some("not-modified") => "không đổi (304)",
        Some("error") => "lỗi",
        Some(other) => other,
    }
}

pub(super) fn sources_page(meta: &FeedMeta, rows: &[(SourceInfo, SourceState)]) -> String {
    let base = &meta.base_url;
    let mut out = String::with_capacity(4096 + rows.len() * 768);
    head(&mut out, "Nguồn tin và tình trạng", &[]);
    out.push_str("<header>\n<h1>Nguồn tin và tình trạng</h1>\n");
    let _ = writeln!(
        out,
        "<p><a href=\"{}\">← {}</a> · <a href=\"{}\">OPML</a> · <a href=\"{}\">JSON</a></p>",
        esc_attr(&format!("{base}/")),
        esc_text(heading(meta)),
        esc_attr(&format!("{base}/opml")),
        esc_attr(&format!("{base}/sources.json"))
    );
    out.push_str("</header>\n<main>\n<div class=\"table-wrap\"><table>\n<thead><tr>");
    for h in [
        "Mã",
        "Tên",
        "Tỉnh/thành",
        "Loại",
        "URL",
        "Lần thử cuối",
        "Thành công cuối",
        "Trạng thái",
        "Lỗi cuối",
        "Lỗi liên tiếp",
        "Số tin",
        "Lần quét tới",
    ] {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc_text(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (info, state) in rows {
        let failing =
            state.consecutive_failures > 0 || state.last_status.as_deref() == Some("error");
        out.push_str(if failing {
            "<tr class=\"error\">"
        } else {
            "<tr>"
        });
        let province = info
            .province
            .as_deref()
            .map(|p| province_name(meta, p))
            .unwrap_or("—");
        let url = state.effective_url.as_deref().unwrap_or(&info.url);
        let cells = [
            esc_text(&info.id),
            esc_text(&info.name),
            esc_text(province),
            esc_text(&info.kind),
            format!(
                "<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
                esc_attr(safe_href(url)),
                esc_text(url)
            ),
            esc_text(&opt_time(&state.last_attempt)),
            esc_text(&opt_time(&state.last_success)),
            esc_text(status_label(state.last_status.as_deref())),
            esc_text(state.last_error.as_deref().unwrap_or("")),
            state.consecutive_failures.to_string(),
            state.items_seen.to_string(),
            esc_text(&opt_time(&state.next_poll)),
        ];
        for cell in cells {
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n</main>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::super::testdata::*;
    use super::*;

    #[test]
    fn sources_page_lists_health_escaped() {
        let meta = meta();
        let info = SourceInfo {
            id: "kh".into(),
            name: "BQL <KKT> Vân Phong".into(),
            url: "https://kkt.khanhhoa.gov.vn/rss?a=1&b=2".into(),
            province: Some("khanh-hoa".into()),
            kind: "feed".into(),
        };
        let state = SourceState {
            last_attempt: Some(utc(2025, 9, 6, 1, 30)),
            last_status: Some("error".into()),
            last_error: Some("HTTP 503 <Service Unavailable>".into()),
            consecutive_failures: 3,
            items_seen: 42,
            ..SourceState::default()
        };
        let html = sources_page(&meta, &[(info, state)]);
        assert!(html.contains("<th scope=\"col\">Lần thử cuối</th>"));
        assert!(html.contains("BQL &lt;KKT&gt; Vân Phong"));
        assert!(html.contains("href=\"https://kkt.khanhhoa.gov.vn/rss?a=1&amp;b=2\""));
        assert!(html.contains("<td>06/09/2025 08:30</td>"));
        assert!(html.contains("HTTP 503 &lt;Service Unavailable&gt;"));
        assert!(html.contains("<tr class=\"error\">"));
        assert!(html.contains("<td>Khánh Hòa</td>"));
        assert!(html.contains("<td>42</td>"));
        assert!(!html.contains("<KKT>"));
    }
}
