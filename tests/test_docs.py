"""The README is the newcomer's manual: every command and every config key must appear in it."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from crawler.cli import main
from crawler.config import ArchiveConfig, CrawlConfig, DaemonConfig, SourceConfig

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands(group: click.Group, prefix: str = "newsarchive") -> list[str]:
    names = []
    for name, command in group.commands.items():
        names.append(f"{prefix} {name}")
        if isinstance(command, click.Group):
            names.extend(commands(command, f"{prefix} {name}"))
    return names


@pytest.mark.parametrize("command", commands(main))
def test_every_command_is_in_the_readme(command: str) -> None:
    assert command in README, f"README.md does not mention `{command}`"


@pytest.mark.parametrize(
    "key",
    [f"{section}.{key}" for section, model in (("archive", ArchiveConfig), ("crawl", CrawlConfig),
                                               ("daemon", DaemonConfig), ("sources[]", SourceConfig))
     for key in model.model_fields],
)  # fmt: skip
def test_every_config_key_is_in_the_readme_and_the_example(key: str) -> None:
    name = key.split(".")[-1]
    assert f"`{name}`" in README, f"README.md does not mention config key {key}"
    assert f"{name}:" in (ROOT / "config.yaml").read_text(encoding="utf-8"), f"config.yaml does not show {key}"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert ci in README
