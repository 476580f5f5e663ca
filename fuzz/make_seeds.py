#!/usr/bin/env python3
"""Write the hand-made seed inputs under seeds/<target>/ (all written for this repo, no
third-party content). Re-run after editing; the output is committed."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = {}


def seed(target, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    SEEDS.setdefault(target, []).append((name, data))


# feed_ingest: the first byte picks the Content-Type (see src/lib.rs CONTENT_TYPES).
seed("feed_ingest", "rss2_utf8", "0" + """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Ban Quản lý các KCN tỉnh Khánh Hòa</title><ttl>30</ttl>
<item><title>Khởi công nhà máy tại KCN Ninh Thủy</title>
<link>/tin-tuc/khoi-cong-nha-may-123.html?utm_source=rss</link>
<guid isPermaLink="false">kh-123</guid>
<pubDate>Mon, 04 May 2026 08:15:00 +0700</pubDate>
<description>&lt;p&gt;Sáng ngày 03/5/2026 &amp;amp; chiều&lt;script&gt;x()&lt;/script&gt;&lt;/p&gt;</description>
<category>Đầu tư</category></item>
<item><title></title><link>#</link><pubDate>Thứ Hai, 04/05/2026 - 08:15</pubDate></item>
</channel></rss>""")
seed("feed_ingest", "atom_html", "2" + """<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>KKT Vân Phong</title><id>urn:x</id>
<updated>2026-05-04T01:15:00Z</updated>
<entry><title type="html">Tin &amp;amp; sự kiện</title><id>tag:kkt,2026:1</id>
<link rel="alternate" href="https://kkt.example.gov.vn/a/1.html"/>
<updated>2026-05-04T08:15:00+07:00</updated><published>ngày 3 tháng 5 năm 2026</published>
<content type="html">&lt;img src="p.gif" width="1" height="1"&gt;&lt;a href="javascript:x"&gt;Nội dung&lt;/a&gt;</content>
<author><name>BQL</name></author></entry></feed>""")
seed("feed_ingest", "rss_windows1258", b"3" + b"""<?xml version="1.0" encoding="windows-1258"?>
<rss version="2.0"><channel><title>Ban Qua\xd2n l\xfd KCN</title>
<item><title>Tin t\xf4\xecc m\xf3i</title><link>http://bql.example.vn/a?id=9&amp;fbclid=z</link>
<pubDate>15/06/2020 16:03</pubDate></item></channel></rss>""")
seed("feed_ingest", "jsonfeed", "5" + """{"version":"https://jsonfeed.org/version/1.1","title":"KCN",
"items":[{"id":"1","url":"https://x.example.vn/tin/2020-6-10/a.html","title":"Hội nghị xúc tiến đầu tư",
"content_html":"<p>Nội dung</p><iframe src=\\"https://www.youtube.com/embed/abc\\"></iframe>",
"date_published":"2026-05-04T08:15:00+07:00","tags":["FDI"]},
{"id":"2","title":"Không có link","summary":"Cà Mau"}]}""")
seed("feed_ingest", "rss1_rdf", "1" + """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/"><channel rdf:about="x"><title>T</title></channel>
<item rdf:about="https://kcn.example.vn/a.html"><title>Bắc Ninh thu hút vốn</title>
<link>https://kcn.example.vn/a.html</link><dc:date>2026-05-04</dc:date></item></rdf:RDF>""")
seed("feed_ingest", "bom_html_type", "4" + "\ufeff" + """<rss version="2.0"><channel><item>
<title><![CDATA[KCN <b>Đình Vũ</b> &amp; cảng]]></title><link>//cang.example.vn/x</link>
<pubDate>2026-13-45</pubDate></item></channel></rss>""")

