"""A Hugo site whose content folder is the archive: each article's Markdown file becomes a page.

The site names the Mainroad theme (the front matter targets it) and carries a minimal fallback
theme, ``newsarchive``, listed after it: Hugo takes each template from the first theme that has
it, so the fallback renders the site until Mainroad is installed and Mainroad wins once it is.
``themes/mainroad`` is created empty, because Hugo refuses to build when a named theme is
missing, and ``git clone`` accepts an empty target folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

MAINROAD_GIT = "https://github.com/Vimux/Mainroad"

HUGO_TOML = """\
# A Hugo site over a newsarchive archive (made by `newsarchive site init`).
#   preview:  hugo server      (then open http://localhost:1313/)
#   build:    hugo             (static pages in ./public)
baseURL = {base_url}
title = {title}
languageCode = "en"
# Front-matter dates carry no offset; they are read in this zone (the archive's default zone).
timeZone = {zone}

# The archive folder is the content: one page per article, one section per source.
contentDir = {content_dir}
# The index database and unfinished writes live there too; they are not content.
ignoreFiles = ['\\.sqlite(-wal|-shm|-journal)?$', '(^|/)\\.tmp-']

# Mainroad renders the front matter the archive writes. Install it into the empty folder:
#   git clone {mainroad} themes/mainroad
# Until then the minimal layouts of themes/newsarchive render the site.
theme = ["mainroad", "newsarchive"]

[taxonomies]
  category = "categories"
  tag = "tags"

[params]
  description = "Articles archived by newsarchive"
  dateformat = "2006-01-02 15:04"

[params.sidebar]
  home = "right"
  list = "right"
  single = "right"
  widgets = ["search", "recent", "categories", "taglist"]
"""

BASEOF = """\
<!DOCTYPE html>
<html lang="{{ site.LanguageCode }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if not .IsHome }}{{ .Title }} · {{ end }}{{ site.Title }}</title>
<style>
body { max-width: 46rem; margin: 0 auto; padding: 1rem; font: 1.05rem/1.6 system-ui, sans-serif; color: #222; }
a { color: #1a5a96; } img { max-width: 100%; height: auto; }
header.site { border-bottom: 1px solid #ddd; margin-bottom: 1rem; }
.meta, .pager { color: #666; font-size: .9rem; }
ul.articles { list-style: none; padding: 0; } ul.articles li { margin: .4rem 0; }
</style>
</head>
<body>
<header class="site"><a href="{{ "/" | relURL }}"><strong>{{ site.Title }}</strong></a>
{{ range site.Sections }} · <a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</header>
<main>{{ block "main" . }}{{ end }}</main>
</body>
</html>
"""

SINGLE = """\
{{ define "main" }}
<article{{ with .Params.lang }} lang="{{ index . 0 }}"{{ end }}>
<h1>{{ .Title }}</h1>
<p class="meta"><time datetime="{{ .Date.Format "2006-01-02T15:04:05" }}">{{ .Date.Format "2006-01-02 15:04:05" }}</time>
{{ range .Params.categories }} · <a href="{{ (print "/categories/" (. | urlize) "/") | relURL }}">{{ . }}</a>{{ end }}</p>
{{ with .Params.thumbnail }}<p><img src="{{ . }}" alt=""></p>{{ end }}
{{ .Content }}
</article>
{{ end }}
"""

LIST_ITEM = """\
<li><span class="meta">{{ .Date.Format "2006-01-02 15:04" }}</span> <a href="{{ .RelPermalink }}">{{ .Title }}</a>\
{{ with .Params.categories }} <span class="meta">· {{ delimit . ", " }}</span>{{ end }}</li>"""

PAGER = """\
{{ with $pager }}{{ if gt .TotalPages 1 }}<p class="pager">
{{ with .Prev }}<a href="{{ .URL }}">newer</a>{{ end }} page {{ .PageNumber }} of {{ .TotalPages }}
{{ with .Next }}<a href="{{ .URL }}">older</a>{{ end }}</p>{{ end }}{{ end }}"""

LIST = (
    """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ $pager := .Paginate .RegularPagesRecursive }}
{{ if eq .Kind "taxonomy" }}{{ $pager = .Paginate .Pages }}{{ end }}
<ul class="articles">{{ range $pager.Pages }}
"""
    + LIST_ITEM
    + """
{{ end }}</ul>
"""
    + PAGER
    + """
{{ end }}
"""
)

INDEX = (
    """\
{{ define "main" }}
<p class="meta">{{ len site.RegularPages }} articles</p>
{{ $pager := .Paginate site.RegularPages }}
<ul class="articles">{{ range $pager.Pages }}
"""
    + LIST_ITEM
    + """
{{ end }}</ul>
"""
    + PAGER
    + """
{{ end }}
"""
)

FALLBACK = {
    "layouts/_default/baseof.html": BASEOF,
    "layouts/_default/single.html": SINGLE,
    "layouts/_default/list.html": LIST,
    "layouts/index.html": INDEX,
    "theme.toml": 'name = "newsarchive"\ndescription = "Minimal layouts for a newsarchive site"\n',
}


class SiteExists(FileExistsError):
    def __init__(self, path: Path):
        super().__init__(f"{path} already exists (use --force to overwrite the site's files)")
        self.path = path


def init_site(folder: Path, archive_dir: Path, *, title: str = "News archive", base_url: str = "http://localhost:1313/",
              zone: str = "UTC", relative: bool = False, force: bool = False) -> list[Path]:  # fmt: skip
    """Write the site's config and fallback theme; returns the files written."""
    folder = Path(folder).absolute()
    config = folder / "hugo.toml"
    if config.exists() and not force:
        raise SiteExists(config)
    content = Path(os.path.relpath(archive_dir, folder)) if relative else Path(archive_dir).absolute()
    files = {
        config: HUGO_TOML.format(
            base_url=json.dumps(base_url), title=json.dumps(title, ensure_ascii=False), zone=json.dumps(zone),
            content_dir=json.dumps(content.as_posix()), mainroad=MAINROAD_GIT,
        ),
        **{folder / "themes" / "newsarchive" / name: text for name, text in FALLBACK.items()},
    }  # fmt: skip
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (folder / "themes" / "mainroad").mkdir(parents=True, exist_ok=True)
    return list(files)
