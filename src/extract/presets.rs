//! Built-in platform profiles. Each names the selectors one CMS family uses, so a source
//! on that platform needs only `preset = "…"`; every field can still be overridden.
//!
//! Where a structure comes from is cited per preset (vietnamese-sources.md sections and
//! the public files it cites). Selectors marked "inferred" were not seen on a live page
//! and should be checked with `zonewire probe` when a source is added.

/// Related-news headings that end an article body on Vietnamese government sites
/// (vietnamese-sources.md §1 and §9 `body_stop_markers`).
pub(crate) const DEFAULT_STOP_AT: [&str; 4] = [
    "Tin tức khác",
    "Tin liên quan",
    "Các tin khác",
    "Tin cùng chuyên mục",
];

/// One platform profile. `None` means the platform has no such part (or we do not know
/// it); `link: None` means "the title element's href".
#[derive(Debug, Clone, Copy)]
pub(crate) struct Preset {
    pub name: &'static str,
    pub item: &'static str,
    pub title: &'static str,
    pub link: Option<&'static str>,
    pub date: Option<&'static str>,
    pub summary: Option<&'static str>,
    pub image: Option<&'static str>,
    pub body: Option<&'static str>,
    pub article_date: Option<&'static str>,
    /// Follow article pages by default (when the list gives no dates at all).
    pub follow: bool,
}

