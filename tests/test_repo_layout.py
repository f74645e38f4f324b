"""The repository stands on its own, and the test helpers stay in one place.

* No code reads anything outside the checkout: third-party reference material (Square's OpenAPI
  document, recorded Discogs responses) lives in tests/reference/, not in a sibling directory.
* Helpers live in the tests/support package and are imported as ``tests.support.*``; the tests/
  root holds only test modules and the conftest that lists the fixture plugins, and test modules
  do not import each other.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("storefront", "jobs", "tests")
OUTSIDE_PATHS = ("../shared", "shared/reference")
CONFTEST_IMPORT = re.compile(r"^\s*(from\s+conftest\s+import|import\s+conftest\b)", re.MULTILINE)
TEST_MODULE_IMPORT = re.compile(r"^\s*(from\s+(tests\.)?test_\w*\s+import|import\s+(tests\.)?test_)", re.MULTILINE)


def python_files() -> list[Path]:
    here = Path(__file__).resolve()
    return [path for package in CHECKED for path in sorted((ROOT / package).rglob("*.py")) if path.resolve() != here]


def test_no_code_reads_reference_material_from_outside_the_repository():
    offenders = [f"{path.relative_to(ROOT)}: {needle!r}" for path in python_files()
                 for needle in OUTSIDE_PATHS if needle in path.read_text(encoding="utf-8")]
    assert not offenders, "read it from tests/reference/ instead:\n" + "\n".join(offenders)


def test_the_reference_material_is_in_the_repository():
    reference = ROOT / "tests" / "reference"
    assert (reference / "README.md").is_file()
    assert (reference / "square" / "api.json").is_file() and (reference / "square" / "LICENSE.txt").is_file()
    assert (reference / "discogs" / "LICENSE-discogs_client").is_file()
    assert sorted(reference.joinpath("discogs").glob("releases_*.json")), "no recorded Discogs releases"


def test_helpers_are_imported_from_tests_support_not_from_conftest():
    offenders = [str(path.relative_to(ROOT)) for path in python_files()
                 if CONFTEST_IMPORT.search(path.read_text(encoding="utf-8"))]
    assert not offenders, "import helpers from tests.support.* instead:\n" + "\n".join(offenders)


def test_the_tests_root_holds_only_test_modules():
    allowed = {"__init__.py", "conftest.py"}
    stray = sorted(path.name for path in (ROOT / "tests").glob("*.py")
                   if path.name not in allowed and not path.name.startswith("test_"))
    assert not stray, f"move helper modules into tests/support/: {stray}"


def test_test_modules_do_not_import_each_other():
    offenders = [str(path.relative_to(ROOT)) for path in python_files()
                 if TEST_MODULE_IMPORT.search(path.read_text(encoding="utf-8"))]
    assert not offenders, "move what they share into tests/support/:\n" + "\n".join(offenders)
