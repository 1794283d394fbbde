"""trafilatura's XML body -> the archive's Markdown body: the seed golden page, every element type,
the escaping rules, and image URLs made absolute."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import trafilatura
import trafilatura.utils
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from trafilatura.utils import load_html

from pipeline.engine_metadata import EngineMetadata
from pipeline.images import find_images, place_images
from pipeline.markdown import TRAFILATURA_OPTIONS, body_markdown

PAGES = Path(__file__).parent / "fixtures" / "pages"
SHARED_SEED = Path(__file__).parents[2] / "shared" / "seed-example.md"
SEED_URL = "https://new.qq.com/rain/a/20250207A05OGB00"
SEED_TITLE = "上游观察·科技｜人工智能真正的竞争，现在才刚刚开始"
SEED_IMAGE = "![图片](https://inews.gtimg.com/om_bt/OrkyLcNa7gjtuWvSKU1heH356uG-DrAuJG9I46r_iyfVoAA/641)"
# The body of seed-example.md: between the front matter and the closing "[qq](...)" line.
SEED_BODY = """\
春节至今，DeepSeek热度持续攀升。2月6日最新消息，DeepSeek-R1、V3、Coder等系列模型已登陆国家超算网互联网平台。用户无需下载到本地部署，即可在线完成DeepSeek系列模型的推理、部署及定制化训练与开发。

当天，对外公开的DeepSeek日活跃用户数更是再次引发关注：短短上线20天，DeepSeek日活跃用户数成功突破2000万。这意味着，DeepSeek在上线5天日活用户超越ChatGPT上线同期数据之后，短短数十天成长为全球增速最快的AI应用。

此外，百度智能云、华为云、腾讯云、阿里云、火山引擎、中国电信天翼云、中国移动移动云、中国联通联通云等云服务提供商相继宣布接入DeepSeek模型，海光信息、摩尔线程等国产芯片厂商也在两天前陆续表态支持DeepSeek模型。

从底层芯片到云服务商，DeepSeek的“朋友圈”不断扩大，激烈的AI大模型竞争似乎在一夜之间从“百模大战”进入“生态协作”新阶段。

