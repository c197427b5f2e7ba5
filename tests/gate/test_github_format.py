"""GitHub's conventions: workflow-command escaping, step outputs, stop-commands, Markdown."""

from __future__ import annotations

import re

from gitorch.enforce import actions as gate


def test_data_escaping() -> None:
    assert gate.escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert gate.escape_data("%0A is not a newline") == "%250A is not a newline"


def test_property_escaping() -> None:
    assert gate.escape_property("a,b:c%d\ne") == "a%2Cb%3Ac%25d%0Ae"


def test_workflow_command() -> None:
    assert gate.workflow_command("error", "m") == "::error::m"
    assert gate.workflow_command("warning", "two\nlines", file="x,y.py", line=3, title="t: 1") == (
        "::warning file=x%2Cy.py,line=3,title=t%3A 1::two%0Alines")
    assert gate.workflow_command("notice", "x", file=None, line=None, title="t") == "::notice title=t::x"


def test_forged_command_in_a_message_stays_data() -> None:
    """A commit subject cannot end the annotation and start a command of its own."""
    line = gate.Annotation("error", "t", "subject\n::set-output name=passed::true").command()
    assert "\n" not in line
    assert line == "::error title=t::subject%0A::set-output name=passed::true"


def test_outputs_single_and_multiline() -> None:
    text = gate.format_outputs({"passed": "false", "paths": "a.py\nb.py", "team": ""},
                               delimiter=lambda: "EOF_1")
    assert text == "passed=false\npaths<<EOF_1\na.py\nb.py\nEOF_1\nteam=\n"


def test_output_delimiter_never_occurs_in_the_value() -> None:
    marks = iter(["EOF_1", "EOF_2"])
    text = gate.format_outputs({"paths": "x\nEOF_1\ny"}, delimiter=lambda: next(marks))
    assert text == "paths<<EOF_2\nx\nEOF_1\ny\nEOF_2\n"


def test_default_delimiter_is_random() -> None:
    first = gate.format_outputs({"p": "a\nb"})
    second = gate.format_outputs({"p": "a\nb"})
    mark = re.fullmatch(r"p<<(ghadelimiter_[0-9a-f]{32})\na\nb\n\1\n", first)
    assert mark is not None and mark.group(1) not in second


def test_commands_stopped_wraps_with_a_random_token() -> None:
    lines: list[str] = []
    with gate.commands_stopped(lines.append) as token:
        lines.append("::error::forged")
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    assert lines == [f"::stop-commands::{token}", "::error::forged", f"::{token}::"]
    with gate.commands_stopped(lines.append) as other:
        pass
    assert other != token


def test_commands_resume_even_when_the_tests_crash() -> None:
    lines: list[str] = []
    try:
        with gate.commands_stopped(lines.append, token="t0k"):
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert lines == ["::stop-commands::t0k", "::t0k::"]


def test_markdown_escaping() -> None:
    assert gate.md_code("a|b") == "`a\\|b`"
    assert gate.md_code("x`y") == "``x`y``"
    assert gate.md_code("`x") == "`` `x ``"
    assert gate.md_text("fix *all* <b>|</b>\nnow") == "fix \\*all\\* \\<b\\>\\|\\</b\\> now"
