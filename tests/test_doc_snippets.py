"""The documentation runs as written: every fenced Python and shell block of README.md and
docs/ is executed, in order, from the repository's root. A block that cannot run (it
installs packages, or needs a cluster) is marked with ``<!-- not run: why -->`` on the
line above its fence."""

from __future__ import annotations

import re
import shlex
import textwrap
from pathlib import Path

import pytest

from huiminbao_rules.cli import main

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[a-z]*)\n(?P<body>.*?)^(?P=indent)```", re.S | re.M)
NOT_RUN = re.compile(r"<!-- not run: (?P<why>[^>]*\S)\s*-->\s*$")


def blocks(page: Path) -> list[tuple[int, str, str, str | None]]:
    """(line, language, code, why it is not run) of every fenced block of the page."""
    text = page.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        before = text[:m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        why = NOT_RUN.search(before)
        out.append((text[:m.start()].count("\n") + 1, m.group("lang"), textwrap.dedent(m.group("body")),
                    why.group("why") if why else None))
    return out


def _commands(code: str) -> list[str]:
    out = []
    for line in code.splitlines():
        line = re.split(r"\s+#\s", line, maxsplit=1)[0].strip()
        if line:
            out.append(line)
    return out


def test_every_runnable_block_is_python_or_shell_and_every_skip_says_why() -> None:
    for page in PAGES:
        for line, lang, code, why in blocks(page):
            if lang in ("python", "sh") and why is None and lang == "sh":
                for cmd in _commands(code):
                    assert cmd.startswith("huiminbao "), f"{page.name}:{line}: {cmd!r} cannot run in the tests: mark it"
            assert why is None or len(why) > 10, f"{page.name}:{line}: say why it is not run"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_the_python_blocks_run_as_written(page: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict[str, object] = {"__name__": f"doc:{page.name}"}
    ran = 0
    for line, lang, code, why in blocks(page):
        if lang != "python" or why is not None:
            continue
        try:
            exec(compile(code, f"{page.name}:{line}", "exec"), namespace)  # noqa: S102
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"{page.name}:{line}: {type(exc).__name__}: {exc}")
        ran += 1
    capsys.readouterr()
    if not ran:
        pytest.skip(f"{page.name} has no Python block")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_the_shell_blocks_run_as_written(page: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(ROOT)
    ran = 0
    for line, lang, code, why in blocks(page):
        if lang != "sh" or why is not None:
            continue
        for cmd in _commands(code):
            argv = shlex.split(cmd)[1:]
            code_ = main(argv)
            out = capsys.readouterr()
            allowed = (0, 1) if argv[0] == "check" else (0,)  # check exits 1 on a violation, as documented
            assert code_ in allowed, f"{page.name}:{line}: {cmd} exited {code_}: {out.err}"
            assert out.out and not out.err, f"{page.name}:{line}: {cmd}"
            ran += 1
    if not ran:
        pytest.skip(f"{page.name} has no shell block")


def test_the_readme_prints_what_it_says(monkeypatch, capsys) -> None:
    [code] = [c for _, lang, c, why in blocks(ROOT / "README.md") if lang == "python"]
    monkeypatch.chdir(ROOT)
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102
    printed = capsys.readouterr().out.splitlines()
    said = re.search(r"print\(result\.payable, result\.pending_amount\)\s*# (\S+ \S+):", code)
    assert said and printed[0] == said.group(1) == "4080.00 98500.00"  # two drugs held for review
    assert printed[1].startswith("['list_unknown'")
    said = re.search(r"print\(result\.payable\)\s+# (\S+)", code)
    assert said and printed[2] == said.group(1) == "38600.00"  # the published figure
    assert printed[3].startswith("理赔计算书")