![图片](https://inews.gtimg.com/om_bt/OrkyLcNa7gjtuWvSKU1heH356uG-DrAuJG9I46r_iyfVoAA/641)

DeepSeek热度持续攀升 图据视觉中国

**新常态**

高效的成本控制、卓越的性能表现和持续的技术创新能力，是DeepSeek改写竞争格局的三个关键要素，也是中国科技创新能力的集中缩影。

上海金融与法律研究院研究员刘远举认为，“DeepSeek的出现，不是一种从无到有的创新，而是一种从1到100的创新”。他谈道，中国是一个有着超大市场规模的国家，拥有完整的产业链和庞大规模的工程师群体，具备快速规模化生产和市场应用的能力，“应用层反超已经成为中国创新的常态”。

西南大学新闻传媒学院讲师刘念也表达了相近观点，“Deepseek以更低的成本、更高性价比实现了真正的技术普及或者是普惠；同时，其开源路径为全球研究者提供参与和学习的机会，能进一步促进模型的优化和迭代。这不仅推动了中国AI产业的进步，也在推动全球AI技术的进步。”她谈道，Deepseek发展带来的启示，就是要坚持这样的“中国特色”，保持技术为人民服务的宗旨，坚持“开放、共享”的精神。“不可否认的是，Deepseek已经全面呈现了我国自主创新的实力。”

在这种“新常态”带来的改变和影响前所未有。重庆工商大学经济学院系主任李然在接受上游新闻记者采访时用了三个“有助于”进行概括：首先，DeepSeek的技术创新有助于技术突破与自主可控。作为国内领先的大模型，DeepSeek的突破标志着中国在AI底层技术上逐步摆脱对西方开源框架的依赖，为国产AI生态注入自主可控的关键能力；第二，有助于生态构建与产业升级。随着百度智能云、华为云、阿里云等云服务巨头以及国产芯片厂商的接入，DeepSeek生态将得到快速发展，从而推动金融、教育、医疗等垂直领域的智能化改造；第三，有助于国际竞争力提升。DeepSeek以更低的成本和更小的算力规模实现了与全球顶尖AI模型相当的效果，有助于中国企业人工智能产品在海外市场的拓展。“从长期来看，这将影响全球AI竞争格局，提升中国在国际科技领域的话语权和影响力。”李然主任说。

**新机遇**

DeepSeek引发的“杠杆效应”，推动科技创新从“单点突破”转向“系统繁荣”。

具体来讲，通过技术开源降低门槛、算力基建赋能产业、跨学科融合拓展边界、数据要素激活价值、全球化协作分散风险等多个方面的协同改变，正在将科技创新的机会从少数头部企业扩散到全产业链。

李然主任认为，对于人工智能相关产业，DeepSeek在促进技术合作与资源共享、降低成本与提高效率、拓展市场与国际化发展与加快人才培养与技术创新等方面，都将带来诸多全新的发展机遇。

当前，重庆正在积极推动以场景驱动人工智能产业发展战略。自2023年《重庆市以场景驱动人工智能产业高质量发展行动计划》发布以来，智能网联汽车与自动驾驶、智能制造与工业互联网、智慧城市与城市治理等人工智能相关产业发展势头良好，成效显著。

重庆软江图灵人工智能科技有限公司CEO陈强在接受上游新闻记者采访时谈道，随着DeepSeek与国产芯片的适配逐步成熟，也为重庆芯片研发企业提供了更多机会，“重庆可以利用半导体产业良好的发展基础和成熟优势，加快AI芯片的研发和生产，推动国产芯片在AI领域的应用。”

陈强还谈道，随着AI应用加速普及，数据中心的建设需求将显著提升，“重庆可以利用地理和政策优势，发展云计算和数据中心产业，为AI技术的落地提供基础设施支持。”同时，结合重庆制造业、医疗、金融等领域优势，推动AI与传统产业的深度融合。陈强举例介绍，软江图灵人工智能的蛋白质网络结构算法，专注于各种行业深度研究。“结合DeepSeek的强大推理能力和开源模式，将在生物医学研究、生物医学以及材料科学领域的专用AI模型创新和跨学科合作方面进行技术突破。”

陈强说，DeepSeek的开源和低价策略不仅推动了全球AI技术的普及，还将改变全球AI市场的格局，“这种模式为发展中国家提供了更多机会，将促进全球AI技术均衡发展。对于中国科技企业创新而言，算法创新、算力优化以及应用场景拓展都面临新的发展机遇。”

**新挑战**

DeepSeek的持续火爆，同时也成为各类社交媒体上的焦点话题。

西南大学新闻传媒学院讲师刘念告诉记者，“作为个人用户，我觉得DeepSeek还有一个很接地气的特点，就是人机感少、人味比较足，很多社交平台也比较流行用DeepSeek锐评某一事物，非常精彩。这说明这项技术已经不仅能带来经济效应，还能带来情绪价值或者情感满足。所以对于个人用户而言，未来可能还会应用到比如影视创作领域或者社交领域。”

和刘念的感触一致，记者身边多位受访者表示，AI为普通人的生活带来的改变令人目不暇给，学AI、用AI，已经成为每个人当下面临的重要课题。

那么对于整个科技行业创新来说，DeepSeek带来了哪些新的问题更需要关注和解决？

清华大学博士、浙江大学金融学系校外导师崔伟在《数字社会发展与研究》公众号发表的一篇文章颇具代表性。他指出，DeepSeek能在短时间内引发全球关注，主要得益于三大突出优势：更开放、更高效、更普惠。

文中谈道，“实践证明，在人工智能发展的三驾马车‘算力、算法和数据’中，算法因为开源模式的推进而逐步大众化，而算力本身并不是护城河，最终起到决定性意义的，可能是‘数据’。目前，关于DeepSeek训练数据来源的争议，恰恰反映了数据本身存在着壁垒。对于企业更是如此，自己的数据，才是自身的价值所在，这是我国推进数据要素产业的背景之一。”

崔伟在文中特别谈道，“要实现超越式的创新和绝对领先，可能还需要在核心算法、硬件体系等方面取得理论上的进一步创新。”他还提到，“大模型的真正价值，关键还是在应用。目前在各种媒体上看到的DeepSeek应用，还是以日常效率提升为主，没有摆脱过去两年中人工智能应用的总体范式，而真正要在企业界、科研领域得到深入的应用，目前还存在着专业数据不足、应用能力有限等等限制。中国的AI应用型企业，特别是中小型企业，虽然有了DeepSeek这样的廉价模型，但是目前依然面临着‘融资寒冬’，投入有限。”另外，“开源虽然为技术创新提供了便利条件，但也带来了合规和安全等方面的挑战。”

崔伟认为，人工智能真正的竞争，现在才刚刚开始。

上游新闻记者 杨昕华"""  # noqa: E501


def extract(html: str, url: str) -> trafilatura.settings.Document:
    """trafilatura as the pipeline runs it: images noted before, put back next to their text after."""
    tree = load_html(html)
    images = find_images(tree, url)
    doc = trafilatura.bare_extraction(tree, url=url, **TRAFILATURA_OPTIONS)
    assert doc is not None
    place_images(doc.body, images)
    return doc


def seed_markdown() -> str:
    doc = extract((PAGES / "seed_qq.html").read_text(encoding="utf-8"), SEED_URL)
    return body_markdown(doc.body, title=SEED_TITLE)


def md(xml: str, title: str | None = None) -> str:
    """body_markdown of a hand-written trafilatura XML body."""
    return body_markdown(etree.fromstring(f"<body>{xml}</body>"), title=title)


# ---------------------------------------------------------------- the seed golden page


def test_embedded_seed_body_is_the_shared_seed():
    if not SHARED_SEED.exists():
        pytest.skip(f"{SHARED_SEED} is not there")
    text = SHARED_SEED.read_text(encoding="utf-8").split("---\n", 2)[2]
    body, link = text.rstrip("\n").rsplit("\n", 1)
    assert link == f"[qq]({SEED_URL})"
    assert body.strip() == SEED_BODY


def test_seed_golden_body():
    assert seed_markdown() == SEED_BODY


def test_bare_trafilatura_drops_the_extensionless_image():
    """Why pipeline.images exists: trafilatura keeps <img> only with an image file extension."""
    html = (PAGES / "seed_qq.html").read_text(encoding="utf-8")
    doc = trafilatura.bare_extraction(html, url=SEED_URL, **TRAFILATURA_OPTIONS)
    assert SEED_IMAGE not in body_markdown(doc.body, title=SEED_TITLE)
    assert SEED_IMAGE in seed_markdown()


def test_seed_page_carries_no_clutter_into_the_body():
    body = seed_markdown()
    page = (PAGES / "seed_qq.html").read_text(encoding="utf-8")
    clutter = [
        "要闻", "搜索", "腾讯新闻", "正文", "+ 关注", "发布于重庆", "2025-02-07 15:51",  # navigation, byline
        "免责声明", "分享到", "QQ空间", "复制链接",  # statement, share bar
        "相关阅读", "DeepSeek日活突破2000万", "国产芯片厂商宣布适配",  # related articles
        "网友评论", "国产AI终于扬眉吐气了", "推理过程看得清清楚楚", "查看更多评论", "山城老王",  # comments
        "24小时热文", "哪吒", "Copyright", "版权所有", "隐私政策", "粤网文",  # sidebar, footer
    ]  # fmt: skip
    for text in clutter:
        assert text in page
        assert text not in body, text
    assert SEED_TITLE not in body  # the title lives in the front matter


def engine_metadata(html: str, url: str) -> EngineMetadata:
    return EngineMetadata(load_html(html), url, {"original_date": True, "extensive_search": True})


def test_seed_page_metadata():
    """What trafilatura reads of the seed page's metadata (the pipeline's last resort for each field)."""
    doc = engine_metadata((PAGES / "seed_qq.html").read_text(encoding="utf-8"), SEED_URL)
    assert doc.title == SEED_TITLE  # og:title, without the "_腾讯新闻" of <title>
    assert doc.sitename == "腾讯新闻"
    assert doc.date == "2025-02-07"
    assert (
        doc.image == "https://inews.gtimg.com/om_ls/OLmIKsuAVHyWX_GQG4OOCFs0qK6nkv3FYcNy1IhY_nNvAAA_640360/0"
    )
    assert doc.url == SEED_URL


# ---------------------------------------------------------------- blocks and inline elements


def test_paragraphs_are_separated_by_exactly_one_blank_line():
    assert md("<p>One.</p><p> </p><p>Two.</p>\n\n<p>Three.</p>") == "One.\n\nTwo.\n\nThree."


def test_whitespace_is_collapsed_but_cjk_is_not_spaced():
    assert md("<p>  A  line\n   wrapped\tin the\u00a0source.  </p>") == "A line wrapped in the source."
    assert (
        md("<p>\u3000\u3000第一行\n  第二行，\n<hi rend='#b'>粗体</hi>\n字。</p>")
        == "第一行第二行，**粗体**字。"
    )
    assert md("<p>DeepSeek热度持续攀升 图据视觉中国</p>") == "DeepSeek热度持续攀升 图据视觉中国"
    assert md("<p>使用\nDeepSeek\n模型</p>") == "使用 DeepSeek 模型"


def test_headings():
    xml = "<head rend='h2'>Two</head><head rend='h3'>Three</head><head rend='h6'>Six</head><head>None</head>"
    assert md(xml) == "## Two\n\n### Three\n\n###### Six\n\n### None"
    assert md("<head rend='h1'>An h1 that is not the title</head>") == "## An h1 that is not the title"
    assert md("<head rend='h2'>Ends with #</head>") == "## Ends with \\#"


def test_a_leading_heading_equal_to_the_title_is_dropped():
    xml = "<head rend='h1'>The  Title\n</head><p>Text.</p><head rend='h2'>The Title</head>"
    assert md(xml, title="The Title") == "Text.\n\n## The Title"
    assert md(xml) == "## The Title\n\nText.\n\n## The Title"
    assert md("<head rend='h1'>Other</head><p>Text.</p>", title="The Title") == "## Other\n\nText."


def test_bold_italic_and_their_edges():
    assert md("<p><hi rend='#b'>bold</hi> and <hi rend='#i'>italic</hi></p>") == "**bold** and *italic*"
    assert md("<p>a<hi rend='#b'> spaced </hi>b</p>") == "a **spaced** b"
    assert md("<p>x<hi rend='#b'> </hi>y<hi rend='#i'></hi>z</p>") == "x yz"
    assert md("<p><hi rend='#b'>a</hi><hi rend='#b'>b</hi></p>") == "**ab**"
    assert md("<p><hi rend='#b'>外</hi>\n<hi rend='#b'>层</hi></p>") == "**外层**"
    assert md("<p><hi rend='#b'>out <hi rend='#b'>in</hi></hi></p>") == "**out in**"
    assert md("<p><hi rend='#b'>out <hi rend='#i'>in</hi></hi></p>") == "**out *in***"
    assert md("<p><hi rend='#b'>新常态</hi></p>") == "**新常态**"
    assert "****" not in md("<p><ref><hi rend='#b'>a</hi></ref><ref><hi rend='#b'>b</hi></ref></p>")


def test_other_inline_elements():
    xml = (
        "<p><hi rend='#u'>under</hi> H<hi rend='#sub'>2</hi>O x<hi rend='#sup'>2</hi> "
        "<del rend='overstrike'>gone</del> <hi rend='#t'>Ctrl</hi> <code>pip  install</code> "
        "<ref>plain link text</ref> <ref target='https://example.org/a b'>a link</ref></p>"
    )
    expected = (
        "under H2O x2 ~~gone~~ `Ctrl` `pip install` plain link text [a link](https://example.org/a%20b)"
    )
    assert md(xml) == expected
    assert md("<p>Use <code>a`b</code></p>") == "Use ``a`b``"


def test_inline_quotation_and_block_quote():
    assert md("<p>He said <quote>hello</quote> twice.</p>") == 'He said "hello" twice.'
    assert md("<quote><p>First.</p><p>Second\nline.</p></quote>") == "> First.\n>\n> Second line."
    assert md("<quote>Just text, <hi rend='#i'>some</hi> styled.</quote>") == "> Just text, *some* styled."
    assert md("<quote><p># not a heading</p></quote>") == "> \\# not a heading"
    assert md("<p>Text <quote><p>quoted</p></quote> text</p>") == "Text\n\n> quoted\n\ntext"


def test_inline_elements_wrapping_blocks_do_not_glue_the_blocks():
    assert md("<hi rend='#b'><p>One.</p><p>Two.</p></hi><ref><p>Three.</p></ref>") == "One.\n\nTwo.\n\nThree."
    assert md("<p>a<span>b</span><unknown>c</unknown></p><unknown><p>d</p></unknown>") == "abc\n\nd"


def test_lists():
    xml = "<list rend='ul'><item>one <hi rend='#b'>bold</hi></item><item>two</item></list>"
    assert md(xml) == "- one **bold**\n- two"
    xml = "<list rend='ol'><item>first</item><item/><item>second</item></list>"
    assert md(xml) == "1. first\n2. second"
    xml = "<list rend='ul'><item>a<list rend='ol'><item>a1</item><item>a2</item></list></item><item>b</item></list>"
    assert md(xml) == "- a\n  1. a1\n  2. a2\n- b"
    xml = "<list rend='ol'><item><p>para one</p><p>para two</p></item><item>next</item></list>"
    assert md(xml) == "1. para one\n\n   para two\n2. next"
    assert md("<list rend='ul'><item>- dash</item><item>1. one</item></list>") == "- \\- dash\n- 1\\. one"


def test_images_on_their_own_lines_in_reading_order():
    xml = (
        "<p>Before <graphic src='https://x.org/a.jpg' alt='An [A]'/> after.</p>"
        "<graphic src='https://x.org/b.png'/><graphic src='https://x.org/b.png'/>"
        "<p><hi rend='#b'>bold <graphic src='https://x.org/c.gif' title='A \"caption\" (Getty)'/> still bold</hi></p>"
        "<graphic alt='no source'/><graphic src='https://x.org/d (1).jpg' alt=' '/>"
        "<graphic src='https://x.org/e.jpg' alt='Same text' title='same text.'/>"
    )
    # a caption is the image's title; a title that only repeats the alt text is left out
    assert md(xml) == (
        "Before\n\n![An \\[A\\]](https://x.org/a.jpg)\n\nafter.\n\n![](https://x.org/b.png)\n\n"
        '**bold**\n\n![](https://x.org/c.gif "A \\"caption\\" (Getty)")\n\n**still bold**\n\n'
        "![](https://x.org/d%20%281%29.jpg)\n\n![Same text](https://x.org/e.jpg)"
    )


def test_tables():
    xml = (
        "<table><row><cell role='head'>Name</cell><cell role='head'>Value</cell></row>"
        "<row><cell>a|b</cell><cell>1<lb/>2</cell></row><row><cell><hi rend='#b'>wide</hi></cell></row>"
        "<row><cell/><cell><p>x</p><p>y</p></cell></row></table>"
    )
    assert md(xml) == "| Name | Value |\n| --- | --- |\n| a\\|b | 1 2 |\n| **wide** | |\n| | x y |"
    assert md("<table><row><cell>no</cell><cell>head</cell></row></table>") == "| no | head |\n| --- | --- |"
    assert md("<p>Before.</p><table/><p>After.</p>") == "Before.\n\nAfter."


def test_line_breaks():
    assert md("<p>Line one<lb/>line two<lb/> </p>") == "Line one\\\nline two"
    assert md("<p><lb/>第一段。<lb/><lb/>\n<lb/>第二段。</p>") == "第一段。\n\n第二段。"
    assert md("<p>Poem:<lb/>- not a list<lb/>---</p>") == "Poem:\\\n\\- not a list\\\n\\---"


def test_code_blocks():
    xml = "<code>def f():\n    return 1  \n</code><p>After.</p>"
    assert md(xml) == "```\ndef f():\n    return 1\n```\n\nAfter."
    assert md("<code>a = 1<lb/>b = ```</code>") == "````\na = 1\nb = ```\n````"


def test_no_trailing_spaces_and_no_empty_blocks():
    out = md(
        "<p>a <lb/> c </p><p><lb/></p><list rend='ul'><item>x  </item><item> </item></list><quote><p/>y</quote>"
    )
    assert out == "a\\\nc\n\n- x\n\n> y"


# ---------------------------------------------------------------- escaping


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Not a heading", "\\# Not a heading"),
        ("###### six", "\\###### six"),
        ("#hashtag stays", "#hashtag stays"),
        ("- not a list", "\\- not a list"),
        ("+ not a list", "\\+ not a list"),
        ("* not a list", "\\* not a list"),
        ("> not a quote", "\\> not a quote"),
        ("1. not a list", "1\\. not a list"),
        ("2025) not a list", "2025\\) not a list"),
        ("1.5 million", "1.5 million"),
        ("---", "\\---"),
        ("- - -", "\\- - -"),
        ("***", "\\*\\*\\*"),
        ("___", "\\_\\_\\_"),
        ("===", "\\==="),
        ("[note]: https://x.org", "\\[note]: https://x.org"),
        ("-5 degrees", "-5 degrees"),
        ("a * b _c_ snake_case `x`", "a \\* b \\_c\\_ snake_case \\`x\\`"),
        ("C:\\path", "C:\\\\path"),
        ("<div>raw</div> a < b", "\\<div>raw\\</div> a < b"),
        ("&amp; &#169; AT&T", "\\&amp; \\&#169; AT&T"),
        ("[text](https://evil.example) ![x](y)", "[text\\](https://evil.example) ![x\\](y)"),
        ("~~struck~~ 1~2天", "\\~\\~struck\\~\\~ 1~2天"),
    ],
)
def test_markdown_syntax_in_text_is_escaped(text: str, expected: str):
    assert md(f"<p>{_xml_text(text)}</p>") == expected
    assert md(f"<list rend='ul'><item>{_xml_text(text)}</item></list>") == f"- {expected}"


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_MARKDOWN_TEXT = st.text(alphabet="#->*+=_`[]()!:.)~&;<\\ \n\t1aZ中文\u3000", max_size=40)


_WRAPS = {
    "": ("", ""),
    "lb": ("<lb/>", ""),
    "ref": ("<ref>", "</ref>"),
    "u": ("<hi rend='#u'>", "</hi>"),
    "b": ("<hi rend='#b'>", "</hi>"),
}


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.tuples(_MARKDOWN_TEXT, st.sampled_from(sorted(_WRAPS))), max_size=5))
def test_any_text_stays_plain_text(parts: list[tuple[str, str]]):
    # text split over line breaks and element boundaries, as trafilatura's XML splits it
    xml = "".join(_WRAPS[wrap][0] + _xml_text(text) + _WRAPS[wrap][1] for text, wrap in parts)
    out = md(f"<p>{xml}</p>")
    for line in out.split("\n"):
        assert line == line.rstrip()
        assert not re.match(r"#{1,6}(\s|$)|[-+*>](\s|$)|>|\d+[.)](\s|$)|(-\s*){3,}$|=+$|\[[^\]]*\]:", line)
    assert not re.search(r"(?<!\\)\]\(|(?<!\\)<[a-z/!?]", out, re.I)  # no link, image or raw HTML
    assert not re.search(r"(?<!\\)\*\*\*\*", out)  # no empty or glued bold
    # dropping the bold markers and the escapes gives back the text, whitespace aside
    unescaped = re.sub(r"\\([!-/:-@\[-`{-~])|\*\*", lambda m: m.group(1) or "", out.replace("\\\n", "\n"))
    assert re.sub(r"\s", "", unescaped) == re.sub(r"\s", "", "".join(text for text, _ in parts))


# ---------------------------------------------------------------- a page through trafilatura

ENGLISH_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Harbour plan approved | The Daily Example</title>
<meta property="og:title" content="Harbour plan approved"><meta property="og:site_name" content="The Daily Example">
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world/">World</a></li><li><a href="/sport/">Sport</a></li></ul></nav>
<main><article>
<h1>Harbour plan approved</h1>
<p class="byline">By Jane Doe, 3 March 2024</p>
<p>The city council approved the long-debated harbour plan on Tuesday evening, after a session that
lasted more than six hours and drew hundreds of residents to the town hall.</p>
<figure><img src="/img/a.jpg" alt="The harbour at dusk"><figcaption>The harbour at dusk.</figcaption></figure>
<p>Supporters say the <strong>new quay</strong> will bring ferries back to the old town, while opponents
worry about the cost, which has <em>doubled</em> since the first estimate.</p>
<h2>What changes</h2>
<ul><li>A new ferry quay on the north side</li><li>Two hundred metres of promenade</li></ul>
<p><img src="//cdn.example.org/b.png" alt="Map of the plan"></p>
<blockquote><p>This is the most important decision of the decade.</p></blockquote>
<p>Work is due to start next spring. The council will publish the tender documents in the coming weeks.</p>
<p><img class="lazy" data-src="https://cdn.example.org/lazy/c.webp" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="Lazy"></p>
<table><tr><th>Phase</th><th>Cost</th></tr><tr><td>Quay</td><td>€12m</td></tr><tr><td>Promenade</td><td>€3m</td></tr></table>
<p><img src="photos/d.jpeg" alt="Relative to the page"></p>
<p>Residents can comment on the plan until the end of the month at the town hall.</p>
</article>
<aside><h3>Related stories</h3><ul><li><a href="/world/ferry-strike">Ferry strike ends</a></li>
<li><a href="/world/bridge">Bridge reopens after repairs</a></li></ul></aside>
<section class="comments"><h3>Comments</h3><p>Reader42: About time!</p></section>
</main>
<footer><p>© 2024 The Daily Example. All rights reserved.</p></footer>
</body></html>"""


