"""`make security` runs the files listed in SECURITY_SUITES: a renamed or misspelt one would
silently drop out of it."""

from tests.conftest import ROOT, SECURITY_SUITES


def test_every_security_suite_exists() -> None:
    missing = [path for path in SECURITY_SUITES if not (ROOT / path).is_file()]
    assert missing == []