# html_extract: the first byte picks the rules: 0 vnportal, 1 bacninh-iza, 2 nukeviet,
# 3 wordpress, 4 sharepoint, 5 aspnet-portal, 6 khanhhoa-board, 7 custom.
seed("html_extract", "vnportal_list", "0" + """<!DOCTYPE html><html><head>
<link rel="alternate" type="application/rss+xml" href="/rss/tin-tuc.rss"></head><body>
<div class="item-new"><a class="article-title common-title" href="/tin-tuc/khoi-cong-1.html">Khởi công dự án…</a>
<span class="article-date">04/05/2026 08:15</span><div class="article-brief">Sáng nay…</div><img src="/a.jpg"></div>
<div class="item-new"><a class="article-title" href="tin-tuc/hoi-nghi-2.html" title="Hội nghị xúc tiến đầu tư năm 2026">Hội nghị…</a>
<span class="article-date">Thứ Hai, 03/5</span></div>
<div class="item-new"><a class="article-title" href="#">Không link</a></div>
<div class="article-content"><p>Ngày 03/5/2026, Ban quản lý…</p><p>Tin liên quan</p></div>
</body></html>""")
seed("html_extract", "bacninh_list", "1" + """<html><body>
<div class="newslist-bound-content"><div class="newslist-name"><a href="/Pages/tin.aspx?ItemID=12&amp;Source=%2fPages">KCN Quế Võ</a></div>
<div class="newslist-time">16:03 | 15/06/2020</div><div class="newslist-brief">Tóm tắt</div></div>
<div class="newsdetail-content">Nội dung <script>alert(1)</script></div></body></html>""")
seed("html_extract", "nukeviet_list", "2" + """<html><body><div class="news_column"><div class="panel-body">
<h3><a href="/vi/news/dau-tu/du-an-moi-45.html">Dự án mới</a></h3>
<ul class="text-muted"><li>ngày 10 tháng 08 năm 2016</li><li>Lượt xem: 5</li></ul>
<p>Hometext <img class="imghome" src="/uploads/a.jpg"></p><p class="text-right">x</p></div></div>
<div id="news_detail"><h1>Dự án mới</h1><span class="time">10/08/2016 07:00</span><div class="bodytext">Thân bài</div></div>
</body></html>""")
seed("html_extract", "wordpress_list", "3" + """<html><head><base href="https://heza.example.vn/">
<meta property="article:published_time" content="2026-05-04T08:15:00+07:00"></head><body>
<article><h2 class="entry-title"><a href="2026/05/04/tin-1/">Tin 1</a></h2>
<time class="entry-date" datetime="2026-05-04T08:15:00+07:00">4 Tháng Năm, 2026</time>
<div class="entry-summary">Tóm tắt</div></article><div class="entry-content">Nội dung</div></body></html>""")
seed("html_extract", "sharepoint_list", "4" + """<html><body><div class="tandan-div-article-item">
<p class="tandan-p-article-news-title"><a href="/portal/Pages/2018-01-11-tin.aspx">Tin SharePoint</a></p>
<span class="tandan-span-date-publish">Thứ Năm - 11/01/2018 08:31 SA</span>
<p class="tandan-p-article-news-summary">Tóm tắt</p></div>
<div class="ms-rtestate-field">Nội dung</div></body></html>""")
seed("html_extract", "aspnet_list", "5" + """<html><body><div class="UIListNews_Default"><div class="item">
<a class="Title" href="/tin-tuc/20180111083111.aspx">Tin ASP.NET</a><div class="PostDate">11/01/2018</div>
<div class="ArticleSummary">Tóm tắt</div></div></div><div class="ArticleContent">Nội dung</div></body></html>""")
seed("html_extract", "khanhhoa_list", "6" + """<html><body>
<a href="/article/tin-tuc/khu-kinh-te-van-phong.html">Khu kinh tế Vân Phong</a>
<a href="/article/tin-tuc/khu-kinh-te-van-phong.html"><img src="h2.jpg"></a>
<a href="https://other.example.vn/article/x/y.html">Ngoài trang</a>
<div class="news-content"><p>Ngày 4/5/2026 Ban Quản lý…</p><p>h2.jpg (229 KB)</p><p>Tin tức khác</p><p>cũ</p></div>
</body></html>""")
seed("html_extract", "custom_rules", "7" + """<html><body><ul>
<li class="news-item" data-date="2026-05-04"><h3><a class="title" href="/a/1" title="Tiêu đề đầy đủ">Tiêu đề…</a></h3>
<p class="sapo">Sapo</p><img data-src="/lazy.jpg" src="data:image/gif;base64,R0lGOD"></li>
<li class="news-item"><a href="javascript:void(0)">JS</a><a href="/a/2">Hai</a><span class="date">Cập nhật: 12/3</span></li>
</ul><article><div class="content">Bài <b>viết</b><p>Tin khác</p></div></article></body></html>""")
seed("html_extract", "no_items", "0<html><body><p>Trang trống</p><table><tr><td><a href='/x'>x</a></td><td><a href='/y'>y</a></td></tr><tr><td><a href='/z'>z</a></td><td><a href='/w'>w</a></td></tr></table></body></html>")

