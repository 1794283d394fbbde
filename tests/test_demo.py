"""The README's first command: `newsarchive demo` crawls the bundled site with no network."""

from __future__ import annotations

import socket
from pathlib import Path

import frontmatter

from tests.conftest import newsarchive


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_demo_archives_the_bundled_site(tmp_path: Path) -> None:
    port = str(free_port())  # the same port twice: the demo's URLs must not change between runs
    result = newsarchive("demo", "--dir", "demo", "--port", port, "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    files = sorted((tmp_path / "demo" / "news").rglob("*.md"))
    posts = {frontmatter.load(f)["title"]: frontmatter.load(f) for f in files}
    assert set(posts) == {
        "City Council Approves Riverside Bike-Lane Plan",
        "Riverton University Team Launches Its First Weather Satellite",
        "Andean Glacier Retreats at Record Pace, Field Team Reports",
        "滨江地铁9号线今日全线开通运营",
        "江心洲湿地迎来越冬候鸟观测高峰",
    }
    metro = posts["滨江地铁9号线今日全线开通运营"]  # GBK, declared only in <meta>
    assert metro["date"] == "2025-02-07 10:00:00" and metro["lang"] == ["zh-CN"]
    assert "滨江市地铁9号线全线开通试运营" in metro.content
    wetland = posts["江心洲湿地迎来越冬候鸟观测高峰"]  # GBK, declared only in the HTTP header
    assert "\ufffd" not in wetland.content and wetland["date"] == "2025-02-06 16:30:00"
    satellite = posts["Riverton University Team Launches Its First Weather Satellite"]
    assert "![A rideshare rocket lifting off from the launch pad at dawn](http://127.0.0.1:" in satellite.content
    assert all("purple-otter-42" not in f.read_text(encoding="utf-8") for f in files)  # robots.txt
    assert "skipped/robots_txt×1" in result.stdout

    again = newsarchive("demo", "--dir", "demo", "--port", port, "--quiet", cwd=tmp_path)
    assert again.returncode == 0
    assert "demo     ok      4           0        0    3" in again.stdout
    assert sorted((tmp_path / "demo" / "news").rglob("*.md")) == files