pub(crate) const PRESETS: &[Preset] = &[
    // hungyen.gov.vn, banqlkcn.hungyen.gov.vn and gialai.gov.vn share one vendor platform
    // (`chuyen-muc-<slug>-c<id>-<page>.html` lists). Selectors from the public crawler
    // thuydung203/Crawl_data crawl_hungyen.py and crawl_gialai.py (vietnamese-sources.md
    // §1 table): `div.item-new`, `a.article-title common-title`, `div.article-brief`,
    // `span.article-date`; article `.article-content` / `.new-detail-layout-type-2`, date
    // in `.post-date` as "date | N lượt xem" (the parser takes the first date).
    Preset {
        name: "vnportal",
        item: "div.item-new",
        title: "a.article-title",
        link: None,
        date: Some("span.article-date, .post-date"),
        summary: Some(".article-brief"),
        image: Some("img@src"),
        body: Some(".article-content, .new-detail-layout-type-2"),
        article_date: Some(".post-date, span.article-date"),
        follow: false,
    },
    // izabacninh.gov.vn (Bắc Ninh IZ board, Bắc Giang merged in): list markup
    // `div.newslist-bound-content` › `div.newslist-name a`, `div.newslist-time`,
    // `div.newslist-brief` (vietnamese-sources.md §2, [G-id: 12188840425]). The article
    // page classes are inferred from the list vocabulary.
    Preset {
        name: "bacninh-iza",
        item: "div.newslist-bound-content",
        title: "div.newslist-name a",
        link: None,
        date: Some("div.newslist-time"),
        summary: Some("div.newslist-brief"),
        image: Some("img@src"),
        body: Some("div.newsdetail-content, div.news-detail-content, div.newsdetail"),
        article_date: Some("div.newsdetail-time, div.newslist-time"),
        follow: false,
    },
    // NukeViet 4 default theme, news module: viewcat_page.tpl renders each item as
    // `.news_column .panel-body` with the title in `h2 a` (featured) or `h3 a`, the
    // publication time as the first `li` of `.text-muted`, then the hometext `<p>`;
    // detail.tpl has `#news_detail h1`, `span.time`, `#hometext`, `.bodytext`
    // (nukeviet/nukeviet themes/default/modules/news/*.tpl). NukeViet sites also publish
    // RSS (`/<lang>/news/rss/`, advertised in <head>): prefer `kind = "feed"` there.
    Preset {
        name: "nukeviet",
        item: ".news_column .panel-body",
        title: "h2 a, h3 a",
        link: None,
        date: Some(".text-muted li:first-child, span.time"),
        summary: Some(".panel-body > p:not(.text-right)"),
        image: Some("img.imghome@src, img@src"),
        body: Some("#news_detail .bodytext, .bodytext"),
        article_date: Some("#news_detail span.time, span.time"),
        follow: false,
    },
    // WordPress themes (twentyXX and most derivatives): `article`, `.entry-title a`,
    // `time.entry-date[datetime]`, `.entry-summary`, `.entry-content`. heza.gov.vn runs
    // WordPress (vietnamese-sources.md §2). WordPress sites should be configured as feeds
    // at `/feed/` (or `/category/<slug>/feed/`); `feed_links` proposes that URL for any
    // page with a WordPress fingerprint. This preset is for the rare site with feeds off.
    Preset {
        name: "wordpress",
        item: "article",
        title: ".entry-title a",
        link: None,
        date: Some("time.entry-date@datetime, time@datetime, time"),
        summary: Some(".entry-summary"),
        image: Some("img@src"),
        body: Some(".entry-content"),
        article_date: Some(
            "meta[property=\"article:published_time\"]@content, time.entry-date@datetime",
        ),
        follow: false,
    },
    // SharePoint, Tân Dân portal (dienbien.gov.vn `/portal/Pages/*.aspx`; the same
    // vocabulary on other Tân Dân installs): title `.tandan-p-article-news-title`, date
    // `span.tandan-span-date-publish`, summary `.tandan-p-article-news-summary`, body
    // `.tandan-p-article-main` / `.ms-rtestate-field` (crawl_dienbien.py,
    // vietnamese-sources.md §3). The list-item wrapper class is inferred from that
    // vocabulary; nghison.gov.vn's date line `Thứ Năm - 11/01/2018 08:31 SA` and its
    // timestamp page names are handled by `dates`.
    Preset {
        name: "sharepoint",
        item: ".tandan-div-article-item",
        title: ".tandan-p-article-news-title a, a.tandan-p-article-news-title",
        link: None,
        date: Some("span.tandan-span-date-publish"),
        summary: Some(".tandan-p-article-news-summary"),
        image: Some("img@src"),
        body: Some(".tandan-p-article-main, .ms-rtestate-field"),
        article_date: Some("span.tandan-span-date-publish"),
        follow: false,
    },
    // The shared ASP.NET portal of ninhbinh/cantho/caobang/sonla.gov.vn: lists in
    // `.UIListNews_Default .item`, article `ArticleHeader` / `PostDate` / `ArticleSummary` /
    // `ArticleContent` (crawl_ninhbinh.py, crawl_cantho.py; vietnamese-sources.md §3, §5).
    // The title inside a list item is inferred: the first link with text.
    Preset {
        name: "aspnet-portal",
        item: ".UIListNews_Default .item",
        title: ".ArticleHeader a, a.ArticleHeader, a.Title, h3 a, h2 a, a[href]",
        link: None,
        date: Some(".PostDate"),
        summary: Some(".ArticleSummary"),
        image: Some("img@src"),
        body: Some(".ArticleContent"),
        article_date: Some(".PostDate"),
        follow: false,
    },
    // bqlkktkcn.khanhhoa.gov.vn (Khánh Hòa EZ/IZ board, unknown CMS, §1): articles live at
    // `/article/<category>/<slug>.html`, so every such link is an item (image links have
    // no text and are skipped, repeats are merged). Lists show no reliable date, hence
    // `follow`: the article body opens with "Ngày dd/m/yyyy". Body container classes are
    // inferred; the "Tin tức khác" cut and the `h2.jpg (229 KB)` clean-up are generic.
    Preset {
        name: "khanhhoa-board",
        item: "a[href*=\"/article/\"]",
        title: ":scope",
        link: Some(":scope@href"),
        date: None,
        summary: None,
        image: None,
        body: Some(
            ".article-content, .news-content, .detail-content, .content-detail, #content-detail",
        ),
        article_date: Some(".article-date, .news-date"),
        follow: true,
    },
];

pub(crate) fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}