def test_english_page_with_relative_image_urls():
    doc = extract(ENGLISH_PAGE, "https://news.example.com/world/2024/harbour-plan.html")
    out = body_markdown(doc.body, title="Harbour plan approved")
    images = re.findall(r"^!\[(.*)\]\((.*)\)$", out, re.M)
    assert images == [
        ("The harbour at dusk", "https://news.example.com/img/a.jpg"),
        ("Map of the plan", "https://cdn.example.org/b.png"),
        ("Lazy", "https://cdn.example.org/lazy/c.webp"),
        ("Relative to the page", "https://news.example.com/world/2024/photos/d.jpeg"),
    ]
    # trafilatura takes the byline for metadata and drops <figcaption> text (captions in a <p> stay)
    assert out.startswith("The city council approved the long-debated harbour plan on Tuesday evening, after")
    assert "Supporters say the **new quay** will bring ferries back" in out
    assert "which has *doubled* since" in out
    assert (
        "\n\n## What changes\n\n- A new ferry quay on the north side\n- Two hundred metres of promenade\n\n"
        in out
    )
    assert "\n\n> This is the most important decision of the decade.\n\n" in out
    assert "\n\n| Phase | Cost |\n| --- | --- |\n| Quay | €12m |\n| Promenade | €3m |\n\n" in out
    assert out.endswith("Residents can comment on the plan until the end of the month at the town hall.")
    for clutter in ("Harbour plan approved", "Home", "Related stories", "Ferry strike", "Reader42", "©"):
        assert clutter not in out
