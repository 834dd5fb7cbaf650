"""The READMEs' Python blocks run as written: test functions under pytest, the rest as a script.
The package's own README, and the project's (python_package.sh copies it beside as
PROJECT_README.md; in the checkout it is the parent folder's README.md)."""

import pathlib
import re

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
PROJECT_README = next(
    p for p in (README.parent / "PROJECT_README.md", README.parent.parent / "README.md") if p.exists()
)


def test_the_readme_has_blocks_of_both_kinds():
    assert [("def test_" in b) for b in BLOCKS] == [True, False]


def test_the_readmes_tests_pass_with_the_plugin(pytester):
    [tests] = [b for b in BLOCKS if "def test_" in b]
    pytester.makepyfile(test_from_readme=tests)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=tests.count("def test_"))


def test_the_readmes_script_runs():
    [script] = [b for b in BLOCKS if "def test_" not in b]
    exec(compile(script, str(README), "exec"), {})


def test_the_project_readmes_tests_pass_with_the_plugin(pytester):
    blocks = re.findall(r"```python\n(.*?)```", PROJECT_README.read_text(), re.S)
    # Each block is a test file of its own: the pytest one, and the webhook receiver's.
    assert len(blocks) == 2 and all("def test_" in b for b in blocks)
    assert any("webhook_receiver" in b and "hmac.compare_digest" in b for b in blocks)
    pytester.makepyfile(**{f"test_from_project_readme_{i}": b for i, b in enumerate(blocks)})
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=sum(b.count("def test_") for b in blocks))