# dates: the whole input is one date text (or a URL for date_from_url).
for name, text in [
    ("dmy", "04/05/2026"),
    ("weekday_time", "Thứ Hai, 04/05/2026 - 08:15"),
    ("time_first", "16:03 | 15/06/2020"),
    ("formal", "ngày 10 tháng 08 năm 2016"),
    ("iso", "2025-09-06T07:30:00+07:00"),
    ("rfc2822", "Mon, 04 May 2026 08:15:00 GMT"),
    ("no_year", "Cập nhật: 12/3"),
    ("url_ymd", "https://x.example.vn/tin/2020-6-10/abc.html"),
    ("url_stamp", "/portal/Pages/20180111083111.aspx"),
    ("url_hanoi", "https://hn.example.vn/tin-4250410182811455.htm"),
    ("english", "4 May 2026 14h30"),
    ("dots_sa", "06.9.2025 08:31 SA"),
    ("nfd", "nga\u0300y 3 tha\u0301ng 5 na\u0306m 2026"),
    ("not_a_date", "Nghị quyết 202/2025/QH15 và 192.168.1.1"),
]:
    seed("dates", name, text)

# urlnorm: a first line that parses as a URL is also used as the base of the rest.
for name, text in [
    ("tracking", "https://Example.GOV.vn:443/tin-tuc/../a/./b?utm_source=fb&id=3&fbclid=x#top"),
    ("protocol_relative", "//kcn.example.gov.vn/x/y.html"),
    ("escapes", "http://h.example.vn/vi/tin-%c4%91%E1%BA%A7u-t%75/a%2fb?q=%3d&x=%7e"),
    ("nfd_path", "https://h.example.vn/ca\u0300-mau/đầu tư.html"),
    ("hashbang", "#!/news/1"),
    ("credentials", "https://user:pass@h.example.vn./a"),
    ("base_line", "https://base.example.vn/dir/page.aspx?id=1\n../x?b=2&a=1"),
    ("entity_amp", "tin-tuc/chi-tiet.aspx?ItemID=12&amp;Source=x"),
    ("idn", "http://bắcninh.example.vn/Trang Chủ"),
    ("ipv6", "http://[::1]:8080/a?"),
    ("fragment_only", "#top"),
]:
    seed("urlnorm", name, text)

# text: fold/normalize_text/sanitize_html all read the same input.
for name, text in [
    ("fold", "Khánh Hoà &amp; KHÁNH HÒA, TP.HCM, BR-VT, Đồng Nai"),
    ("script", "<p onclick=x>hi<script>alert(1)</script><img src=/a.png width=1 height=1></p>"),
    ("invisible", "Kho\u200bng gian\u00ad xanh\ufeff \u0301a"),
    ("double_escape", "&amp;lt;b&amp;gt; &nbsp;&#273;&#x1EC7; &unknown; &amp"),
    ("iframe", "<iframe src='https://www.youtube.com/embed/x'></iframe><iframe src='https://evil.example/'></iframe>"),
    ("mojibake", "Khu cÃ´ng nghiá»‡p"),
    ("svg", "<a href='javascript:alert(1)'>x</a><svg><script>y</script></svg><style>p{}</style><form><input></form>"),
    ("relative", "<a href='../tin/a.html'>a</a><img src='data:image/png;base64,AAAA'><img src='data:text/html,x'>"),
    ("special_case", "İSTANBUL ǅ ẞ ﬁ Ð ð"),
    ("lazy", "<img alt='a > b src=c' src=/blank.gif data-src=\"/real.jpg\"><IMG/DATA-ORIGINAL=/a\"b.jpg data-lazy-src='' data-src=x>"),
]:
    seed("text", name, text)

for target, items in SEEDS.items():
    d = os.path.join(HERE, "seeds", target)
    os.makedirs(d, exist_ok=True)
    for name, data in items:
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
print({t: len(v) for t, v in SEEDS.items()})
